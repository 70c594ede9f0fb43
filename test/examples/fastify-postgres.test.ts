/**
 * Smoke test of examples/fastify-postgres.ts: started as its own process on a schema of its own,
 * it enqueues an order's job in the order's transaction, its worker completes it, an order without
 * a sku is refused (400), and it exits 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresService, postgresUrl, uniqueSchemaName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const postgres = await postgresService();
let child: ChildProcess | undefined;
let schema: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (schema) {
    const pool = new pg.Pool({ connectionString: postgresUrl() });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
});

function firstLine(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    process.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    process.once('exit', (code) => reject(new Error(`exited ${code} before listening`)));
  });
}

describe.skipIf(!postgres.available)('examples/fastify-postgres.ts', () => {
  it('enqueues in the order transaction, completes the job, and stops on SIGTERM', async () => {
    schema = uniqueSchemaName('example');
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/fastify-postgres.ts'], {
      env: { ...process.env, PORT: '0', SCHEMA: schema, POSTGRES_URL: postgresUrl() },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await firstLine(child);
    const base = /http:\/\/127\.0\.0\.1:\d+\//.exec(line)?.[0];
    expect(base, line).toBeDefined();
    const post = (body: unknown) =>
      fetch(`${base}orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const order = await post({ sku: 'a-1' });
    expect(order.status).toBe(202);
    const { orderId, jobId } = (await order.json()) as { orderId: number; jobId: string };
    const done = await waitFor(
      'the job completed',
      async () => {
        const job = (await (await fetch(`${base}jobs/${jobId}`)).json()) as {
          state: string;
          result: unknown;
        };
        return job.state === 'completed' ? job : null;
      },
      { timeoutMs: 20_000, stepMs: 20 },
    );
    expect(done?.result).toEqual({ shipped: orderId });
    expect((await post({})).status).toBe(400);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 40_000);
});
