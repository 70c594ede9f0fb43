/**
 * A bounded memo of a pure function of a text: the results of recently seen keys, dropped all at
 * once when full (a failure storm repeats a few keys; an LRU's bookkeeping would cost more than the
 * rare recomputation). What it holds never changes a result, only how fast it comes, so one
 * instance per function can serve the whole process.
 */
export class RecentResults<T> {
  private readonly results = new Map<string, T>();

  /**
   * @param maxEntries keys kept before the memo is emptied
   * @param maxKeyLength longer keys are computed every time (keeps the memo's size bounded)
   */
  constructor(
    private readonly maxEntries: number,
    private readonly maxKeyLength: number,
  ) {}

  /** `compute(key)`, or its result for this key when it was asked for recently. */
  get(key: string, compute: (key: string) => T): T {
    if (key.length > this.maxKeyLength) return compute(key);
    let result = this.results.get(key);
    if (result === undefined) {
      result = compute(key);
      if (this.results.size >= this.maxEntries) this.results.clear();
      this.results.set(key, result);
    }
    return result;
  }
}
