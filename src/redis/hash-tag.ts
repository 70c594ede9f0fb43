/**
 * Redis Cluster hash tags: keys whose tags are equal hash to the same slot, so a script or
 * MULTI/EXEC may touch them together on a cluster.
 */

/** The part of `key` that decides its cluster slot: the first non-empty `{...}`, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/** Whether `a` and `b` are sure to hash to the same cluster slot (same hash tag). */
export function sameHashTag(a: string, b: string): boolean {
  return hashTag(a) === hashTag(b);
}
