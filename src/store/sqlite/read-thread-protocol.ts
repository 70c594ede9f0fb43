/**
 * Messages between the SQLite store and its dead-letter reader thread, and how typed errors
 * cross the thread boundary (a structured clone keeps only plain data).
 */
import {
  NotFoundError,
  RedriveError,
  StateConflictError,
  StoreUnavailableError,
  ValidationError,
} from '../../core/errors.js';
import type { SqliteDeadLetterReads } from './sqlite-dead-letter-reads.js';

/** The read methods the thread answers. */
export type ReadMethod = keyof Pick<
  SqliteDeadLetterReads,
  | 'getDeadLetter'
  | 'getDeadLetterByJob'
  | 'listDeadLetters'
  | 'facetDeadLetters'
  | 'topDeadLetterFailures'
  | 'getDeadLetterStats'
  | 'listAudit'
>;

/** What the thread is started with. */
export interface ReadThreadData {
  path: string;
  busyTimeoutMs: number;
  indexedPaths: readonly string[];
  scanBudget: number;
}

/** One call. */
export interface ReadRequest {
  id: number;
  method: ReadMethod;
  params: unknown;
}

/** An error as data. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

/** Turns an error into data that survives postMessage. */
export function serializeReadError(error: unknown): SerializedError {
  if (error instanceof ValidationError)
    return { name: 'ValidationError', code: error.code, message: error.message, field: error.field };
  if (error instanceof RedriveError)
    return { name: error.constructor.name, code: error.code, message: error.message, details: error.details };
  const e = error as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}

/** Rebuilds a typed error from {@link serializeReadError}'s data. */
export function deserializeReadError(data: SerializedError): Error {
  switch (data.name) {
    case 'ValidationError': {
      const field = data.field ?? 'params';
      const error = new ValidationError(field, data.message.slice(field.length + 2));
      return error;
    }
    case 'NotFoundError':
      return new NotFoundError(data.message, data.details);
    case 'StateConflictError':
      return new StateConflictError(data.message, data.details);
    case 'StoreUnavailableError':
      return new StoreUnavailableError(data.message, data.details ? { details: data.details } : undefined);
    default: {
      const error = new Error(data.message) as Error & { code?: string };
      error.name = data.name;
      if (data.code !== undefined) error.code = data.code;
      return error;
    }
  }
}
