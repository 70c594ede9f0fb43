/** Polling helpers for chaos and integration tests: short real-clock steps, bounded in total. */

/** Sleeps `ms` (keep it short: tests poll in steps of at most 50 ms). */
export function pause(ms: number): Promise<void> {
  if (ms > 50) throw new Error(`pause(${ms}): poll in steps of at most 50 ms`);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every `stepMs` until it returns a truthy value, or throws after `timeoutMs`
 * naming `what`.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 5000, stepMs = 10 }: { timeoutMs?: number; stepMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    }
    await pause(stepMs);
  }
}

/**
 * Tracks promises so that a test can assert none was left pending: `settledWithin` resolves with
 * the outcomes, or throws naming how many are still pending after `timeoutMs`.
 */
export class PromiseTracker<T = unknown> {
  private readonly entries: {
    label: string;
    state: 'pending' | 'fulfilled' | 'rejected';
    value?: T;
    error?: unknown;
  }[] = [];

  track(label: string, promise: Promise<T>): Promise<T> {
    const entry: (typeof this.entries)[number] = { label, state: 'pending' };
    this.entries.push(entry);
    promise.then(
      (value) => {
        entry.state = 'fulfilled';
        entry.value = value;
      },
      (error: unknown) => {
        entry.state = 'rejected';
        entry.error = error;
      },
    );
    return promise;
  }

  get pending(): number {
    return this.entries.filter((e) => e.state === 'pending').length;
  }

  async settledWithin(timeoutMs: number): Promise<typeof this.entries> {
    await waitFor(`${this.pending} tracked promises to settle`, () => this.pending === 0, {
      timeoutMs,
    }).catch(() => {
      const left = this.entries.filter((e) => e.state === 'pending').map((e) => e.label);
      throw new Error(
        `${left.length} promises still pending after ${timeoutMs} ms: ${left.slice(0, 10).join(', ')}`,
      );
    });
    return this.entries;
  }
}
