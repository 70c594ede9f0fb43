/**
 * Builds the dead-letter record of a failed job: error details, fingerprint and the operator
 * hints. The store adds the job's payload and attempt history.
 */
import type { Random } from '../core/clock.js';
import { deadLetterFingerprint, FINGERPRINT_VERSION, stackWithCauses } from '../core/fingerprint.js';
import type { DeadLetterFromJob } from '../store/job-store.js';
import type { FingerprintMemo } from './fingerprint-memo.js';
import { createRedactor, type RedactOptions, type Redactor, redactSecrets } from './redact.js';

/** Dead-letter settings of a worker. */
export interface DeadLetterSettings {
  /** Domain recorded on the dead letter. Default: the queue name. */
  domain?: string;
  /** Replays allowed before an entry needs review. Default 2. */
  maxReplays?: number;
  /** Time until an unresolved entry expires. Default 72 h. */
  ttlMs?: number;
  /** The version of the handler code, recorded for forensics. */
  handlerVersion?: string;
  /**
   * Secret redaction of the job's payload in its dead letter (the job row itself is unchanged).
   * Default: the default secret keys; `false` stores the payload as it is.
   */
  redact?: RedactOptions | false;
}

/** Default dead-letter settings. */
export const DEAD_LETTER_DEFAULTS = { maxReplays: 2, ttlMs: 72 * 3600_000 } as const;

/** A time-sortable random id. */
export function newDeadLetterId(now: number, random: Random): string {
  return `dl_${now.toString(36).padStart(9, '0')}${random.id(6)}`;
}

const HINTS: Record<string, { hint: string; action: string }> = {
  permanent: {
    hint: 'The handler reported a permanent failure; fix the data or the code before replaying.',
    action: 'inspect_and_fix',
  },
  retries_exhausted: {
    hint: 'Every attempt failed with a retryable error; check the downstream it calls, then replay.',
    action: 'replay_when_healthy',
  },
  timeout: {
    hint: 'The last attempt timed out; raise the timeout or speed up the handler.',
    action: 'tune_timeout',
  },
  rate_limit_exhausted: {
    hint: 'The downstream kept rate-limiting; replay slowly (throttled batch replay).',
    action: 'replay_throttled',
  },
  poison_pill: {
    hint: 'The job repeatedly killed or hung its worker; reproduce it in isolation before replaying.',
    action: 'investigate_crash',
  },
};

/** Builds a job's dead letter from the error that ended it. */
export function buildJobDeadLetter(params: {
  queue: string;
  failureType: string;
  error: unknown;
  workerId: string | null;
  settings: DeadLetterSettings;
  now: number;
  firstFailedAt: number;
  random: Random;
  /** The caller's memo of recent fingerprints (a worker's); computed afresh without one. */
  fingerprints?: FingerprintMemo;
}): DeadLetterFromJob {
  const error = params.error instanceof Error ? params.error : new Error(String(params.error));
  const errorClass = error.name || error.constructor?.name || 'Error';
  const code = (error as { code?: unknown }).code;
  const errorCode = typeof code === 'string' || typeof code === 'number' ? String(code) : null;
  const errorStack = stackWithCauses(error);
  const hints = HINTS[params.failureType];
  const fingerprintInput = {
    errorClass,
    errorCode,
    errorMessage: error.message,
    errorStack,
    failureType: params.failureType,
  };
  return {
    id: newDeadLetterId(params.now, params.random),
    domain: params.settings.domain ?? params.queue,
    failureType: params.failureType,
    entityType: null,
    entityId: null,
    userId: null,
    errorClass,
    errorCode,
    errorMessage: error.message,
    errorStack,
    fingerprint: params.fingerprints
      ? params.fingerprints.fingerprint(fingerprintInput)
      : deadLetterFingerprint(fingerprintInput),
    fingerprintVersion: FINGERPRINT_VERSION,
    snapshot: null,
    requestData: null,
    responseData: null,
    metadata: {},
    nextActionHint: hints?.hint ?? null,
    recommendedAction: hints?.action ?? null,
    workerId: params.workerId,
    handlerVersion: params.settings.handlerVersion ?? null,
    maxReplays: params.settings.maxReplays ?? DEAD_LETTER_DEFAULTS.maxReplays,
    firstFailedAt: params.firstFailedAt,
    deadLetteredAt: params.now,
    expiresAt: params.now + (params.settings.ttlMs ?? DEAD_LETTER_DEFAULTS.ttlMs),
    ...redaction(params.settings),
  };
}

const redactors = new WeakMap<RedactOptions, Redactor>();

/** The payload transform the store applies (built once per settings object). */
function redaction(settings: DeadLetterSettings): { redactPayload?: Redactor } {
  if (settings.redact === false) return {};
  if (settings.redact === undefined) return { redactPayload: redactSecrets };
  let redactor = redactors.get(settings.redact);
  if (!redactor) {
    redactor = createRedactor(settings.redact);
    redactors.set(settings.redact, redactor);
  }
  return { redactPayload: redactor };
}
