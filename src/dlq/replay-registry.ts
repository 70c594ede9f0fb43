/**
 * Replay handlers: what "replay this dead letter" means, per queue or per domain. A handler that
 * resolves means the replay succeeded; one that throws means it failed. Dead letters of queue jobs
 * need no handler: by default they are re-enqueued into their queue with a fresh attempt budget
 * and a link back to the dead letter (`job.replayOf`).
 */
import type { Clock } from '../core/clock.js';
import type { DeadLetter } from '../core/dead-letter.js';
import { ReplayError, ValidationError } from '../core/errors.js';
import { containsRedaction } from '../dead-letter-record/redact.js';
import type { Store } from '../store/store.js';

/** What a handler gets besides the entry. */
export interface ReplayContext {
  store: Store;
  clock: Clock;
  /** Who asked for the replay (`system` for batch replays without an actor). */
  actor: string;
  /** True for a force-redrive. */
  forced: boolean;
}

/** What a handler may report. */
export interface ReplayOutcome {
  /** The job the replay enqueued, if any. */
  jobId?: string;
  /** Recorded as the resolution note. */
  note?: string;
}

/** Replays one dead letter. Resolve to succeed; throw to fail. */
export type ReplayHandler = (
  entry: DeadLetter,
  ctx: ReplayContext,
) => Promise<ReplayOutcome | undefined> | Promise<void>;

/** A handler and the name it was found under (`queue:emails`, `domain:payment`, `default:queue`). */
export interface ResolvedHandler {
  name: string;
  handler: ReplayHandler;
}

/** Options of {@link queueReplayHandler}. */
export interface QueueReplayOptions {
  /** Attempts of the re-enqueued job when the original job is gone. Default 3. */
  maxAttempts?: number;
  /** Delay before the re-enqueued job runs. Default 0. */
  delayMs?: number;
}

/**
 * The default replay of a job's dead letter: enqueues the job again into its queue, with a fresh
 * attempt budget, `replayOf` set to the dead letter's id and an idempotency key per replay (so a
 * retried replay never enqueues twice). The payload comes from the original job row, which holds
 * it unredacted; if that row was cleaned away and the dead letter's copy had secrets redacted, the
 * replay fails rather than run the job with `[REDACTED]` values.
 */
export function queueReplayHandler(options: QueueReplayOptions = {}): ReplayHandler {
  const maxAttempts = options.maxAttempts ?? 3;
  const delayMs = options.delayMs ?? 0;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new ValidationError('maxAttempts', 'must be a positive integer');
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new ValidationError('delayMs', 'must be >= 0');
  return async (entry, ctx) => {
    if (!entry.queue) throw new ReplayError(`dead letter ${entry.id} has no queue to re-enqueue into`);
    const original = entry.jobId ? await ctx.store.getJob({ id: entry.jobId }) : null;
    if (!original && containsRedaction(entry.payload)) {
      throw new ReplayError(
        `the original job of dead letter ${entry.id} is gone and the stored payload has redacted secrets; replay it with a handler of your own`,
      );
    }
    const now = ctx.clock.now();
    const [result] = await ctx.store.insertJobs({
      jobs: [
        {
          queue: entry.queue,
          name: entry.jobName ?? original?.name ?? 'replay',
          payloadJson: JSON.stringify((original ? original.payload : entry.payload) ?? null),
          priority: original?.priority ?? 1,
          runAt: now + delayMs,
          maxAttempts: original?.maxAttempts ?? maxAttempts,
          timeoutMs: original?.timeoutMs ?? null,
          backoff: original?.backoff ?? null,
          idempotencyKey: `redrive:replay:${entry.id}:${entry.replayCount}`,
          replayOf: entry.id,
          // The replay continues the original trace: the job's headers, or the dead letter's copy.
          headers: original ? original.headers : headersOf(entry.metadata),
        },
      ],
      now,
    });
    return { jobId: result?.id, note: `re-enqueued into ${entry.queue} as job ${result?.id}` };
  };
}

/** Replay handlers by queue and by domain. */
export class ReplayRegistry {
  private readonly byQueue = new Map<string, ReplayHandler>();
  private readonly byDomain = new Map<string, ReplayHandler>();
  private queueDefault: ReplayHandler | null;

  /** @param options.queueJobs the handler for job dead letters without a specific one; `false` for none */
  constructor(options: { queueJobs?: ReplayHandler | false } = {}) {
    this.queueDefault = options.queueJobs === false ? null : (options.queueJobs ?? queueReplayHandler());
  }

  /** Handles dead letters of this queue (takes precedence over domain handlers). */
  forQueue(queue: string, handler: ReplayHandler): this {
    assertHandler(handler);
    this.byQueue.set(queue, handler);
    return this;
  }

  /** Handles dead letters of this domain. */
  forDomain(domain: string, handler: ReplayHandler): this {
    assertHandler(handler);
    this.byDomain.set(domain, handler);
    return this;
  }

  /** The handler for an entry: its queue's, then its domain's, then the default for job dead letters. */
  resolve(entry: Pick<DeadLetter, 'queue' | 'domain' | 'jobName'>): ResolvedHandler | null {
    if (entry.queue !== null) {
      const q = this.byQueue.get(entry.queue);
      if (q) return { name: `queue:${entry.queue}`, handler: q };
    }
    const d = this.byDomain.get(entry.domain);
    if (d) return { name: `domain:${entry.domain}`, handler: d };
    if (entry.queue !== null && entry.jobName !== null && this.queueDefault)
      return { name: 'default:queue', handler: this.queueDefault };
    return null;
  }
}

function assertHandler(handler: unknown): void {
  if (typeof handler !== 'function') throw new ValidationError('handler', 'must be a function');
}

/** The job headers a dead letter kept in `metadata.headers` (see queue/job-failure.ts), if any. */
function headersOf(metadata: Record<string, unknown>): Record<string, string> | null {
  const headers = metadata.headers;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return null;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (typeof value === 'string') out[key] = value;
  return out;
}
