/**
 * Refusing option keys nobody reads. A mistyped key (`delya`) would otherwise be ignored and the
 * job would run with the default, silently; the error names the key and the nearest valid one.
 */
import { ValidationError } from './errors.js';

/**
 * Throws unless `value` is a plain object (not an array, not null) whose own keys are all in
 * `known`. Cheap when it passes: one `for...in` and a set lookup per key.
 *
 * @param field the name of the object in messages (`options`, `options.backoff`, `jobs[3].options`)
 * @throws ValidationError naming `field` (not an object) or `field.key` (an unknown key)
 */
export function assertKnownKeys(value: unknown, known: ReadonlySet<string>, field: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, `must be an object, got ${kindOf(value)}`);
  }
  for (const key in value) {
    if (!known.has(key) && Object.hasOwn(value, key)) throw unknownKey(key, known, field);
  }
}

function unknownKey(key: string, known: ReadonlySet<string>, field: string): ValidationError {
  const nearest = nearestKey(key, known);
  const hint = nearest === null ? `known: ${[...known].join(', ')}` : `did you mean '${nearest}'?`;
  return new ValidationError(`${field}.${key}`, `is not a known option (${hint})`);
}

/** The known key closest to `key` (edit distance, case-insensitive), or null when none is close. */
export function nearestKey(key: string, known: Iterable<string>): string | null {
  const lower = key.toLowerCase();
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

/** Levenshtein distance with adjacent transpositions counted as one edit (`delya` -> `delay`: 1). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[rows - 1]![cols - 1]!;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
