/**
 * Transactional completion on PostgreSQL: the application's writes and the job's fenced completion
 * in one `BEGIN … COMMIT` on a pooled client. The completion's UPDATE comes last, so the job row
 * is locked only for the commit, and a recovery sweep that took the lease first makes it match no
 * row: the transaction then rolls back, the application's writes with it.
 */
import type pg from 'pg';
import type { JobState } from '../../core/job.js';
import type { CompleteJobInTransactionParams, TransactionalCompletion } from '../job-store.js';
import type { PostgresConnection } from './postgres-connection.js';
import { translatePgError } from './postgres-errors.js';
import { toJobId } from './rows.js';

/** Runs `params.run` and the job's completion in one transaction; rolls back if either refuses. */
export async function completeInTransaction<T>(
  conn: PostgresConnection,
  params: CompleteJobInTransactionParams<T>,
): Promise<TransactionalCompletion<T>> {
  await conn.ready();
  let client: pg.PoolClient;
  try {
    client = await conn.pool.connect();
  } catch (error) {
    throw translatePgError(error, 'transactional completion', conn.location);
  }
  let broken = false;
  try {
    await client.query('BEGIN');
    const value = await params.run(client);
    const id = toJobId(params.id) ?? -1;
    const done = await conn.run('jobs', 'complete', [[id], [params.token], [null], params.now()], client);
    if (done.length > 0) {
      await client.query('COMMIT');
      return { committed: true, value };
    }
    await client.query('ROLLBACK');
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw translatePgError(error, 'transactional completion', conn.location);
  } finally {
    client.release(broken);
  }
  return { committed: false, reason: await refusal(conn, params) };
}

/** Why the fence refused: another token holds the job, or it is no longer active. */
async function refusal(
  conn: PostgresConnection,
  params: { id: string; token: string },
): Promise<'stale_token' | 'not_active' | 'not_found'> {
  const [row] = await conn.run<{ state: JobState; claim_token: string | null }>('jobs', 'fenceStates', [
    [toJobId(params.id) ?? -1],
  ]);
  if (!row) return 'not_found';
  return row.claim_token === params.token ? 'not_active' : 'stale_token';
}

/** Stores the result of a job its token completed; false when it did not. */
export async function recordJobResult(
  conn: PostgresConnection,
  params: { id: string; token: string; resultJson: string },
): Promise<boolean> {
  const rows = await conn.run('jobs', 'recordResult', [
    toJobId(params.id) ?? -1,
    params.token,
    params.resultJson,
  ]);
  return rows.length > 0;
}
