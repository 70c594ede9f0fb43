/**
 * The StreamProcessor's local work: the messages it holds, the handler slots, timeouts, outcomes
 * (ack, retry, dead letter) and batched acks. Redis calls go through the writer connection the
 * processor provides.
 */

import type { Clock, TimerHandle } from '../core/clock.js';
import { JobTimeoutError, PermanentError } from '../core/errors.js';
import type { TypedEmitter } from '../events.js';
import type { RedisClient } from '../redis/client-options.js';
import { withTimeout } from '../redis/timeout.js';
import { loadTracing } from '../telemetry/load.js';
import type { TelemetryOptions } from '../telemetry/options.js';
import type { AttemptOutcome, Tracing } from '../telemetry/tracing.js';
import { AckBatcher } from './acks.js';
import { setIdle } from './claims.js';
import { type DlqTarget, moveToDlq } from './dead-letters.js';
import { failureReason, type RawEntry } from './entries.js';
import { ClaimLostError, ProcessorStoppingError } from './errors.js';
import { HeldMessage, type LazyMessage } from './held.js';
import type { ResolvedStreamOptions } from './options.js';
import type { FieldValue, StreamHandler, StreamProcessorEvents, StreamProcessorStats } from './types.js';

/** The message fields that carry a producer's trace context (W3C Trace Context). */
const TRACE_FIELDS = ['traceparent', 'tracestate'] as const;

/** Failure reasons remembered for messages that may come back through a reclaim. */
const MAX_REMEMBERED_FAILURES = 10_000;

/** Lifetime counters (the processor adds the local state to them). */
export type StreamCounters = Omit<StreamProcessorStats, 'consumer' | 'running' | 'active' | 'held'>;

/** What the dispatcher needs from the processor. */
export interface DispatchContext {
  readonly opts: ResolvedStreamOptions;
  /** The handler, given values as strings or Buffers per the target's `binary`. */
  readonly handler: StreamHandler<FieldValue>;
  readonly clock: Clock;
  readonly emitter: TypedEmitter<StreamProcessorEvents>;
  readonly counters: StreamCounters;
  readonly target: DlqTarget;
  writer(): RedisClient;
  isRunning(): boolean;
  report(operation: string, error: unknown): void;
  /** `{ tracing: true }`: a consumer span per handler run. */
  telemetry?: TelemetryOptions | undefined;
}

/** Holds messages, runs handlers, and settles their outcomes. */
export class Dispatcher {
  /** Messages held by id: queued, running, or awaiting their ack. */
  readonly held = new Map<string, HeldMessage>();
  /** Handlers running now. */
  active = 0;
  private queue: HeldMessage[] = [];
  private queueHead = 0;
  private watchdog: TimerHandle | undefined;
  private roomWaiter: (() => void) | undefined;
  private readonly failures = new Map<string, string>();
  readonly acks: AckBatcher;
  /** Spans for handler runs, once the OpenTelemetry API has loaded (undefined: tracing off). */
  private tracing: Tracing | undefined;
  /** Settles once tracing is ready (or off, or unavailable); the processor waits for it in `start`. */
  readonly tracingReady: Promise<unknown>;

  constructor(private readonly ctx: DispatchContext) {
    const { opts } = ctx;
    this.tracingReady =
      loadTracing(ctx.telemetry)?.then((tracing) => {
        this.tracing = tracing ?? undefined;
      }) ?? Promise.resolve();
    this.acks = new AckBatcher(
      (ids) =>
        withTimeout(ctx.writer().xack(opts.stream, opts.group, ...ids), opts.operationTimeoutMs, 'XACK').then(
          () => {},
        ),
      (ids) => {
        ctx.counters.acked += ids.length;
        for (const id of ids) this.release(id);
      },
      (error) => ctx.report('ack', error),
      opts.batchSize,
      ctx.clock,
    );
  }

  /** Resolves when a held message is released (or on {@link Dispatcher.wake}). */
  waitForRoom(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.roomWaiter = resolve;
    });
  }

  /** Ends a {@link Dispatcher.waitForRoom} now. */
  wake(): void {
    const waiter = this.roomWaiter;
    this.roomWaiter = undefined;
    waiter?.();
  }

  /** The failure reason remembered for a message that may come back through a reclaim. */
  failureOf(id: string): string | undefined {
    return this.failures.get(id);
  }

  /** Another consumer took the message: abort its handler, stop holding it. */
  loseClaim(held: HeldMessage): void {
    held.lost = true;
    this.abortHandler(held, new ClaimLostError(held.id));
    this.release(held.id);
  }

  /** Stops holding the messages not started yet; returns their ids. */
  takeQueued(): string[] {
    const ids: string[] = [];
    for (const [id, h] of this.held) if (h.phase === 'queued') ids.push(id);
    for (const id of ids) this.held.delete(id);
    return ids;
  }

  /** Stops the timeout watchdog and ack retries. */
  stop(): void {
    if (this.watchdog !== undefined) this.ctx.clock.clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.acks.stop();
  }

  /** Holds a message and queues it for a handler slot (unless already held). */
  admit(entry: RawEntry, attempt: number): void {
    const id = entry[0];
    if (this.held.has(id)) return;
    const held = new HeldMessage(
      id,
      this.ctx.opts.stream,
      entry[1],
      attempt,
      this.ctx.target.binary,
      this.ctx.opts.consumer,
    );
    this.held.set(id, held);
    this.queue.push(held);
  }

  pump(): void {
    while (this.active < this.ctx.opts.concurrency && this.queueHead < this.queue.length) {
      const held = this.queue[this.queueHead++] as HeldMessage;
      if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      if (!held.lost && held.phase === 'queued' && this.ctx.isRunning()) this.run(held);
    }
  }

  // --- handling -----------------------------------------------------------------------------

  private run(held: HeldMessage): void {
    held.phase = 'running';
    held.startedAt = this.ctx.clock.now();
    this.active++;
    let result: void | Promise<void>;
    try {
      result = this.tracing === undefined ? this.ctx.handler(held, held) : this.runTraced(this.tracing, held);
    } catch (error) {
      this.settle(held, error);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      this.armWatchdog();
      (result as Promise<void>).then(
        () => this.settle(held),
        (error: unknown) => this.settle(held, error ?? new Error('handler rejected with no reason')),
      );
    } else {
      this.settle(held);
    }
  }

  /**
   * Runs the handler inside a consumer span, a child of the trace context the message's
   * `traceparent` / `tracestate` fields carry (a new trace without them).
   */
  private runTraced(tracing: Tracing, held: HeldMessage): void | Promise<void> {
    const fields = held.fields;
    let headers: Record<string, string> | null = null;
    for (const name of TRACE_FIELDS) {
      const value = fields[name];
      if (value === undefined) continue;
      headers ??= {};
      headers[name] = value.toString();
    }
    const { span, context } = tracing.startProcess(held.stream, {
      id: held.id,
      attempt: held.attempt,
      headers,
    });
    held.span = span;
    return tracing.runIn(context, () => this.ctx.handler(held, held));
  }

  /** Ends a handler run's span, if it has one, with its outcome. */
  private endSpan(held: HeldMessage, outcome: AttemptOutcome, error?: unknown, failureType?: string): void {
    if (held.span === undefined) return;
    this.tracing?.endProcess(held.span, outcome, error, failureType);
    held.span = undefined;
  }

  /** Takes the handler's outcome (the first of: its result, a timeout, a lost claim, a stop). */
  private settle(held: HeldMessage, error?: unknown): void {
    if (held.settled) return;
    held.settled = true;
    this.active--;
    if (held.lost) {
      if (held.span !== undefined) this.endSpan(held, 'lease_lost', error);
      this.pump();
      return;
    }
    if (error === undefined) {
      if (held.span !== undefined) this.endSpan(held, 'completed');
      this.ctx.counters.processed++;
      if (this.ctx.emitter.hasListeners('processed')) {
        const m = held;
        this.ctx.emitter.emit('processed', {
          id: m.id,
          attempt: m.attempt,
          durationMs: this.ctx.clock.now() - held.startedAt,
        });
      }
      held.phase = 'acking';
      this.acks.add(held.id);
    } else {
      void this.failed(held, error);
    }
    this.pump();
  }

  /** The held messages whose handlers run now (a snapshot). */
  runningHandlers(): HeldMessage[] {
    const out: HeldMessage[] = [];
    for (const h of this.held.values()) if (h.phase === 'running' && !h.settled) out.push(h);
    return out;
  }

  abortHandler(held: HeldMessage, reason: Error): void {
    held.abort(reason);
    if (held.phase === 'running') this.settle(held, reason);
  }

  /** One timer for every running handler: aborts those past `handlerTimeoutMs`. */
  private armWatchdog(): void {
    if (this.watchdog !== undefined) return;
    const timeout = this.ctx.opts.handlerTimeoutMs;
    const step = Math.min(1000, Math.max(5, Math.floor(timeout / 20)));
    this.watchdog = this.ctx.clock.setTimeout(() => {
      this.watchdog = undefined;
      const now = this.ctx.clock.now();
      for (const held of this.runningHandlers()) {
        if (now - held.startedAt >= timeout) this.abortHandler(held, new JobTimeoutError(timeout));
      }
      if (this.active > 0) this.armWatchdog();
    }, step);
  }

  private async failed(held: HeldMessage, error: unknown): Promise<void> {
    const message = held;
    const err = error instanceof Error ? error : new Error(String(error));
    if (err instanceof ProcessorStoppingError) {
      if (held.span !== undefined) this.endSpan(held, 'abandoned', err);
      // Not the message's fault: hand it back so that another consumer takes it at once.
      await setIdle(this.ctx.writer(), this.ctx.target, [message.id], this.ctx.opts.claimMinIdleMs).catch(
        () => {},
      );
      this.release(message.id);
      return;
    }
    this.ctx.counters.failed++;
    if (err instanceof JobTimeoutError) this.ctx.counters.timeouts++;
    const reason = failureReason(err);
    const permanent = err instanceof PermanentError;
    const exhausted = permanent || message.attempt >= this.ctx.opts.maxRetries + 1;
    if (held.span !== undefined) {
      const failureType = permanent ? 'permanent' : 'retries_exhausted';
      this.endSpan(held, exhausted ? 'dead_lettered' : 'retried', err, exhausted ? failureType : undefined);
    }
    this.ctx.emitter.emit('failed', {
      id: message.id,
      attempt: message.attempt,
      error: err,
      willRetry: !exhausted,
    });
    if (exhausted) {
      await this.deadLetter(message, reason, message.attempt);
      return;
    }
    this.ctx.counters.retried++;
    this.remember(message.id, reason);
    if (this.ctx.opts.retryDelayMs !== undefined) {
      const idle = this.ctx.opts.claimMinIdleMs - this.ctx.opts.retryDelayMs;
      await setIdle(this.ctx.writer(), this.ctx.target, [message.id], idle).catch((e: unknown) =>
        this.ctx.report('retry delay', e),
      );
    }
    // Still pending for this consumer: reclaimed (by anyone) once idle for claimMinIdleMs.
    this.release(message.id);
  }

  /**
   * Moves a message to the DLQ (MULTI/EXEC with its XACK). A failed move is never resent: the
   * message, still pending, comes back through a reclaim and is dead-lettered then.
   */
  async deadLetter(message: LazyMessage, reason: string, attempts: number): Promise<void> {
    if (!this.held.has(message.id))
      this.held.set(message.id, HeldMessage.of(message, this.ctx.opts.consumer));
    try {
      const dlqId = await moveToDlq(this.ctx.writer(), this.ctx.target, message, {
        reason,
        attempts,
        at: this.ctx.clock.now(),
      });
      this.ctx.counters.deadLettered++;
      this.failures.delete(message.id);
      this.ctx.emitter.emit('dead_lettered', { id: message.id, dlqId, reason, attempts });
    } catch (error) {
      this.remember(message.id, reason);
      this.ctx.report('dead-letter', error);
    } finally {
      this.release(message.id);
    }
  }

  private remember(id: string, reason: string): void {
    this.failures.delete(id);
    this.failures.set(id, reason);
    if (this.failures.size > MAX_REMEMBERED_FAILURES) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  release(id: string): void {
    this.held.delete(id);
    const waiter = this.roomWaiter;
    if (waiter) {
      this.roomWaiter = undefined;
      waiter();
    }
  }
}
