/**
 * Turns whatever was thrown (by a handler, or passed to a dead-letter capture as its error) into an
 * Error. A value that `String()` cannot convert (an object without a prototype, a `toString` that
 * throws) gets a description instead of throwing again inside redrive, where it would stop the
 * outcome of its job or the capture of its failure from being recorded.
 */

/** `value` itself when it is an Error, else an Error whose message describes it. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(describeThrown(value));
}

/** `String(value)`, or `[object Object]`-style text when that throws. */
export function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
