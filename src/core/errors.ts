/**
 * Typed errors. Every error redrive throws carries a stable `code` string and the HTTP status an
 * admin API should answer with, so callers branch on `code`, never on message text.
 */

/** Base class of every redrive error. */
export class RedriveError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;
  /** The HTTP status this error maps to. */
  readonly status: number;
  /** Optional structured details (field name, ids, ...). */
  readonly details?: Record<string, unknown>;

  constructor(
    code: string,
    status: number,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = options?.details;
  }
}

/** The entity does not exist (404). */
export class NotFoundError extends RedriveError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('NOT_FOUND', 404, message, { details });
  }
}

/**
 * The entity is not in a state that allows the change (409): a stale fencing token, a dead letter
 * already being replayed, a stale generation.
 */
export class StateConflictError extends RedriveError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('STATE_CONFLICT', 409, message, { details });
  }
}

/** Input failed validation (400). `field` names the offending option or payload path. */
export class ValidationError extends RedriveError {
  readonly field: string;
  /** @param details more structured details (a schema's `issues`, …); `field` is always set */
  constructor(field: string, message: string, details?: Record<string, unknown>) {
    super('VALIDATION_FAILED', 400, `${field}: ${message}`, { details: { ...details, field } });
    this.field = field;
  }
}

/** The caller must slow down (429); retry after `retryAfterMs`. */
export class RateLimitedError extends RedriveError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super('RATE_LIMITED', 429, message, { details: { retryAfterMs } });
    this.retryAfterMs = retryAfterMs;
  }
}

/** The system is shedding load (503). */
export class BackpressureError extends RedriveError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('BACKPRESSURE', 503, message, { details });
  }
}

/** A replay handler failed (500). */
export class ReplayError extends RedriveError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('REPLAY_FAILED', 500, message, options);
  }
}

/** The store cannot be reached or refused the operation for an infrastructure reason (503). */
export class StoreUnavailableError extends RedriveError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('STORE_UNAVAILABLE', 503, message, options);
  }
}

/** A circuit breaker refused the call (503). */
export class CircuitOpenError extends RedriveError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CIRCUIT_OPEN', 503, message, { details });
  }
}

/** A job handler ran past its timeout. Retryable. */
export class JobTimeoutError extends RedriveError {
  constructor(timeoutMs: number) {
    super('JOB_TIMEOUT', 500, `job timed out after ${timeoutMs} ms`, { details: { timeoutMs } });
  }
}

/**
 * Thrown by a handler to say the job can never succeed: it goes to the dead-letter queue at once,
 * without further attempts.
 */
export class PermanentError extends RedriveError {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('PERMANENT_FAILURE', 500, message, options);
  }
}

/** 403: the caller's role is too low for the action. */
export class ForbiddenError extends RedriveError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('FORBIDDEN', 403, message, { details });
  }
}

/**
 * The queue or store was used after `close()` (503: the service is going away; a caller that
 * retries reaches a live instance, never this one again).
 */
export class ClosedError extends RedriveError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CLOSED', 503, message, { details });
  }
}

/** A wait the caller bounded (`timeoutMs`) ran out before its condition held (504). */
export class WaitTimeoutError extends RedriveError {
  constructor(message: string, timeoutMs: number) {
    super('WAIT_TIMEOUT', 504, message, { details: { timeoutMs } });
  }
}

/**
 * The lease of a running job was lost (another worker owns the job now); the attempt's result will
 * be discarded. A handler that lets it escape gets a retry, never a dead letter: the job is
 * already someone else's.
 */
export class LeaseLostError extends RedriveError {
  constructor(jobId: string) {
    super('LEASE_LOST', 409, `lost the lease of job ${jobId}; its result will be discarded`, {
      details: { jobId },
    });
  }
}
