/**
 * Wakes idle workers of a PostgreSQL store. Inserts made through this store wake its watchers at
 * once; commits by any process reach every other process through LISTEN/NOTIFY (the schema's
 * triggers notify the queue's name on the store's channel when jobs become claimable), received on
 * one dedicated connection per store, opened on the first watch.
 *
 * When that connection drops, it is re-opened with a growing delay (100 ms doubling to 5 s), and
 * every watcher is woken right after it is listening again: a notification sent while it was down
 * is lost, so the watchers poll once instead. Workers also poll on their own (bounded interval), so
 * a wake-up is never the only way a job is found.
 */
import pg from 'pg';
import { notifyChannel } from './sql-files.js';

const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

/** LISTEN/NOTIFY wake-ups for one store. */
export class QueueListener {
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly channel: string;
  private client: pg.Client | undefined;
  private connecting = false;
  private retryMs = MIN_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Times the connection was (re-)established; for tests and health. */
  connections = 0;

  constructor(
    schema: string,
    private readonly config: () => pg.ClientConfig,
    private readonly enabled: boolean,
  ) {
    this.channel = notifyChannel(schema);
  }

  /** Registers `listener` for `queue`; returns an unsubscribe function. */
  watch(queue: string, listener: () => void): () => void {
    if (this.closed) return () => {};
    let set = this.listeners.get(queue);
    if (!set) {
      set = new Set();
      this.listeners.set(queue, set);
    }
    set.add(listener);
    if (this.enabled && !this.client && !this.connecting && !this.retryTimer) void this.connect();
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(queue) === set) this.listeners.delete(queue);
    };
  }

  /** Tells this process's watchers of `queue` that jobs may be available. */
  notify(queue: string): void {
    const set = this.listeners.get(queue);
    if (set) for (const listener of [...set]) listener();
  }

  private notifyAll(): void {
    for (const queue of [...this.listeners.keys()]) this.notify(queue);
  }

  /** Drops the listening connection as if the network failed (tests of the reconnect path). */
  simulateDrop(): void {
    const client = this.client;
    if (client)
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.connecting = true;
    const client = new pg.Client(this.config());
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload) this.notify(message.payload);
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel.replace(/"/g, '""')}"`);
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.connections++;
      this.retryMs = MIN_RETRY_MS;
      // Anything committed while no connection listened was not heard: everyone polls once now.
      this.notifyAll();
    } catch {
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    } finally {
      this.connecting = false;
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
    this.retryTimer.unref?.();
  }

  /** Whether the dedicated connection is listening now. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Forgets every listener and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }
}
