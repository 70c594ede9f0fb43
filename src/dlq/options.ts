/**
 * Dead-letter queue options: defaults (from the seed: retention 30 days, expiry 72 h, two replay
 * attempts, batch size 10) and validation at the boundary, with messages that name the field.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock, Random } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import type { RedactOptions } from '../dead-letter-record/redact.js';
import type { Store } from '../store/store.js';
import type { ReplayRegistry } from './replay-registry.js';
import type { SealedPayloadOptions } from './sealed-payload.js';

/** An operator action that {@link DeadLetterQueueOptions.authorize} may refuse. */
export interface OperatorAction {
  action: 'retry' | 'force_redrive' | 'resolve' | 'purge' | 'replay_batch';
  actor: string;
  ids: readonly string[];
}

/** Options of `DeadLetterQueue`. */
export interface DeadLetterQueueOptions {
  store: Store;
  /** When false, `store()` records nothing and reports `success: false`. Default true. */
  enabled?: boolean;
  /** Resolved and expired entries are archived, and archived ones purged, after this many days. Default 30. */
  retentionDays?: number;
  /** An entry nobody resolved expires this many hours after it was dead-lettered. Default 72. */
  expiryHours?: number;
  /** Replays an entry may spend before it needs review; also the fresh budget of a force-redrive. Default 2. */
  maxReplayAttempts?: number;
  /** Batch replay leaves an entry alone for this long after a failed replay. Default 60 000 ms. */
  retryDelayMs?: number;
  /** Entries per batch replay (and per health check of a throttled one). Default 10. */
  batchSize?: number;
  /** Rows per statement of retention sweeps (expire, archive, purge). Default 1000. */
  maintenanceBatchSize?: number;
  /** Ids per transaction of `resolveBatch`. Default 500. */
  resolveChunkSize?: number;
  /** A `replaying` entry older than this is considered abandoned by a dead replayer. Default 15 min. */
  stuckReplayMs?: number;
  /**
   * The local JSONL file a record goes to when the store write fails. Default
   * `.redrive/dead-letter-fallback.jsonl` under the working directory; `false` disables it.
   */
  fallbackPath?: string | false;
  /** Secret redaction (payload, snapshot, request/response data, metadata). `false` disables it. */
  redact?: RedactOptions | false;
  /**
   * Keeps the original payload of `store()` entries for replay, encrypted (AES-256-GCM) with your
   * keys: every read shows the redacted payload, a replay handler gets the original. Keys by id
   * (32 bytes each) and the id new entries use; keep old ids listed until their entries are gone.
   */
  sealedPayloads?: SealedPayloadOptions;
  /** How long an entry may stay open before it breaches its SLA, per domain. */
  sla?: { defaultMs?: number; domains?: Record<string, number> };
  /** `sync` (default): `store()` resolves once the record is durable; `async`: fire-and-forget. */
  mode?: 'sync' | 'async';
  /** Recorded as `workerId` on captured failures that name none. Default host:pid. */
  identity?: string;
  /** Recorded as `handlerVersion` on captured failures that name none. */
  handlerVersion?: string;
  /** Replay handlers by domain or queue. Default: an empty registry (queue jobs re-enqueue). */
  replayHandlers?: ReplayRegistry;
  /** Checks operator actions (e.g. force-redrive is admin-only); return false to refuse (403). */
  authorize?: (action: OperatorAction) => boolean | Promise<boolean>;
  clock?: Clock;
  random?: Random;
}

const positiveInt = z.number().int().positive();
const positiveMs = z.number().finite().positive();

const schema = z.object({
  enabled: z.boolean().default(true),
  retentionDays: z.number().positive().max(36_500).default(30),
  expiryHours: z.number().positive().max(876_000).default(72),
  maxReplayAttempts: positiveInt.max(1000).default(2),
  retryDelayMs: z.number().finite().min(0).default(60_000),
  batchSize: positiveInt.max(1000).default(10),
  maintenanceBatchSize: positiveInt.max(100_000).default(1000),
  resolveChunkSize: positiveInt.max(10_000).default(500),
  stuckReplayMs: positiveMs.default(15 * 60_000),
  fallbackPath: z.union([z.string().min(1), z.literal(false)]).optional(),
  sla: z
    .object({
      defaultMs: positiveMs.optional(),
      domains: z.record(z.string(), positiveMs).optional(),
    })
    .optional(),
  mode: z.enum(['sync', 'async']).default('sync'),
  identity: z.string().min(1).max(200).optional(),
  handlerVersion: z.string().min(1).max(200).optional(),
});

/** The validated configuration. */
export type DeadLetterQueueConfig = z.output<typeof schema> & {
  fallbackPath: string | false;
  identity: string;
  sla: { defaultMs?: number; domains: Record<string, number> };
};

/** Default dead-letter settings. */
export const DLQ_DEFAULTS = {
  retentionDays: 30,
  expiryHours: 72,
  maxReplayAttempts: 2,
  retryDelayMs: 60_000,
  batchSize: 10,
  maintenanceBatchSize: 1000,
  resolveChunkSize: 500,
} as const;

/** The default fallback file. */
export function defaultFallbackPath(): string {
  return join(process.cwd(), '.redrive', 'dead-letter-fallback.jsonl');
}

/**
 * Validates options and applies defaults.
 *
 * @throws ValidationError naming the offending field
 */
export function resolveDeadLetterQueueOptions(options: DeadLetterQueueOptions): DeadLetterQueueConfig {
  if (!options || typeof options.store?.insertDeadLetters !== 'function') {
    throw new ValidationError('store', 'a Store is required (for example new SqliteStore({ path }))');
  }
  const {
    store: _store,
    redact: _redact,
    replayHandlers: _handlers,
    authorize,
    clock: _clock,
    random: _random,
    ...rest
  } = options;
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new ValidationError('authorize', 'must be a function');
  }
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(issue?.path.join('.') || 'options', issue?.message ?? 'invalid');
  }
  const value = parsed.data;
  return {
    ...value,
    fallbackPath: value.fallbackPath ?? defaultFallbackPath(),
    identity: value.identity ?? `${hostname()}:${process.pid}`,
    sla: { defaultMs: value.sla?.defaultMs, domains: value.sla?.domains ?? {} },
  };
}
