/**
 * The Redis store's durability setting. Redis replicates asynchronously: a primary acknowledges a
 * write before any replica has it, so a failover (the replica promoted after the primary dies) can
 * lose writes the store had already acknowledged. With `durability: 'replicated'` the store sends
 * `WAIT <replicas> <timeout>` right behind the write, in the same pipeline and so on the same
 * connection (on a cluster: the same node; a MOVED reply re-sends both to the new owner), and
 * acknowledges only when enough replicas confirm. When they do not within the timeout, the call
 * fails with StoreUnavailableError marked ambiguous: the write is on the primary and may or may not
 * survive a failover, and the caller decides (an enqueue with an idempotency key can be retried
 * safely; a completion is fenced and duplicate-checked).
 */
import type { ChainableCommander } from 'ioredis';
import { StoreUnavailableError, ValidationError } from '../../core/errors.js';
import { isCluster, type RedisClient } from '../../redis/client-options.js';
import { translateRedisError } from './redis-errors.js';

/**
 * - `async` (default): acknowledged once the primary applied the write. A failover within the
 *   replication lag (usually well under a millisecond on a LAN, longer under load or when a replica
 *   is partitioned) can lose acknowledged enqueues and completions (a lost completion runs its job
 *   again: at-least-once still holds; a lost enqueue is gone).
 * - `replicated`: enqueues and completions are acknowledged only after `replicas` replicas have
 *   them (WAIT). Costs one replica round trip per call, and fails the call (503, ambiguous) when
 *   the replicas do not confirm within `replicaTimeoutMs`.
 */
export type RedisDurability = 'async' | 'replicated';

/** Options of {@link Replication}. */
export interface ReplicationOptions {
  durability?: RedisDurability;
  /** Replicas that must confirm a write under `replicated`. Default 1. */
  replicas?: number;
  /** How long to wait for them. Default 1000 ms. */
  replicaTimeoutMs?: number;
}

/** Replies meaning the write was not applied on the node that answered. */
const REDIRECTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;

/** Redirected writes are sent again at most this many times in all. */
const MAX_REDIRECTIONS = 16;

/** Runs writes under the store's durability setting. */
export class Replication {
  readonly durability: RedisDurability;
  private readonly replicas: number;
  private readonly timeoutMs: number;

  constructor(
    options: ReplicationOptions,
    private readonly location: string,
  ) {
    const durability = options.durability ?? 'async';
    if (durability !== 'async' && durability !== 'replicated') {
      throw new ValidationError('durability', `must be 'async' or 'replicated', got ${String(durability)}`);
    }
    this.durability = durability;
    this.replicas = options.replicas ?? 1;
    if (!Number.isSafeInteger(this.replicas) || this.replicas < 1)
      throw new ValidationError('replicas', 'must be a positive integer');
    this.timeoutMs = options.replicaTimeoutMs ?? 1000;
    if (!Number.isSafeInteger(this.timeoutMs) || this.timeoutMs < 1)
      throw new ValidationError('replicaTimeoutMs', 'must be a positive integer (ms)');
  }

  /** Whether writes wait for replicas. */
  get waits(): boolean {
    return this.durability === 'replicated';
  }

  /**
   * Sends the write `queue` adds to a pipeline, then WAIT, and returns the write's reply; throws
   * when the write failed or too few replicas confirmed it.
   */
  async write(
    client: RedisClient,
    what: string,
    queue: (pipeline: ChainableCommander) => void,
  ): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const pipeline = client.pipeline();
      queue(pipeline);
      pipeline.call('WAIT', this.replicas, this.timeoutMs);
      const results = (await pipeline.exec()) ?? [];
      const [writeError, reply] = results[0] ?? [new Error('empty pipeline reply'), undefined];
      if (
        writeError &&
        isCluster(client) &&
        REDIRECTED.test(writeError.message) &&
        attempt < MAX_REDIRECTIONS
      ) {
        // The write did not run on that node (its slot moved, or the cluster is failing over).
        // ioredis re-sends a pipeline only when all its commands were redirected, and the WAIT
        // was not: refresh the slot map and send both again.
        await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
        continue;
      }
      if (writeError) throw translateRedisError(writeError, what, this.location);
      const [waitError, confirmed] = results[results.length - 1] ?? [];
      this.check(what, waitError, confirmed);
      return reply;
    }
  }

  /**
   * Waits for the replicas of a write already sent on the connection that serves `key` (used after
   * a MULTI/EXEC, which cannot carry a WAIT).
   */
  async after(client: RedisClient, what: string, key: string): Promise<void> {
    const pipeline = client.pipeline();
    pipeline.exists(key);
    pipeline.call('WAIT', this.replicas, this.timeoutMs);
    const results = (await pipeline.exec()) ?? [];
    const [waitError, confirmed] = results[1] ?? [];
    this.check(what, waitError, confirmed);
  }

  private check(what: string, error: Error | null | undefined, confirmed: unknown): void {
    if (error) throw translateRedisError(error, what, this.location);
    const count = Number(confirmed);
    if (count >= this.replicas) return;
    throw new StoreUnavailableError(
      `Redis store at ${this.location}: ${what} was applied on the primary but ${count} of ${this.replicas} replica(s) confirmed it within ${this.timeoutMs} ms (durability: 'replicated'). It may be lost if the primary fails now; retrying a completion, or an enqueue with an idempotency key, is safe.`,
      {
        details: {
          operation: what,
          redis: this.location,
          outcome: 'ambiguous',
          ambiguous: true,
          replicasConfirmed: count,
          replicasRequired: this.replicas,
        },
      },
    );
  }
}
