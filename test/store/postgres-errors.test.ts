/**
 * How the PostgreSQL store reports a server that cannot take a statement now: a full disk, no
 * memory, no connection slot or a read-only standby is a StoreUnavailableError (503) naming the
 * operation and the SQLSTATE, which workers retry like a cut connection; an error in the statement
 * itself (a constraint, a bug) passes through unchanged.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { newJob, T0 } from '../../src/store/conformance/fixtures.js';
import { translatePgError } from '../../src/store/postgres/postgres-errors.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService } from '../support/services.js';

const postgres = await postgresService();

/** An error shaped as pg reports a server error: the message and its SQLSTATE in `code`. */
function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('translatePgError', () => {
  it('a full disk refusing a write is a 503 naming the operation and the SQLSTATE, not a bug', () => {
    const cause = serverError('53100', 'could not extend file "base/16384/16402": No space left on device');
    const error = translatePgError(cause, 'insert jobs', 'postgres://db/app');
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const e = error as StoreUnavailableError;
    expect(e.status).toBe(503);
    expect(e.message).toContain('PostgreSQL store at postgres://db/app: insert jobs failed');
    expect(e.message).toContain('No space left on device');
    expect(e.details).toMatchObject({ operation: 'insert jobs', code: '53100' });
    expect(e.cause).toBe(cause);
  });

  it('out of memory, too many connections and a read-only standby are 503s too', () => {
    for (const code of ['53000', '53200', '53300', '25006', '57P01', '08006']) {
      expect(translatePgError(serverError(code, `failed: ${code}`), 'claim jobs', 'x'), code).toBeInstanceOf(
        StoreUnavailableError,
      );
    }
  });

  it('a statement cancelled by statement_timeout (or an operator) is a 503: it was rolled back, a retry may pass', () => {
    const cause = serverError('57014', 'canceling statement due to statement timeout');
    const error = translatePgError(cause, 'fail jobs', 'x');
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).details).toMatchObject({ operation: 'fail jobs', code: '57014' });
  });

  it('an error of the statement itself passes through unchanged', () => {
    for (const code of ['23505', '42P01', '22P02', '53400']) {
      const error = serverError(code, `failed: ${code}`);
      expect(translatePgError(error, 'insert jobs', 'x'), code).toBe(error);
    }
  });
});

describe.skipIf(!postgres.available)('PostgreSQL store on a read-only database', () => {
  it('refuses each write at its call with a 503, changes nothing, and still reads', async () => {
    const schema = new PostgresTestSchema(postgres.url, 'readonly');
    const readOnly = new pg.Pool({
      connectionString: postgres.url,
      max: 2,
      options: '-c default_transaction_read_only=on',
    });
    readOnly.on('error', () => {});
    try {
      const writer = await schema.freshStore({ listen: false });
      const [kept] = await writer.insertJobs({ jobs: [newJob({ payload: 'keep' })], now: T0 });
      await writer.close();
      const store = new PostgresStore({
        pool: readOnly,
        schema: schema.schema,
        migrate: false,
        listen: false,
      });
      const insert = await store.insertJobs({ jobs: [newJob()], now: T0 }).catch((e: unknown) => e);
      expect(insert).toBeInstanceOf(StoreUnavailableError);
      expect((insert as Error).message).toMatch(/read-only transaction/);
      const claim = await store
        .claimJobs({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000, now: T0, claimId: 'c1' })
        .catch((e: unknown) => e);
      expect(claim).toBeInstanceOf(StoreUnavailableError);
      expect(await store.getJob({ id: kept!.id })).toMatchObject({ state: 'waiting', payload: 'keep' });
      expect(await store.countJobs({ queue: 'q' })).toMatchObject({ waiting: 1, active: 0 });
      await store.close();
    } finally {
      await readOnly.end();
      await schema.drop();
    }
  });
});
