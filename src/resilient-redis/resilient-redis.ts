/**
 * ResilientRedis: an ioredis client behind the core circuit breaker, so that a Redis outage
 * degrades instead of failing every call.
 *
 * - Closed: commands go to Redis. Connection failures count against the breaker; Redis's own error
 *   replies (WRONGTYPE ...) do not.
 * - Open (or half-open, or while the buffer flushes): reads return their declared neutral
 *   fallback; idempotent writes go to a bounded FIFO write buffer and resolve to a
 *   {@link BufferedReply}; non-idempotent writes are refused, or buffered at-most-once with
 *   `bufferNonIdempotent`; other commands are refused with `CircuitOpenError`.
 * - Recovery: after `recoveryTimeoutMs` a PING probe (with a timeout) runs in half-open; only its
 *   success closes the circuit. The buffer then flushes in FIFO order, one entry at a time, through
 *   a token bucket. The first failure stops the flush with that entry kept at the front, and the
 *   circuit reopens. New writes queue behind the buffer until it is empty, so nothing overtakes.
 * - A command that was sent but got no reply is ambiguous: reported (`AmbiguousOutcomeError` for a
 *   live call, the `ambiguous` event for a flushed write) and never silently resent.
 * - Every promise returned settles within `commandTimeoutMs` (or at once, when buffered or answered
 *   by a fallback).
 */

import type { RedisOptions } from 'ioredis';
import type { CircuitBreaker } from '../core/circuit-breaker.js';
import { type Clock, intervalNow } from '../core/clock.js';
import { CircuitOpenError, StoreUnavailableError, ValidationError } from '../core/errors.js';
import { TypedEmitter } from '../events.js';
import { RedisTimeoutError } from '../redis/timeout.js';
import { assertResilientClient, createResilientRedisClient, type RedisLike } from './client.js';
import {
  CommandClassifier,
  classifyTransaction,
  type RedisArg,
  type RedisCommand,
} from './command-classes.js';
import { AmbiguousOutcomeError, NonIdempotentWriteRejectedError, WriteBufferFullError } from './errors.js';
import {
  BufferedReply,
  type LiveCounters,
  type ResilientRedisEvents,
  type ResilientRedisStats,
  zeroCounters,
} from './events.js';
import { type LiveFailure, LiveSender, rethrowReply } from './live.js';
import { type ResilientRedisOptions, resolveResilientRedisOptions } from './options.js';
import { circuitAllows, Recovery } from './recovery.js';
import { Timing } from './timing.js';
import { type BufferedEntry, type BufferedEntryKind, describeCommands, WriteBuffer } from './write-buffer.js';

/** Per-command results of a transaction, as ioredis gives them. */
export type TransactionReply = [error: Error | null, result: unknown][];

/** A Redis client that survives outages; see the module comment for the semantics. */
export class ResilientRedis {
  /** The wrapped client. Commands sent on it directly bypass the breaker and the buffer. */
  readonly client: RedisLike;
  /** The circuit breaker. */
  readonly breaker: CircuitBreaker;
  private readonly opts: ReturnType<typeof resolveResilientRedisOptions>;
  private readonly clock: Clock;
  private readonly buffer: WriteBuffer;
  private readonly classifier: CommandClassifier;
  private readonly emitter = new TypedEmitter<ResilientRedisEvents>();
  private readonly counters: LiveCounters = zeroCounters();
  private readonly ownsClient: boolean;
  private readonly timing: Timing;
  private readonly recovery: Recovery;
  private closed = false;
  private readonly sender: LiveSender;

  /**
   * @param client an ioredis client with `enableOfflineQueue: false` and
   *   `autoResendUnfulfilledCommands: false` (see {@link createResilientRedisClient})
   * @throws ValidationError naming the offending option or client setting
   */
  constructor(client: RedisLike, options: ResilientRedisOptions = {}, internal?: { ownsClient: boolean }) {
    assertResilientClient(client);
    this.client = client;
    this.opts = resolveResilientRedisOptions(options);
    this.clock = this.opts.clock;
    this.breaker = this.opts.breaker;
    this.buffer = new WriteBuffer({ ...this.opts.buffer, clock: this.clock });
    this.classifier = new CommandClassifier(this.opts.commands);
    this.ownsClient = internal?.ownsClient ?? false;
    this.timing = new Timing(this.clock, () => {
      this.counters.timeouts++;
    });
    this.sender = new LiveSender(client, this.breaker, this.timing, this.opts.commandTimeoutMs);
    this.recovery = new Recovery({
      client,
      breaker: this.breaker,
      buffer: this.buffer,
      clock: this.clock,
      timing: this.timing,
      counters: this.counters,
      emitter: this.emitter,
      commandTimeoutMs: this.opts.commandTimeoutMs,
      probeTimeoutMs: this.opts.probeTimeoutMs,
      reconnectOnTimeout: this.opts.reconnectOnTimeout,
      flush: this.opts.flush,
      reportAmbiguous: (command, error, id, willResend) => {
        this.ambiguous(command, 'flush', error, id, willResend);
      },
    });
  }

  /**
   * Creates an ioredis client with the required options and wraps it; `close()` quits it.
   *
   * @param target a `redis://` URL or ioredis options; `redis` adds ioredis options (db, retryStrategy ...)
   */
  static connect(
    target: string | RedisOptions | undefined,
    options: ResilientRedisOptions & { redis?: RedisOptions } = {},
  ): ResilientRedis {
    const { redis, ...rest } = options;
    const client = createResilientRedisClient(target, redis);
    // Connection errors are expected during outages; ResilientRedis reports what matters.
    client.on('error', () => {});
    return new ResilientRedis(client, rest, { ownsClient: true });
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof ResilientRedisEvents>(
    event: E,
    listener: (e: ResilientRedisEvents[E]) => void,
  ): () => void {
    return this.emitter.on(event, listener);
  }

  /**
   * Runs one command (any case). Reads answer with a fallback while Redis is unavailable; writes may
   * resolve to a {@link BufferedReply}.
   *
   * @throws ValidationError for connection-state commands (SELECT, MULTI, SUBSCRIBE, blocking reads ...)
   * @throws WriteBufferFullError, NonIdempotentWriteRejectedError, AmbiguousOutcomeError, CircuitOpenError
   * @throws Redis's own error reply (ReplyError), as ioredis does
   */
  async call(command: string, ...args: RedisArg[]): Promise<unknown> {
    this.assertUsable();
    if (typeof command !== 'string' || command.length === 0) throw new ValidationError('command', 'required');
    const name = command.toUpperCase();
    const cls = this.classifier.classify(name, args);
    this.counters.calls++;
    const cmd: RedisCommand = [name, ...args];
    switch (cls.kind) {
      case 'connection':
        throw new ValidationError('command', `${name}: ${cls.reason}`);
      case 'read':
        return this.read(cmd, cls.fallback);
      case 'write':
        return this.write('command', [cmd], !cls.idempotent);
      default:
        return this.passThrough('command', [cmd]);
    }
  }

  /**
   * Runs commands in one MULTI/EXEC. While Redis is unavailable a transaction with writes is
   * buffered and later flushed as one unit (at most once if it holds a non-idempotent write); a
   * read-only one answers with its reads' fallbacks.
   *
   * @returns each command's `[error, result]`, or a {@link BufferedReply}
   */
  async transaction(commands: readonly RedisCommand[]): Promise<TransactionReply | BufferedReply> {
    this.assertUsable();
    const {
      commands: normalized,
      writes,
      atMostOnce,
      unknown,
      fallbacks,
    } = classifyTransaction(this.classifier, commands);
    this.counters.calls++;
    const desc = describeCommands('transaction', normalized);
    if (unknown) return this.passThrough('transaction', normalized) as Promise<TransactionReply>;
    if (writes)
      return this.write('transaction', normalized, atMostOnce) as Promise<TransactionReply | BufferedReply>;
    if (this.isClosed() && this.buffer.size === 0) {
      try {
        return (await this.sender.send('transaction', normalized)) as TransactionReply;
      } catch (failure) {
        rethrowReply(failure);
      }
    }
    return normalized.map(([, ...args], i) => {
      const fb = fallbacks[i];
      if (!fb)
        throw new CircuitOpenError(`${desc}: Redis is unavailable and ${normalized[i]?.[0]} has no fallback`);
      this.counters.fallbacks++;
      return [null, fb(args)] as [Error | null, unknown];
    });
  }

  /**
   * Selects the database for the commands that follow. While writes are buffered it is buffered
   * too, so it applies in order with them; ioredis re-selects it after every reconnect.
   */
  async select(db: number): Promise<'OK' | BufferedReply> {
    this.assertUsable();
    if (!Number.isInteger(db) || db < 0)
      throw new ValidationError('db', `must be a non-negative integer, got ${db}`);
    const reply = await this.write('select', [['SELECT', db]], false, true);
    return reply instanceof BufferedReply ? reply : 'OK';
  }

  /** GET; `null` while Redis is unavailable. */
  get(key: string): Promise<string | null> {
    return this.call('GET', key) as Promise<string | null>;
  }
  /** MGET; one `null` per key while Redis is unavailable. */
  mget(...keys: string[]): Promise<(string | null)[]> {
    return this.call('MGET', ...keys) as Promise<(string | null)[]>;
  }
  /** EXISTS; 0 while Redis is unavailable. */
  exists(...keys: string[]): Promise<number> {
    return this.call('EXISTS', ...keys) as Promise<number>;
  }
  /** HGETALL; `{}` while Redis is unavailable. */
  hgetall(key: string): Promise<Record<string, string>> {
    return this.call('HGETALL', key) as Promise<Record<string, string>>;
  }
  /** SET (idempotent: buffered while Redis is unavailable). */
  set(key: string, value: RedisArg, ...options: RedisArg[]): Promise<'OK' | null | BufferedReply> {
    return this.call('SET', key, value, ...options) as Promise<'OK' | null | BufferedReply>;
  }
  /** DEL (idempotent). */
  del(...keys: string[]): Promise<number | BufferedReply> {
    return this.call('DEL', ...keys) as Promise<number | BufferedReply>;
  }
  /** HSET (idempotent). */
  hset(key: string, ...fieldValues: RedisArg[]): Promise<number | BufferedReply> {
    return this.call('HSET', key, ...fieldValues) as Promise<number | BufferedReply>;
  }
  /** INCR (not idempotent: refused while Redis is unavailable unless `bufferNonIdempotent`). */
  incr(key: string): Promise<number | BufferedReply> {
    return this.call('INCR', key) as Promise<number | BufferedReply>;
  }
  /** RPUSH (not idempotent). */
  rpush(key: string, ...values: RedisArg[]): Promise<number | BufferedReply> {
    return this.call('RPUSH', key, ...values) as Promise<number | BufferedReply>;
  }

  /** A snapshot: breaker, buffer and counters. */
  stats(): ResilientRedisStats {
    const breaker = this.breaker.stats();
    return {
      state: breaker.state,
      breaker,
      buffer: this.buffer.stats(),
      flushing: this.recovery.flushing,
      replaying: this.recovery.flushing,
      counters: {
        ...this.counters,
        replayed: this.counters.flushed,
        replayErrors: this.counters.flushErrors,
        replayFailures: this.counters.flushFailures,
      },
    };
  }

  /** The buffered writes, oldest first (copies of the entries). */
  bufferedWrites(): BufferedEntry[] {
    return this.buffer.entries();
  }

  /**
   * Resolves once the buffer is empty and the circuit closed, or after `timeoutMs` (default
   * `commandTimeoutMs`), whichever comes first.
   *
   * @returns whether the buffer is empty and the circuit closed
   */
  async settle(timeoutMs = this.opts.commandTimeoutMs): Promise<boolean> {
    // Elapsed time, not the wall clock: a clock stepped back must not stretch the wait by the step.
    const deadline = intervalNow(this.clock) + timeoutMs;
    while (!(this.buffer.size === 0 && this.isClosed() && !this.recovery.flushing)) {
      const left = deadline - intervalNow(this.clock);
      if (left <= 0 || this.closed) return false;
      await this.timing.sleep(Math.min(left, 10));
    }
    return true;
  }

  /**
   * Stops probing and flushing. Buffered writes still there after `drainTimeoutMs` (default 0)
   * are returned (and reported with `buffer.discarded`): they were never applied. Quits the client
   * when {@link ResilientRedis.connect} created it.
   */
  async close(options: { drainTimeoutMs?: number } = {}): Promise<BufferedEntry[]> {
    if (this.closed) return [];
    if ((options.drainTimeoutMs ?? 0) > 0 && this.buffer.size > 0) await this.settle(options.drainTimeoutMs);
    this.closed = true;
    this.recovery.stop();
    this.timing.interruptAll();
    const left = this.buffer.takeAll();
    if (left.length > 0) {
      this.counters.discarded += left.length;
      this.emitter.emit('buffer.discarded', { entries: left });
    }
    if (this.ownsClient) {
      try {
        await this.timing.timed(this.client.quit(), this.opts.commandTimeoutMs);
      } catch {
        this.client.disconnect();
      }
    }
    return left;
  }

  // --- calls --------------------------------------------------------------------------------

  private async read(cmd: RedisCommand, fallback: ((args: readonly RedisArg[]) => unknown) | undefined) {
    if (this.isClosed()) {
      try {
        return await this.sender.send('command', [cmd]);
      } catch (failure) {
        rethrowReply(failure);
        return this.fallback(cmd, fallback, 'failed', (failure as LiveFailure).error);
      }
    }
    return this.fallback(cmd, fallback, 'open');
  }

  private fallback(
    cmd: RedisCommand,
    fallback: ((args: readonly RedisArg[]) => unknown) | undefined,
    reason: 'open' | 'failed',
    error?: unknown,
  ): unknown {
    const [name, ...args] = cmd;
    if (!fallback) {
      if (reason === 'open') throw new CircuitOpenError(`Redis is unavailable and ${name} has no fallback`);
      throw new StoreUnavailableError(`Redis did not answer ${name}`, { cause: error });
    }
    this.counters.fallbacks++;
    if (this.emitter.hasListeners('fallback'))
      this.emitter.emit('fallback', { command: name, reason, error });
    return fallback(args);
  }

  private async write(
    kind: BufferedEntryKind,
    commands: RedisCommand[],
    atMostOnce: boolean,
    ambiguousIsApplied = false,
  ): Promise<unknown> {
    if (!this.isClosed() || this.buffer.size > 0) {
      return this.enqueue(kind, commands, atMostOnce, this.isClosed() ? 'buffer_draining' : 'circuit_open');
    }
    try {
      return await this.sender.send(kind, commands);
    } catch (failure) {
      rethrowReply(failure);
      const { kind: what, error } = failure as LiveFailure;
      if (what === 'ambiguous') {
        if (ambiguousIsApplied) return 'OK';
        throw this.ambiguous(describeCommands(kind, commands), 'live', error);
      }
      return this.enqueue(kind, commands, atMostOnce, 'not_sent');
    }
  }

  private async passThrough(kind: BufferedEntryKind, commands: RedisCommand[]): Promise<unknown> {
    const label = describeCommands(kind, commands);
    if (!this.isClosed() || this.buffer.size > 0) {
      throw new CircuitOpenError(`Redis is unavailable and ${label} is not a known read or write`, {
        command: label,
        reason: this.isClosed() ? 'buffer_draining' : 'circuit_open',
      });
    }
    try {
      return await this.sender.send(kind, commands);
    } catch (failure) {
      rethrowReply(failure);
      const { kind: what, error } = failure as LiveFailure;
      if (what === 'ambiguous') throw this.ambiguous(label, 'live', error);
      throw new StoreUnavailableError(`Redis is unavailable: ${label} was not sent`, { cause: error });
    }
  }

  private enqueue(
    kind: BufferedEntryKind,
    commands: RedisCommand[],
    atMostOnce: boolean,
    reason: 'circuit_open' | 'buffer_draining' | 'not_sent',
  ): BufferedReply {
    const desc = describeCommands(kind, commands);
    if (atMostOnce && !this.opts.bufferNonIdempotent) {
      const error = new NonIdempotentWriteRejectedError(desc, reason);
      this.counters.nonIdempotentRejected++;
      this.emitter.emit('buffer.rejected', { command: desc, reason: 'non_idempotent', error });
      throw error;
    }
    let entry: BufferedEntry;
    try {
      entry = this.buffer.push(kind, commands, atMostOnce);
    } catch (error) {
      if (error instanceof WriteBufferFullError) {
        this.counters.bufferFull++;
        this.emitter.emit('buffer.rejected', { command: desc, reason: 'full', error });
      }
      throw error;
    }
    this.counters.buffered++;
    if (this.emitter.hasListeners('buffer.added')) {
      this.emitter.emit('buffer.added', {
        id: entry.id,
        command: desc,
        atMostOnce,
        entries: this.buffer.size,
        bytes: this.buffer.bytes,
      });
    }
    this.recovery.kick();
    return new BufferedReply(entry.id, desc, atMostOnce);
  }

  private ambiguous(
    command: string,
    source: 'live' | 'flush',
    error: unknown,
    id?: number,
    willResend = false,
  ) {
    this.counters.ambiguous++;
    this.emitter.emit('ambiguous', { command, source, id, willResend, error });
    return new AmbiguousOutcomeError(command, {
      cause: error,
      source,
      timedOut: error instanceof RedisTimeoutError,
    });
  }

  // --- helpers ------------------------------------------------------------------------------

  private isClosed(): boolean {
    return circuitAllows(this.breaker);
  }

  private assertUsable(): void {
    if (this.closed) throw new StoreUnavailableError('ResilientRedis is closed');
  }
}
