/**
 * StreamProcessor: consumes a Redis stream through a consumer group, with at-least-once delivery.
 *
 * - The group is created with MKSTREAM (an existing group is fine: BUSYGROUP is ignored).
 * - A reader connection blocks in XREADGROUP (COUNT `batchSize`, BLOCK `blockMs`); handlers run
 *   with `concurrency`, each with a timeout that aborts its signal; successes are acked in batches
 *   on a second (writer) connection.
 * - A failure leaves the message pending. Pending messages idle for `claimMinIdleMs` are reclaimed
 *   with XAUTOCLAIM (by any consumer); their delivery count is the attempt number. After
 *   `maxRetries` retries, or at once for a `PermanentError`, the message moves to `{stream}:dlq`
 *   with its failure, and is acked in the main stream in the same MULTI/EXEC.
 * - Claims are renewed: every `renewIntervalMs` the messages this consumer holds (running, or
 *   waiting for a slot) get their idle time reset with XCLAIM ... JUSTID, where it still owns them
 *   (checked atomically). `claimMinIdleMs` must exceed `handlerTimeoutMs`, so a message is only
 *   reclaimed once its consumer stopped renewing (crashed, hung, or lost Redis). A consumer that
 *   finds its claim taken aborts the handler (`ClaimLostError`) and does not ack.
 * - Pending messages trimmed from the stream (XAUTOCLAIM's deleted ids) are acked and counted.
 * - Other consumers idle for `consumerIdleMs` with nothing pending are removed (checked atomically).
 * - The stream and the DLQ are trimmed with approximate MAXLEN; removals are counted.
 * - Connection loss: every loop retries with a backoff, and a blocked read that outlives its BLOCK
 *   drops its connection, so consumption resumes by itself when Redis comes back.
 * - `stop()` interrupts the blocking read, hands unstarted messages back at once, waits for running
 *   handlers up to `stopTimeoutMs`, flushes acks, and removes this consumer if nothing is pending.
 */

import { type Clock, systemClock, systemRandom, type TimerHandle } from '../core/clock.js';
import { StateConflictError, StoreUnavailableError } from '../core/errors.js';
import { TypedEmitter } from '../events.js';
import { isCluster, type RedisClient } from '../redis/client-options.js';
import { classifyRedisFailure } from '../redis/failure.js';
import { RedisTimeoutError, withTimeout } from '../redis/timeout.js';
import { resetConnection } from '../resilient-redis/client.js';
import { removeIdleConsumers, setIdle, trimStream } from './claims.js';
import { type ConnectionSource, openConnection, whenReady } from './connection.js';
import { type DlqTarget, listDlq, replayDlq } from './dead-letters.js';
import { Dispatcher, type StreamCounters } from './dispatcher.js';
import { type BufferEntry, rawEntries } from './entries.js';
import { ProcessorStoppingError } from './errors.js';
import { readHealth } from './health.js';
import { type ResolvedStreamOptions, resolveStreamOptions, type StreamProcessorOptions } from './options.js';
import { type PendingHost, reclaim, removeIdle, renew } from './pending.js';
import type {
  DeadLetterEntry,
  DeadLetterFilter,
  DlqReplayOptions,
  DlqReplayResult,
  FieldEncoding,
  FieldValue,
  StreamHandler,
  StreamHealth,
  StreamProcessorEvents,
  StreamProcessorStats,
} from './types.js';

/** Extra time a blocked XREADGROUP gets past its BLOCK before its connection counts as stuck. */
const READ_GRACE_MS = 1000;

/**
 * A consumer-group processor for one Redis stream; see the module comment. `E` is the encoding of
 * field values (`fieldValues`: `'string'` by default, or `'buffer'`).
 */
export class StreamProcessor<E extends FieldEncoding = 'string'> {
  private readonly opts: ResolvedStreamOptions;
  private readonly clock: Clock;
  private readonly source: ConnectionSource;
  private readonly emitter = new TypedEmitter<StreamProcessorEvents>();
  private readonly target: DlqTarget;
  private readonly host: PendingHost;
  private readonly dispatcher: Dispatcher;
  private reader: RedisClient | undefined;
  private writerConn: RedisClient | undefined;
  private readerId: number | undefined;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private readLoop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly timers = new Set<TimerHandle>();
  /** Periodic work running now (awaited by stop). */
  private readonly periodic = new Set<Promise<void>>();
  private readonly sleepers = new Set<{ timer: TimerHandle; resolve: () => void }>();
  private readonly counters: StreamCounters = {
    read: 0,
    processed: 0,
    acked: 0,
    failed: 0,
    timeouts: 0,
    retried: 0,
    deadLettered: 0,
    reclaimed: 0,
    trimmedWhilePending: 0,
    claimsRenewed: 0,
    claimsLost: 0,
    consumersRemoved: 0,
    trimmedMain: 0,
    trimmedDlq: 0,
    replayedFromDlq: 0,
    readErrors: 0,
    stuckReads: 0,
    errors: 0,
  };

  /** @throws ValidationError naming the offending option */
  constructor(options: StreamProcessorOptions<E>) {
    this.opts = resolveStreamOptions(options, options?.random ?? systemRandom);
    this.clock = options.clock ?? systemClock;
    this.source = { connection: options.connection, client: options.client, cluster: options.cluster };
    this.target = {
      stream: this.opts.stream,
      group: this.opts.group,
      consumer: this.opts.consumer,
      dlqStream: this.opts.dlqStream,
      operationTimeoutMs: this.opts.operationTimeoutMs,
      binary: this.opts.fieldValues === 'buffer',
    };
    this.dispatcher = new Dispatcher({
      opts: this.opts,
      // The handler's type follows fieldValues, which `target.binary` applies.
      handler: options.handler as StreamHandler<FieldValue>,
      clock: this.clock,
      emitter: this.emitter,
      counters: this.counters,
      target: this.target,
      writer: () => this.writer(),
      isRunning: () => this.state === 'running',
      report: (op, e) => this.report(op, e),
      telemetry: options.telemetry,
    });
    const d = this.dispatcher;
    this.host = {
      opts: this.opts,
      target: this.target,
      held: d.held,
      counters: this.counters,
      emitter: this.emitter,
      writer: () => this.writer(),
      isRunning: () => this.state === 'running',
      admit: (entry, attempt) => d.admit(entry, attempt),
      pump: () => d.pump(),
      deadLetter: (m, reason, attempts) => d.deadLetter(m, reason, attempts),
      failureOf: (id) => d.failureOf(id),
      loseClaim: (h) => d.loseClaim(h),
      ensureGroup: () => this.ensureGroup(),
      report: (op, e) => this.report(op, e),
    };
  }

  /** This consumer's name. */
  get consumer(): string {
    return this.opts.consumer;
  }

  /** Subscribes to an event; returns a function that unsubscribes. */
  on<E extends keyof StreamProcessorEvents>(
    event: E,
    listener: (e: StreamProcessorEvents[E]) => void,
  ): () => void {
    return this.emitter.on(event, listener);
  }

  /**
   * Connects, creates the group (MKSTREAM) if needed, and starts consuming.
   *
   * @throws StoreUnavailableError when Redis cannot be reached within `operationTimeoutMs`
   * @throws StateConflictError when already started or stopped
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new StateConflictError(`stream processor is ${this.state}`);
    try {
      await this.writerConnection();
      this.reader = openConnection(this.source, `redrive:${this.opts.consumer}:reader`);
      this.reader.on('ready', () => this.learnReaderId());
      await withTimeout(this.reader.connect(), this.opts.operationTimeoutMs, 'connect');
      await this.ensureGroup();
      await this.dispatcher.tracingReady;
    } catch (error) {
      this.state = 'stopped';
      await this.closeConnections();
      throw new StoreUnavailableError(`stream processor could not start on ${this.opts.stream}`, {
        cause: error,
      });
    }
    this.state = 'running';
    this.readLoop = this.consume();
    this.every(this.opts.claimIntervalMs, () => reclaim(this.host), 0);
    this.every(this.opts.renewIntervalMs, () => renew(this.host));
    if (this.opts.consumerIdleMs !== false)
      this.every(this.opts.consumerCleanupIntervalMs, () => removeIdle(this.host));
    this.every(this.opts.trimIntervalMs, () => this.trim().then(() => {}));
  }

  /**
   * Stops gracefully: no new reads; unstarted messages handed back at once (their idle time set to
   * `claimMinIdleMs`, so any consumer reclaims them now); running handlers awaited up to
   * `stopTimeoutMs`, then aborted (`ProcessorStoppingError`) and handed back; acks flushed; this
   * consumer removed from the group if nothing is pending for it; connections closed.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Health of the stream and the group, read from Redis. */
  async health(): Promise<StreamHealth> {
    const writer = await this.writerConnection();
    const connected =
      writer.status === 'ready' && (this.state !== 'running' || this.reader?.status === 'ready');
    return readHealth(writer, this.opts, this.opts.operationTimeoutMs, connected);
  }

  /** DLQ entries, oldest first, from `start` (an id; default the oldest), at most `count` (default 100). */
  async listDlq(options: { start?: string; count?: number } = {}): Promise<DeadLetterEntry<FieldValue<E>>[]> {
    return listDlq<FieldValue<E>>(await this.writerConnection(), this.target, options);
  }

  /**
   * Puts DLQ entries back on their original stream, each in one MULTI/EXEC (XADD without the DLQ
   * metadata and with `replayed_from_dlq` = the DLQ id, then XDEL from the DLQ). In a DLQ shared
   * with other streams, only this stream's entries are replayed unless `otherStreams: 'original'`.
   *
   * @param what a DLQ entry id, several ids, or a filter
   * @throws ValidationError naming `otherStreams` or `limit`
   */
  async replayFromDlq(
    what: string | string[] | DeadLetterFilter<FieldValue<E>>,
    options: DlqReplayOptions = {},
  ): Promise<DlqReplayResult> {
    const result = await replayDlq(await this.writerConnection(), this.target, what, options);
    this.counters.replayedFromDlq += result.replayed.length;
    return result;
  }

  /** Trims the stream (when `maxLen` is set) and the DLQ with approximate MAXLEN; counts removals. */
  async trim(): Promise<{ main: number; dlq: number }> {
    const out = { main: 0, dlq: 0 };
    try {
      const writer = await this.writerConnection();
      const ms = this.opts.operationTimeoutMs;
      if (this.opts.maxLen !== undefined) {
        out.main = await trimStream(writer, this.opts.stream, this.opts.maxLen, ms);
        this.counters.trimmedMain += out.main;
        if (out.main > 0) this.emitter.emit('trimmed', { stream: this.opts.stream, count: out.main });
      }
      out.dlq = await trimStream(writer, this.opts.dlqStream, this.opts.dlqMaxLen, ms);
      this.counters.trimmedDlq += out.dlq;
      if (out.dlq > 0) this.emitter.emit('trimmed', { stream: this.opts.dlqStream, count: out.dlq });
    } catch (error) {
      this.report('trim', error);
    }
    return out;
  }

  /** Lifetime counters and the local state. */
  stats(): StreamProcessorStats {
    return {
      consumer: this.opts.consumer,
      running: this.state === 'running',
      active: this.dispatcher.active,
      held: this.dispatcher.held.size,
      ...this.counters,
    };
  }

  // --- reading ------------------------------------------------------------------------------

  private async consume(): Promise<void> {
    const maxHeld = this.opts.concurrency + this.opts.prefetch;
    const minRead = Math.max(1, Math.min(this.opts.batchSize, Math.floor(maxHeld / 2)));
    let backoff = 0;
    while (this.state === 'running') {
      const room = maxHeld - this.dispatcher.held.size;
      if (room < minRead) {
        await this.dispatcher.waitForRoom();
        continue;
      }
      const reader = this.reader as RedisClient;
      if (reader.status !== 'ready') {
        await whenReady(reader, 200);
        continue;
      }
      try {
        // As Buffers: values reach handlers (and the DLQ) as exact bytes unless decoded on access.
        const reply = (await withTimeout(
          reader.callBuffer(
            'xreadgroup',
            'GROUP',
            this.opts.group,
            this.opts.consumer,
            'COUNT',
            Math.min(this.opts.batchSize, room),
            'BLOCK',
            this.opts.blockMs,
            'STREAMS',
            this.opts.stream,
            '>',
          ),
          this.opts.blockMs + READ_GRACE_MS,
          'XREADGROUP',
        )) as [Buffer, BufferEntry[]][] | null;
        backoff = 0;
        const batch = reply?.[0]?.[1];
        const entries = batch ? rawEntries(batch) : undefined;
        if (entries && entries.length > 0 && this.state === 'running') {
          this.counters.read += entries.length;
          for (const entry of entries) this.dispatcher.admit(entry, 1);
          this.dispatcher.pump();
        } else if (entries && entries.length > 0) {
          // Read while stopping: hand them straight back.
          await setIdle(
            this.writer(),
            this.target,
            entries.map((e) => e[0]),
            this.opts.claimMinIdleMs,
          ).catch(() => {});
        }
      } catch (error) {
        if (this.state !== 'running') break;
        this.counters.readErrors++;
        if (error instanceof RedisTimeoutError) {
          // No reply long after BLOCK ended: a dead peer that never closed. Reset and reconnect
          // (a graceful close could let this read reach Redis later and take messages from it).
          this.counters.stuckReads++;
          resetConnection(reader);
        } else if (error instanceof Error && error.message.startsWith('NOGROUP')) {
          // The stream or group is gone (deleted, or Redis restarted empty): create it again.
          await this.ensureGroup().catch((e: unknown) => this.report('create group', e));
        }
        this.report('read', error);
        backoff = Math.min(Math.max(50, backoff * 2), 1000);
        await this.sleep(backoff);
      }
    }
  }

  // --- lifecycle ----------------------------------------------------------------------------

  private async shutdown(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      await this.closeConnections();
      return;
    }
    this.state = 'stopping';
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.wakeAll();
    await this.unblockReader();
    await withTimeout(
      Promise.all([this.readLoop, ...this.periodic]),
      this.opts.blockMs + READ_GRACE_MS + this.opts.operationTimeoutMs,
      'stop',
    ).catch(() => {});
    const d = this.dispatcher;
    // Unstarted messages go back at once: their idle time is set to the reclaim threshold.
    const handBack = async () => {
      const queued = d.takeQueued();
      if (queued.length === 0) return;
      await setIdle(this.writer(), this.target, queued, this.opts.claimMinIdleMs).catch((e: unknown) =>
        this.report('hand back', e),
      );
    };
    await handBack();
    const deadline = this.clock.now() + this.opts.stopTimeoutMs;
    while (d.active > 0 && this.clock.now() < deadline) await this.sleep(10);
    for (const h of d.runningHandlers()) d.abortHandler(h, new ProcessorStoppingError());
    // Failures (and hand-backs) run asynchronously; give them and the last acks a moment.
    const settleBy = this.clock.now() + this.opts.operationTimeoutMs;
    while (d.held.size > 0 && this.clock.now() < settleBy) {
      await handBack();
      await d.acks.flush(true);
      if (d.held.size > 0) await this.sleep(5);
    }
    await d.acks.drain(this.clock.now() + this.opts.operationTimeoutMs);
    d.stop();
    try {
      await removeIdleConsumers(this.writer(), this.target, 0, true);
    } catch (error) {
      this.report('remove consumer', error);
    }
    this.state = 'stopped';
    await this.closeConnections();
  }

  private async unblockReader(): Promise<void> {
    const reader = this.reader;
    if (!reader) return;
    if (this.readerId !== undefined && this.writerConn?.status === 'ready') {
      try {
        await withTimeout(this.writerConn.call('CLIENT', 'UNBLOCK', this.readerId), 1000, 'CLIENT UNBLOCK');
        return;
      } catch {
        // drop the connection instead
      }
    }
    reader.disconnect();
  }

  private async closeConnections(): Promise<void> {
    const conns = [this.reader, this.writerConn].filter((c): c is RedisClient => c !== undefined);
    this.reader = undefined;
    this.writerConn = undefined;
    await Promise.all(conns.map((c) => withTimeout(c.quit(), 1000, 'QUIT').catch(() => c.disconnect())));
  }

  private learnReaderId(): void {
    const reader = this.reader;
    if (!reader) return;
    this.readerId = undefined;
    // A cluster has one connection per node: CLIENT ID would answer for a random one. Stopping
    // then closes the reader instead of unblocking it.
    if (isCluster(reader)) return;
    withTimeout(reader.client('ID') as Promise<number>, this.opts.operationTimeoutMs, 'CLIENT ID').then(
      (id) => {
        this.readerId = Number(id);
      },
      () => {},
    );
  }

  /** The writer connection, which must exist. */
  private writer(): RedisClient {
    if (!this.writerConn) throw new StateConflictError('stream processor is not connected');
    return this.writerConn;
  }

  /** The writer connection (opened on first use, also before `start()` for admin calls). */
  private async writerConnection(): Promise<RedisClient> {
    if (this.state === 'stopped' || this.state === 'stopping') {
      throw new StateConflictError(`stream processor is ${this.state}`);
    }
    if (!this.writerConn) {
      this.writerConn = openConnection(this.source, `redrive:${this.opts.consumer}:writer`);
      await withTimeout(this.writerConn.connect(), this.opts.operationTimeoutMs, 'connect');
    } else if (this.writerConn.status !== 'ready') {
      await whenReady(this.writerConn, this.opts.operationTimeoutMs);
    }
    return this.writerConn;
  }

  private async ensureGroup(): Promise<void> {
    try {
      await withTimeout(
        this.writer().xgroup('CREATE', this.opts.stream, this.opts.group, this.opts.startId, 'MKSTREAM'),
        this.opts.operationTimeoutMs,
        'XGROUP CREATE',
      );
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  }

  /** Runs `fn` every `ms` (the next run is scheduled when one finishes: no overlap). */
  private every(ms: number, fn: () => Promise<void>, firstMs = ms): void {
    const schedule = (delay: number) => {
      const t = this.clock.setTimeout(() => {
        this.timers.delete(t);
        if (this.state !== 'running') return;
        const run = fn().finally(() => {
          this.periodic.delete(run);
          if (this.state === 'running') schedule(ms);
        });
        this.periodic.add(run);
      }, delay);
      this.timers.add(t);
    };
    schedule(firstMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: this.clock.setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.sleepers.add(sleeper);
    });
  }

  private wakeAll(): void {
    for (const s of this.sleepers) {
      this.clock.clearTimeout(s.timer);
      s.resolve();
    }
    this.sleepers.clear();
    this.dispatcher.wake();
  }

  private report(operation: string, error: unknown): void {
    this.counters.errors++;
    if (this.emitter.hasListeners('error')) {
      this.emitter.emit('error', {
        operation,
        error: error instanceof Error ? error : new Error(String(error)),
        outcome: classifyRedisFailure(error),
      });
    }
  }
}
