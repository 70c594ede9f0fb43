/**
 * Recovery of ResilientRedis: the half-open PING probe, and the flush of the write buffer once the
 * circuit closes (FIFO, one entry at a time, through a token bucket, stopping at the first failure).
 */

import type { CircuitBreaker, CircuitStateChange } from '../core/circuit-breaker.js';
import { type Clock, intervalNow, type TimerHandle } from '../core/clock.js';
import { TokenBucket } from '../core/rate-limit/token-bucket.js';
import type { TypedEmitter } from '../events.js';
import { classifyRedisFailure } from '../redis/failure.js';
import { RedisTimeoutError } from '../redis/timeout.js';
import { type RedisLike, resetConnection } from './client.js';
import type { RedisCommand } from './command-classes.js';
import type { LiveCounters, ResilientRedisEvents } from './events.js';
import { sendEntry } from './send-entry.js';
import type { Timing } from './timing.js';
import { type BufferedEntry, describeCommands, type WriteBuffer } from './write-buffer.js';

/** What recovery shares with ResilientRedis. */
export interface RecoveryContext {
  client: RedisLike;
  breaker: CircuitBreaker;
  buffer: WriteBuffer;
  clock: Clock;
  timing: Timing;
  counters: LiveCounters;
  emitter: TypedEmitter<ResilientRedisEvents>;
  commandTimeoutMs: number;
  probeTimeoutMs: number;
  reconnectOnTimeout: boolean;
  flush: { ratePerSecond: number; burst: number };
  /** Counts and emits an ambiguous outcome. */
  reportAmbiguous(command: string, error: unknown, id: number, willResend: boolean): void;
}

/** `true` when the circuit lets calls through. */
export function circuitAllows(breaker: CircuitBreaker): boolean {
  const name = breaker.state.name;
  return name === 'closed' || name === 'disabled';
}

/** Probes in half-open and flushes the buffer after recovery. */
export class Recovery {
  private readonly bucket: TokenBucket;
  private readonly unsubscribe: () => void;
  private probeTimer: TimerHandle | undefined;
  private probing = false;
  private draining: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly ctx: RecoveryContext) {
    this.bucket = new TokenBucket({
      capacity: ctx.flush.burst,
      refillPerSecond: ctx.flush.ratePerSecond,
      clock: ctx.clock,
    });
    this.unsubscribe = ctx.breaker.onStateChange((change) => this.onStateChange(change));
    const state = ctx.breaker.state;
    if (state.name === 'open') this.scheduleProbe(state.reopenAt - ctx.clock.now());
  }

  /** The buffer is being flushed now. */
  get flushing(): boolean {
    return this.draining !== undefined;
  }

  /** Starts flushing if the circuit is closed and the buffer holds writes (no-op otherwise). */
  kick(): void {
    if (this.draining || this.stopped || this.ctx.buffer.size === 0 || !circuitAllows(this.ctx.breaker))
      return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** Stops probing and flushing (an entry being sent finishes). */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    if (this.probeTimer !== undefined) this.ctx.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private onStateChange(change: CircuitStateChange): void {
    this.ctx.counters.stateChanges++;
    this.ctx.emitter.emit('state', change);
    const to = change.to;
    if (to.name === 'open') this.scheduleProbe(to.reopenAt - this.ctx.clock.now());
    else if (to.name === 'half_open') queueMicrotask(() => void this.probe());
    else if (to.name === 'closed' || to.name === 'disabled') queueMicrotask(() => this.kick());
  }

  private scheduleProbe(delayMs: number): void {
    if (this.stopped) return;
    if (this.probeTimer !== undefined) this.ctx.clock.clearTimeout(this.probeTimer);
    this.probeTimer = this.ctx.clock.setTimeout(
      () => {
        this.probeTimer = undefined;
        void this.probe();
      },
      Math.max(0, delayMs),
    );
  }

  /** One PING in half-open: only its success closes the circuit (which starts the flush). */
  private async probe(): Promise<void> {
    const { breaker, clock, counters, emitter } = this.ctx;
    if (this.probing || this.stopped) return;
    const state = breaker.state;
    if (state.name === 'open') return this.scheduleProbe(state.reopenAt - clock.now());
    if (state.name !== 'half_open') return;
    const permit = breaker.tryAcquire();
    if (!permit) return;
    this.probing = true;
    counters.probes++;
    const started = intervalNow(clock);
    try {
      await this.ctx.timing.timed(this.ctx.client.call('ping'), this.ctx.probeTimeoutMs);
      permit.success();
      emitter.emit('probe', { ok: true, durationMs: intervalNow(clock) - started });
    } catch (error) {
      counters.probeFailures++;
      permit.failure(error);
      emitter.emit('probe', { ok: false, durationMs: intervalNow(clock) - started, error });
      this.dropStuckConnection(error);
    } finally {
      this.probing = false;
    }
    if (breaker.state.name === 'half_open') queueMicrotask(() => void this.probe());
  }

  /**
   * A command that timed out on a connection that still looks up is stuck behind a dead peer (no
   * FIN, no RST): reset it so that ioredis reconnects, and what was sent on it and not yet received
   * dies with it (a graceful close would let those bytes reach Redis later; see
   * {@link resetConnection}).
   */
  private dropStuckConnection(error: unknown): void {
    const { client } = this.ctx;
    if (this.ctx.reconnectOnTimeout && error instanceof RedisTimeoutError && client.status === 'ready') {
      resetConnection(client);
    }
  }

  private async drain(): Promise<void> {
    const { buffer, breaker, emitter } = this.ctx;
    let flushed = 0;
    while (!this.stopped && buffer.size > 0 && circuitAllows(breaker)) {
      const wait = this.bucket.retryAfterMs(1);
      if (wait > 0) {
        await this.ctx.timing.sleep(wait);
        continue;
      }
      this.bucket.tryTake(1);
      const entry = buffer.peek();
      if (!entry || !(await this.flushEntry(entry))) return;
      flushed++;
    }
    if (flushed > 0 && buffer.size === 0) emitter.emit('buffer.drained', { flushed, replayed: flushed });
  }

  /** Sends the head entry; `false` when the flush must stop (the circuit was reopened). */
  private async flushEntry(entry: BufferedEntry): Promise<boolean> {
    const { buffer, breaker, client, clock, counters, emitter } = this.ctx;
    const desc = describeCommands(entry.kind, entry.commands);
    const permit = breaker.tryAcquire();
    if (!permit) return false;
    const status = client.status;
    entry.attempts++;
    try {
      const reply = await this.ctx.timing.timed(
        sendEntry(client, entry.kind, entry.commands as RedisCommand[]),
        this.ctx.commandTimeoutMs,
      );
      permit.success();
      buffer.shift(entry.id);
      counters.flushed++;
      const flushed = { id: entry.id, command: desc, waitedMs: clock.now() - entry.bufferedAt };
      emitter.emit('buffer.flushed', flushed);
      emitter.emit('buffer.replayed', flushed);
      if (entry.kind === 'transaction' && Array.isArray(reply)) {
        for (const [error] of reply as [Error | null, unknown][]) {
          if (error) this.emitFlushError({ id: entry.id, command: desc, error });
        }
      }
      return true;
    } catch (error) {
      const failure = classifyRedisFailure(error, status);
      if (failure === 'reply') {
        // Redis refused this write for its own reasons: retrying cannot help, and it must not block the rest.
        permit.success();
        buffer.shift(entry.id);
        counters.flushErrors++;
        this.emitFlushError({ id: entry.id, command: desc, error: error as Error });
        return true;
      }
      permit.failure(error);
      let kept = true;
      if (failure === 'ambiguous') {
        // It may have been applied: a non-idempotent write is never sent again.
        kept = !entry.atMostOnce;
        if (!kept) buffer.shift(entry.id);
        this.ctx.reportAmbiguous(desc, error, entry.id, kept);
      }
      counters.flushFailures++;
      const failed = { id: entry.id, command: desc, error, kept };
      emitter.emit('buffer.flush_failed', failed);
      emitter.emit('buffer.replay_failed', failed);
      breaker.trip('flush_failed');
      this.dropStuckConnection(error);
      return false;
    }
  }

  /** Redis answered a flushed write with an error (under its new and its deprecated event name). */
  private emitFlushError(event: ResilientRedisEvents['buffer.flush_error']): void {
    this.ctx.emitter.emit('buffer.flush_error', event);
    this.ctx.emitter.emit('buffer.replay_error', event);
  }
}
