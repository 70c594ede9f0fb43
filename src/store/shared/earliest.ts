/**
 * The earliest of a time that each part of a store (a shard, a queue slot) answers on its own,
 * such as the next scheduled run or the next lease expiry.
 */

/** The smallest non-null answer of `read` over `parts`, asked one part after another; or null. */
export async function earliestOfParts<Part>(
  parts: Iterable<Part>,
  read: (part: Part) => Promise<number | null>,
): Promise<number | null> {
  let earliest: number | null = null;
  for (const part of parts) {
    const at = await read(part);
    if (at !== null && (earliest === null || at < earliest)) earliest = at;
  }
  return earliest;
}
