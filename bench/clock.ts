/**
 * A millisecond timestamp comparable across processes on one machine: the time origin of this
 * process plus the monotonic time since, with sub-millisecond resolution.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
