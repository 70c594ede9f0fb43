/**
 * The queues of a queue-slot store (QueueSlotRedisStore) and their slots. Each queue gets a
 * number from the store's registry (register-queue.lua, in the store's own slot), once and for
 * good; its keys then live under the hash tag `{<prefix>#<number>}` (keys.ts), served by a
 * RedisStore of its own that shares the store's connection and notifier. Store-wide job ids are
 * `<number>:<id in the queue's slot>`, so every per-job call finds its slot from the id alone.
 */
import type { RedisClient } from '../../redis/client-options.js';
import { RedisKeys } from './keys.js';
import type { NotifyChannels } from './queue-notifier.js';
import { RedisStore, type RedisStoreOptions, type SharedRedisParts } from './redis-store.js';
import { runScript } from './scripts.js';

/** A store-wide job id, split: the queue's number and the id inside its slot. */
export interface SlotId {
  slot: number;
  localId: string;
}

/** The store-wide id of job `localId` of queue number `slot`. */
export function globalJobId(slot: number, localId: string): string {
  return `${slot}:${localId}`;
}

/** The slot and local id of a store-wide id, or null for an id no queue-slot store issues. */
export function locateJobId(id: string): SlotId | null {
  const match = /^([1-9]\d{0,9}):(\d+)$/.exec(String(id));
  if (!match) return null;
  return { slot: Number(match[1]), localId: match[2]! };
}

/** What {@link QueueSlots} needs of its store. */
export interface QueueSlotsDeps {
  options: RedisStoreOptions;
  keys: RedisKeys;
  client: RedisClient;
  shared: Omit<SharedRedisParts, 'slot'>;
  /** Runs a Redis call, translating connection failures. */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

/** The registry of a queue-slot store's queues, and one RedisStore per queue slot. */
export class QueueSlots implements NotifyChannels {
  /** Queue name -> number (numbers never change, so a cached one stays right). */
  private readonly numbers = new Map<string, number>();
  private readonly stores = new Map<number, RedisStore>();
  private readonly channel: RegExp;

  constructor(private readonly deps: QueueSlotsDeps) {
    const escaped = deps.keys.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.channel = new RegExp(`^\\{${escaped}#(\\d+)\\}\\.notify:(.*)$`, 's');
  }

  /** The RedisStore of slot `slot` (made on first use). */
  store(slot: number): RedisStore {
    let store = this.stores.get(slot);
    if (!store) {
      store = new RedisStore(this.deps.options, { ...this.deps.shared, slot });
      this.stores.set(slot, store);
    }
    return store;
  }

  /**
   * The number of `queue`, registering it when `create` (else null for a queue never registered);
   * `'migrate'` registers it beside a single-slot store's jobs (queue-slot-migration.ts).
   */
  async numberOf(queue: string, create: boolean | 'migrate'): Promise<number | null> {
    const known = this.numbers.get(queue);
    if (known !== undefined) return known;
    const { keys, client } = this.deps;
    const n = Number(
      await this.deps.call(
        'registerQueue',
        () =>
          runScript(
            client,
            'register-queue',
            [`${keys.base}slots`, `${keys.base}slots:seq`, keys.queues, keys.ids],
            [keys.base, queue, create === 'migrate' ? 'migrate' : create ? '1' : ''],
          ) as Promise<unknown>,
      ),
    );
    if (n === 0) return null;
    this.remember(queue, n);
    return n;
  }

  /** The number of `queue` if this process has seen it already (no call). */
  cachedNumberOf(queue: string): number | undefined {
    return this.numbers.get(queue);
  }

  /** The store of `queue`'s slot, or null for a queue never registered. */
  async storeOf(queue: string, create: boolean): Promise<RedisStore | null> {
    const n = await this.numberOf(queue, create);
    return n === null ? null : this.store(n);
  }

  /** Every registered queue with its number, in number order (the order of listings). */
  async all(): Promise<{ queue: string; slot: number }[]> {
    const { keys, client } = this.deps;
    const hash = await this.deps.call('listQueues', () => client.hgetall(`${keys.base}slots`));
    const out: { queue: string; slot: number }[] = [];
    for (const [queue, n] of Object.entries(hash ?? {})) {
      this.remember(queue, Number(n));
      out.push({ queue, slot: Number(n) });
    }
    return out.sort((a, b) => a.slot - b.slot);
  }

  /** The number of `queue` (none for a queue never registered), or of every queue when none is named. */
  async numbersOf(queue: string | undefined): Promise<number[]> {
    if (queue === undefined) return (await this.all()).map((s) => s.slot);
    const n = await this.numberOf(queue, false);
    return n === null ? [] : [n];
  }

  private remember(queue: string, slot: number): void {
    this.numbers.set(queue, slot);
  }

  /** The pub/sub channel of `queue` (known number required: watchers register first). */
  notifyChannel(queue: string): string {
    const n = this.numbers.get(queue);
    return n === undefined
      ? this.deps.keys.notifyChannel(queue)
      : new RedisKeys(this.deps.keys.prefix, n).notifyChannel(queue);
  }

  /** The queue a {@link notifyChannel} names. */
  queueOfChannel(channel: string): string | undefined {
    const match = this.channel.exec(channel);
    return match ? match[2] : undefined;
  }
}
