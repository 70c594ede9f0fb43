/**
 * Wakes idle workers of a SQLite store. Inserts made through the same store notify at once; commits
 * by other processes are noticed by polling `PRAGMA data_version`, which changes whenever another
 * connection commits and costs no lock to read.
 */
export class QueueWatcher {
  private readonly listeners = new Map<string, Set<() => void>>();
  private timer: NodeJS.Timeout | undefined;
  private lastVersion = -1;

  constructor(
    private readonly readDataVersion: () => number,
    private readonly pollIntervalMs: number,
  ) {}

  /** Registers `listener` for `queue`; returns an unsubscribe function. */
  watch(queue: string, listener: () => void): () => void {
    let set = this.listeners.get(queue);
    if (!set) {
      set = new Set();
      this.listeners.set(queue, set);
    }
    set.add(listener);
    this.startPolling();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(queue);
      if (this.listeners.size === 0) this.stopPolling();
    };
  }

  /** Tells the watchers of `queue` that jobs may be available. */
  notify(queue: string): void {
    const set = this.listeners.get(queue);
    if (set) for (const listener of set) listener();
  }

  private notifyAll(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener();
  }

  private startPolling(): void {
    if (this.timer || this.pollIntervalMs <= 0) return;
    this.lastVersion = this.safeReadVersion();
    this.timer = setInterval(() => {
      const version = this.safeReadVersion();
      if (version !== this.lastVersion) {
        this.lastVersion = version;
        this.notifyAll();
      }
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  private safeReadVersion(): number {
    try {
      return this.readDataVersion();
    } catch {
      // A closed or failing database: workers find out on their next claim, which reports the error.
      return this.lastVersion;
    }
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops polling and forgets every listener. */
  close(): void {
    this.stopPolling();
    this.listeners.clear();
  }
}
