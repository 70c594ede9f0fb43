/**
 * Wakes idle workers of a Redis store. Inserts made through the same store notify at once;
 * inserts, releases, retries and recoveries by any process reach every other process through
 * pub/sub (the scripts PUBLISH on `{prefix}:notify:<queue>`), received on one dedicated
 * subscriber connection per store, opened on the first watch.
 */
import { isCluster, type RedisClient } from '../../redis/client-options.js';
import type { RedisKeys } from './keys.js';

/** How queue names map to pub/sub channels and back (a store's keys, or its queue slots). */
export type NotifyChannels = Pick<RedisKeys, 'notifyChannel' | 'queueOfChannel'>;

/** Wakes the watchers of a store's queues (see the module comment). */
/** A connection for subscriptions and blocking reads, beside `client` (no command timeout). */
export function subscriberFor(client: RedisClient): RedisClient {
  if (isCluster(client)) return client.duplicate();
  return client.duplicate({ maxRetriesPerRequest: null, commandTimeout: undefined });
}

export class QueueNotifier {
  private readonly listeners = new Map<string, Set<() => void>>();
  private subscriber: RedisClient | undefined;
  private closed = false;

  constructor(
    private readonly keys: NotifyChannels,
    private readonly openSubscriber: () => RedisClient,
  ) {}

  /** Registers `listener` for `queue`; returns an unsubscribe function. */
  watch(queue: string, listener: () => void): () => void {
    if (this.closed) return () => {};
    let set = this.listeners.get(queue);
    if (!set) {
      set = new Set();
      this.listeners.set(queue, set);
      this.subscribe(queue);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(queue) === set) {
        this.listeners.delete(queue);
        this.subscriber?.unsubscribe(this.keys.notifyChannel(queue)).catch(() => {});
      }
    };
  }

  /** Tells this process's watchers of `queue` that jobs may be available. */
  notify(queue: string): void {
    const set = this.listeners.get(queue);
    if (set) for (const listener of [...set]) listener();
  }

  private notifyAll(): void {
    for (const name of this.listeners.keys()) this.notify(name);
  }

  private subscribe(queue: string): void {
    if (!this.subscriber) {
      const sub = this.openSubscriber();
      // Connection errors are retried by ioredis (it resubscribes on reconnect); workers poll meanwhile.
      sub.on('error', () => {});
      sub.on('message', (channel: string) => {
        const name = this.keys.queueOfChannel(channel);
        if (name !== undefined) this.notify(name);
      });
      // After a reconnect, jobs may have arrived while the subscription was down: wake everyone.
      // ioredis sends its resubscription only after 'ready', so wake everyone again once the
      // subscriptions are confirmed: a job published in between would otherwise wait for a poll.
      sub.on('ready', () => {
        this.notifyAll();
        const channels = [...this.listeners.keys()].map((name) => this.keys.notifyChannel(name));
        if (channels.length > 0)
          sub.subscribe(...channels).then(
            () => this.notifyAll(),
            () => {},
          );
      });
      this.subscriber = sub;
    }
    this.subscriber.subscribe(this.keys.notifyChannel(queue)).catch(() => {});
  }

  /**
   * Forgets every listener and closes the subscriber connection at once, whether Redis is up or
   * not. A subscription has no reply worth waiting for, and QUIT would not do: made while the
   * connection is down (an unwatch during an outage queues its UNSUBSCRIBE), it waits in ioredis'
   * offline queue until Redis is back, for ever if it never is (the subscriber retries without a
   * limit), and the store's close() with it.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    const sub = this.subscriber;
    this.subscriber = undefined;
    sub?.disconnect();
  }
}
