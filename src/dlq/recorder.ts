/**
 * The capture side of the dead-letter queue: builds records (validated, fingerprinted, redacted),
 * writes them in group commits, falls back to the JSONL file when the store fails, recovers that
 * file later, and counts and announces every outcome.
 */
import type { Clock, Random } from '../core/clock.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { Redactor } from '../dead-letter-record/redact.js';
import type { TypedEmitter } from '../events.js';
import type { Store } from '../store/store.js';
import { buildDeadLetter, DeadLetterWriter, type FailureInput, type WriteOutcome } from './capture.js';
import type { DeadLetterQueueEvents, DeadLetterQueueMetrics } from './events.js';
import { FallbackFile, type FallbackRecoveryResult } from './fallback.js';
import type { DeadLetterQueueConfig } from './options.js';
import { type PayloadSealer, SEALED_PAYLOAD_KEY } from './sealed-payload.js';

/** The result of {@link DeadLetterQueue.store}. */
export interface StoreFailureResult {
  /** The record is durable: in the store, or (when the store failed) in the fallback file. */
  success: boolean;
  /**
   * The record's id: one that exists in the store (or the fallback file). In `async` mode the
   * record is not written yet: `id` is the one it will get unless it turns out to be a duplicate.
   */
  id: string | null;
  /** Why the store write failed (null when it did not). */
  error: string | null;
  /** The fallback file the record went to, when the store write failed. */
  fallbackPath: string | null;
  /**
   * False when the failure matched an existing record (the same `id`, or the same `jobId`):
   * nothing was written and `id` is the existing record's (null if it could not be read back).
   */
  created: boolean;
  /** True in fire-and-forget mode: the write is under way (see `flush()`). */
  queued: boolean;
}

/** Records failures for a `DeadLetterQueue`. */
export class FailureRecorder {
  private readonly fallback: FallbackFile | null;
  private readonly writer: DeadLetterWriter;

  constructor(
    private readonly backing: Store,
    private readonly config: DeadLetterQueueConfig,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly redactor: Redactor | null,
    private readonly emitter: TypedEmitter<DeadLetterQueueEvents>,
    private readonly metrics: DeadLetterQueueMetrics,
    private readonly sealer: PayloadSealer | null = null,
  ) {
    this.fallback = config.fallbackPath === false ? null : new FallbackFile(config.fallbackPath);
    this.writer = new DeadLetterWriter(backing, this.fallback, () => clock.now());
  }

  /** The fallback file path, or null when disabled. */
  get fallbackPath(): string | null {
    return this.fallback?.path ?? null;
  }

  /**
   * Records a failed operation. Secrets are redacted and the error fingerprinted before anything
   * is written. In `sync` mode resolves once the record is durable (store or fallback file); in
   * `async` mode resolves at once. If neither the store nor the fallback file takes the record, a
   * sync call rejects with `StoreUnavailableError` and an async one emits `dead_letter.lost`.
   *
   * @throws ValidationError naming the offending field
   */
  async store(failure: FailureInput, options: { mode?: 'sync' | 'async' } = {}): Promise<StoreFailureResult> {
    if (!this.config.enabled) {
      return {
        success: false,
        id: null,
        error: 'the dead-letter queue is disabled',
        fallbackPath: null,
        created: false,
        queued: false,
      };
    }
    const record = buildDeadLetter(failure, {
      now: this.clock.now(),
      random: this.random,
      redact: this.redactor,
      maxReplays: this.config.maxReplayAttempts,
      ttlMs: this.config.expiryHours * 3_600_000,
      identity: this.config.identity,
      handlerVersion: this.config.handlerVersion,
    });
    // After redaction: the sealed original is added to the record, never redacted or shown.
    if (this.sealer && failure.payload !== undefined) {
      record.metadata[SEALED_PAYLOAD_KEY] = this.sealer.seal(record.id, failure.payload);
    }
    const written = this.writer
      .write(record)
      .then((outcome) => this.account(record.id, record.domain, record.failureType, outcome));
    if ((options.mode ?? this.config.mode) === 'async') {
      return { success: true, id: record.id, error: null, fallbackPath: null, created: true, queued: true };
    }
    const outcome = await written;
    switch (outcome.kind) {
      case 'stored':
        return {
          success: true,
          id: outcome.id,
          error: null,
          fallbackPath: null,
          created: outcome.created,
          queued: false,
        };
      case 'fallback':
        return {
          success: true,
          id: record.id,
          error: outcome.error.message,
          fallbackPath: outcome.path,
          created: true,
          queued: false,
        };
      default:
        throw new StoreUnavailableError(
          `dead letter ${record.id} could not be stored (${outcome.error.message}) nor written to the fallback file (${outcome.fallbackError?.message ?? 'disabled'})`,
          { cause: outcome.error, details: { id: record.id } },
        );
    }
  }

  private account(id: string, domain: string, failureType: string, outcome: WriteOutcome): WriteOutcome {
    if (outcome.kind === 'stored' && !outcome.created) {
      this.metrics.duplicates++;
    } else if (outcome.kind === 'stored') {
      this.metrics.stored++;
      if (this.emitter.hasListeners('dead_letter.stored'))
        this.emitter.emit('dead_letter.stored', { id, domain, failureType });
    } else if (outcome.kind === 'fallback') {
      this.metrics.storeFailures++;
      this.metrics.fallbackWrites++;
      this.emitter.emit('dead_letter.fallback', { id, path: outcome.path, error: outcome.error });
    } else {
      this.metrics.storeFailures++;
      this.metrics.lost++;
      this.emitter.emit('dead_letter.lost', {
        id,
        error: outcome.error,
        fallbackError: outcome.fallbackError,
      });
    }
    return outcome;
  }

  /** Resolves when every `store()` call so far has settled (for fire-and-forget mode and shutdown). */
  flush(): Promise<void> {
    return this.writer.drain();
  }

  /**
   * Imports the fallback file into the store (call it once the store is healthy again).
   * Idempotent by id: a crash mid-import, or a second call, duplicates nothing.
   */
  async recoverFallback(options: { batchSize?: number } = {}): Promise<FallbackRecoveryResult> {
    if (!this.fallback) {
      return { imported: 0, duplicates: 0, rejected: 0, rejectedPath: null, files: [] };
    }
    const result = await this.fallback.recover(
      async (records) =>
        (await this.backing.insertDeadLetters({ deadLetters: records, now: this.clock.now() })).ids,
      options.batchSize ?? 500,
    );
    this.metrics.fallbackRecovered += result.imported;
    this.metrics.fallbackDuplicates += result.duplicates;
    this.metrics.fallbackRejected += result.rejected;
    if (result.files.length > 0) {
      this.emitter.emit('dead_letter.fallback_recovered', {
        imported: result.imported,
        duplicates: result.duplicates,
        rejected: result.rejected,
        path: this.fallback.path,
      });
    }
    return result;
  }
}
