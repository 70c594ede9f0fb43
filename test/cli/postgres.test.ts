/**
 * The CLI on a PostgreSQL store URL: `redrive migrate` applies the schema once (and reports it
 * current afterwards), `?schema=` picks the schema, and `enqueue` / `stats` work through
 * `REDRIVE_STORE`. Skipped loudly without PostgreSQL, failing under CI=true.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresService, uniqueSchemaName } from '../support/services.js';
import { cliSandbox } from './helpers.js';

const postgres = await postgresService();

describe.skipIf(!postgres.available)('CLI on PostgreSQL', () => {
  const { redrive, json, cleanup } = cliSandbox();
  const schema = uniqueSchemaName('cli');
  const url = `${postgres.url}${postgres.url.includes('?') ? '&' : '?'}schema=${schema}`;
  afterAll(async () => {
    cleanup();
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('migrate applies the schema once, then reports it up to date', async () => {
    const first = await json<{ from: number; to: number; applied: string[] }>(['migrate', '--store', url]);
    expect(first.from).toBe(0);
    // Every migration file, in version order, and the version is the last one's.
    expect(first.applied[0]).toBe('0001_initial');
    expect(first.applied).toHaveLength(first.to);
    expect(first.applied.map((name) => Number(name.slice(0, 4)))).toEqual(first.applied.map((_, i) => i + 1));
    const again = await redrive(['migrate', '--store', url]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`schema version ${first.to}, up to date`));
    expect(again.stdout).toContain(`schema=${schema}`);
  });

  it('enqueue and stats go to the schema named in REDRIVE_STORE', async () => {
    const env = { REDRIVE_STORE: url.replace(/^postgres:/, 'postgresql:') };
    const added = await redrive(
      ['enqueue', 'emails', 'welcome', '--payload', '{"to":"ada@example.com"}'],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    const stats = await redrive(['stats', '--json'], env);
    expect(stats.code, stats.stderr).toBe(0);
    const report = JSON.parse(stats.stdout) as { queues: { name: string; waiting: number }[] };
    expect(report.queues).toEqual([expect.objectContaining({ name: 'emails', waiting: 1 })]);
  });
});
