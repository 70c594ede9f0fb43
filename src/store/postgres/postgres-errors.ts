/**
 * Turns pg connection failures into {@link StoreUnavailableError} (503) with a message a person can
 * act on. Errors PostgreSQL raises for a well-formed statement (a constraint, a bug) pass through.
 */
import { RedriveError, StoreUnavailableError } from '../../core/errors.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * SQLSTATE classes and codes that mean "the server cannot serve now": 08 connection exceptions,
 * 57P01-57P03 shutdown / cannot connect now, 53000-53300 insufficient resources (a full disk, out
 * of memory, too many connections: the statement was refused, and the same call works once the
 * server has room again, as with SQLite's SQLITE_FULL and Redis's MISCONF), 25006 read-only
 * standby (a failover in progress), 57014 a statement cancelled (by the store's own
 * `queryTimeoutMs`, which the server enforces too, or by an operator): it was rolled back.
 */
function unavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    /^57P0[123]$/.test(code) ||
    /^53[0-3]00$/.test(code) ||
    code === '25006' ||
    code === '57014'
  );
}

/** Wraps a connection or availability failure in a StoreUnavailableError; returns others unchanged. */
export function translatePgError(error: unknown, what: string, where: string): unknown {
  if (error instanceof RedriveError) return error;
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const isConnection =
    (typeof code === 'string' && (CONNECTION_CODES.has(code) || unavailableSqlState(code))) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
      error.message,
    );
  if (!isConnection) return error;
  const text = error.message.replace(/[.\s]+$/, '');
  return new StoreUnavailableError(
    `PostgreSQL store at ${where}: ${what} failed: ${text}. A write whose connection dropped may or may not have been applied; retrying a completion or failure is safe (fenced and duplicate-checked).`,
    {
      cause: error,
      details: { operation: what, postgres: where, ...(typeof code === 'string' ? { code } : {}) },
    },
  );
}
