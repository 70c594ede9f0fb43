/** Fixtures for StreamProcessor tests on a real Redis: unique keys, short timings, clean-up. */

import { Redis } from 'ioredis';
import type { StreamProcessorOptions } from '../../src/streams/options.js';
import { StreamProcessor } from '../../src/streams/stream-processor.js';
import type { FieldEncoding, FieldValue, StreamHandler } from '../../src/streams/types.js';
import { deleteKeysWithPrefix, redisUrl, uniqueKeyPrefix } from '../support/services.js';

/** Short timings so that retries and reclaims happen within a test. */
export const FAST = {
  blockMs: 100,
  handlerTimeoutMs: 200,
  claimMinIdleMs: 300,
  claimIntervalMs: 50,
  renewIntervalMs: 75,
  consumerIdleMs: false as const,
  stopTimeoutMs: 1000,
  operationTimeoutMs: 2000,
} satisfies Partial<StreamProcessorOptions>;

/** A stream fixture: a direct client, key names, processors to stop, keys to delete. */
export class StreamFixture {
  readonly prefix = uniqueKeyPrefix('streams');
  readonly stream = `${this.prefix}s`;
  readonly dlq = `${this.stream}:dlq`;
  readonly group = 'g';
  readonly redis = new Redis(redisUrl());
  private readonly processors: { stop(): Promise<void> }[] = [];

  /** A processor on this fixture's stream, with FAST timings unless overridden. */
  processor<E extends FieldEncoding = 'string'>(
    handler: StreamHandler<FieldValue<E>>,
    options: Partial<StreamProcessorOptions<E>> = {},
  ): StreamProcessor<E> {
    const p = new StreamProcessor<E>({
      connection: redisUrl(),
      stream: this.stream,
      group: this.group,
      handler,
      ...FAST,
      ...options,
    });
    this.processors.push(p);
    return p;
  }

  /** Adds messages `{ n: i, ...extra }` for i in [from, to). Returns their ids. */
  async add(from: number, to: number, extra: Record<string, string> = {}): Promise<string[]> {
    const p = this.redis.pipeline();
    for (let i = from; i < to; i++) p.xadd(this.stream, '*', 'n', String(i), ...Object.entries(extra).flat());
    const replies = (await p.exec()) ?? [];
    return replies.map(([, id]) => id as string);
  }

  /** The group's pending count (0 when the stream or group is missing). */
  async pending(): Promise<number> {
    try {
      const [count] = (await this.redis.xpending(this.stream, this.group)) as [number];
      return Number(count);
    } catch {
      return 0;
    }
  }

  /** Reads as another consumer (a "crashed" one that never acks). */
  async readAs(consumer: string, count = 100): Promise<string[]> {
    const reply = (await this.redis.xreadgroup(
      'GROUP',
      this.group,
      consumer,
      'COUNT',
      count,
      'STREAMS',
      this.stream,
      '>',
    )) as [string, [string, string[]][]][] | null;
    return (reply?.[0]?.[1] ?? []).map((e) => e[0]);
  }

  async createGroup(): Promise<void> {
    await this.redis.xgroup('CREATE', this.stream, this.group, '0', 'MKSTREAM').catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.stop().catch(() => {})));
    await deleteKeysWithPrefix(this.redis, this.prefix);
    this.redis.disconnect();
  }
}
