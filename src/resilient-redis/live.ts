/**
 * The live path of ResilientRedis: one send to Redis under a circuit-breaker permit, within the
 * command timeout, and what its failure means (not sent, ambiguous, or Redis's own error reply).
 * Only failures of the connection count against the breaker; an error reply is a healthy answer.
 */
import type { CircuitBreaker } from '../core/circuit-breaker.js';
import { CircuitOpenError } from '../core/errors.js';
import { classifyRedisFailure } from '../redis/failure.js';
import type { RedisLike } from './client.js';
import type { RedisCommand } from './command-classes.js';
import type { FailureKind } from './errors.js';
import { sendEntry } from './send-entry.js';
import type { Timing } from './timing.js';
import type { BufferedEntryKind } from './write-buffer.js';

/** A failed live send, with what the failure means. */
export class LiveFailure {
  constructor(
    readonly kind: FailureKind,
    readonly error: unknown,
  ) {}
}

/** Rethrows Redis's own error reply as it came; anything else but a {@link LiveFailure} too. */
export function rethrowReply(failure: unknown): void {
  if (!(failure instanceof LiveFailure)) throw failure;
  if (failure.kind === 'reply') throw failure.error;
}

/** Sends commands to Redis, one entry at a time, fenced by the breaker and the command timeout. */
export class LiveSender {
  /** Until the client's first connection is ready: sends wait for it (bounded). */
  private firstReady: Promise<void> | undefined;

  constructor(
    private readonly client: RedisLike,
    private readonly breaker: CircuitBreaker,
    private readonly timing: Timing,
    private readonly commandTimeoutMs: number,
  ) {
    if (client.status !== 'ready' && typeof client.once === 'function') {
      // Right after creation the client is still connecting: commands wait for that first
      // connection (up to commandTimeoutMs, in call order) instead of failing unsent at once.
      this.firstReady = new Promise<void>((resolve) => {
        client.once?.('ready', () => {
          this.firstReady = undefined;
          resolve();
        });
      });
      if (client.status === 'wait' && typeof client.connect === 'function') client.connect().catch(() => {});
    }
  }

  /**
   * Sends under a breaker permit, within `commandTimeoutMs`.
   *
   * @throws LiveFailure: what the failure means, and the error (all but error replies count
   *   against the breaker)
   */
  async send(kind: BufferedEntryKind, commands: RedisCommand[]): Promise<unknown> {
    if (this.firstReady) await this.timing.within(this.firstReady, this.commandTimeoutMs);
    const permit = this.breaker.tryAcquire();
    if (!permit) throw new LiveFailure('not_sent', new CircuitOpenError('Redis is unavailable'));
    const status = this.client.status;
    try {
      const reply = await this.timing.timed(sendEntry(this.client, kind, commands), this.commandTimeoutMs);
      permit.success();
      return reply;
    } catch (error) {
      const failure = classifyRedisFailure(error, status);
      if (failure === 'reply') permit.success();
      else permit.failure(error);
      throw new LiveFailure(failure, error);
    }
  }
}
