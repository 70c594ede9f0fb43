/**
 * The PostgreSQL store's job listing and removal: statements built from optional filters (queue,
 * states, keyset position, age), so they are assembled here instead of living in sql/jobs.sql.
 */
import { ValidationError } from '../../core/errors.js';
import { isRemovableJobState, type Job } from '../../core/job.js';
import type { ListJobsParams, RemoveJobsParams } from '../job-store.js';
import type { PostgresConnection } from './postgres-connection.js';
import { type JobRow, jobFromRow, toJobId } from './rows.js';

/** Jobs matching the filters, in id order (keyset pagination after `afterId`). */
export async function listJobs(
  conn: PostgresConnection,
  table: string,
  params: ListJobsParams,
): Promise<Job[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (params.queue !== undefined) {
    args.push(params.queue);
    where.push(`queue = $${args.length}`);
  }
  if (params.states && params.states.length > 0) {
    args.push([...params.states]);
    where.push(`state = ANY($${args.length}::text[])`);
  }
  if (params.afterId !== undefined) {
    const after = toJobId(params.afterId);
    if (after === null) throw new ValidationError('afterId', 'is not a job id of this store');
    args.push(after);
    where.push(`id > $${args.length}`);
  }
  args.push(Math.max(0, Math.floor(params.limit)));
  const rows = await conn.query<JobRow>(
    'list jobs',
    `SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${args.length}`,
    args,
  );
  return rows.map(jobFromRow);
}

/** Deletes up to `limit` matching jobs, per state through that state's partial index. */
export async function removeJobs(
  conn: PostgresConnection,
  table: string,
  params: RemoveJobsParams,
): Promise<number> {
  const states = [...new Set(params.states)].filter(isRemovableJobState);
  let removed = 0;
  for (const state of states) {
    if (removed >= params.limit) break;
    const args: unknown[] = [state];
    const where = ['state = $1'];
    if (params.queue !== undefined) {
      args.push(params.queue);
      where.push(`queue = $${args.length}`);
    }
    if (params.before !== undefined) {
      args.push(params.before);
      where.push(
        `${state === 'completed' || state === 'dead_lettered' ? 'finished_at' : 'created_at'} < $${args.length}`,
      );
    }
    args.push(params.limit - removed);
    const rows = await conn.query<{ id: number }>(
      'remove jobs',
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where.join(' AND ')} LIMIT $${args.length} FOR UPDATE SKIP LOCKED) RETURNING id`,
      args,
    );
    removed += rows.length;
  }
  return removed;
}
