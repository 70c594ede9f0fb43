/**
 * Turns Redis failures into {@link StoreUnavailableError} (503) with a message a person can act on,
 * using the shared classification of src/redis/failure.ts. Replies Redis gives to a well-formed call
 * (a script error is a bug) and errors that are not Redis failures pass through unchanged.
 */
import { RedriveError, StoreUnavailableError } from '../../core/errors.js';
import { classifyRedisFailure, isRedisFailure } from '../../redis/failure.js';

/** Wraps a connection or availability failure in a StoreUnavailableError; returns others unchanged. */
export function translateRedisError(error: unknown, what: string, where: string): unknown {
  if (error instanceof RedriveError) return error;
  if (!(error instanceof Error) || !isRedisFailure(error)) return error;
  const kind = classifyRedisFailure(error);
  if (kind === 'reply') return error;
  const code = (error as { code?: unknown }).code;
  const outcome =
    kind === 'ambiguous'
      ? ' The call may or may not have been applied; retrying a completion or failure is safe (fenced and duplicate-checked).'
      : '';
  const text = error.message.replace(/[.\s]+$/, '');
  return new StoreUnavailableError(`Redis store at ${where}: ${what} failed: ${text}.${outcome}`, {
    cause: error,
    details: {
      operation: what,
      redis: where,
      outcome: kind,
      ...(kind === 'ambiguous' ? { ambiguous: true } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    },
  });
}
