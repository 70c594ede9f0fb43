/**
 * Transactional completion on SQLite: the application's writes and the job's fenced completion in
 * one `BEGIN IMMEDIATE` transaction of the store's connection (the application's own, when the
 * store was opened with `database`). better-sqlite3 transactions are synchronous, so the
 * application's function must be too: nothing else runs on the connection until it commits.
 */
import type Database from 'better-sqlite3';
import { ValidationError } from '../../core/errors.js';
import type {
  CompleteJobInTransactionParams,
  FenceResult,
  JobCompletion,
  TransactionalCompletion,
} from '../job-store.js';

/** Thrown inside the transaction to roll it back when the fence refuses; never escapes. */
class FenceRefused extends Error {
  constructor(readonly reason: 'stale_token' | 'not_active' | 'not_found') {
    super(`completion refused: ${reason}`);
  }
}

/** Runs application work and a job's completion in one SQLite transaction. */
export class SqliteTransactionalCompletion {
  private setResult: Database.Statement<unknown[], unknown> | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly complete: (completions: JobCompletion[], now: number) => FenceResult[],
  ) {}

  run<T>(params: CompleteJobInTransactionParams<T>): TransactionalCompletion<T> {
    try {
      const value = this.db
        .transaction(() => {
          const value = params.run(this.db);
          if (isThenable(value)) {
            // Its rejection is the application's; the transaction is already being rolled back.
            value.then(undefined, () => undefined);
            throw new ValidationError(
              'transaction',
              'on SQLite the function must be synchronous (a better-sqlite3 transaction cannot span an await): do async work before or after job.transaction',
            );
          }
          const [result] = this.complete(
            [{ id: params.id, token: params.token, resultJson: null }],
            params.now(),
          );
          // A duplicate means this attempt already completed the job: its writes must not repeat.
          if (!result?.ok) throw new FenceRefused(result?.reason ?? 'not_found');
          if (result.duplicate) throw new FenceRefused('not_active');
          return value;
        })
        .immediate();
      return { committed: true, value };
    } catch (error) {
      if (error instanceof FenceRefused) return { committed: false, reason: error.reason };
      throw error;
    }
  }

  recordResult(params: { id: string; token: string; resultJson: string }): boolean {
    this.setResult ??= this.db.prepare(
      "UPDATE redrive_jobs SET result = ? WHERE id = ? AND claim_token = ? AND state = 'completed'",
    );
    return this.setResult.run(params.resultJson, Number(params.id), params.token).changes > 0;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
