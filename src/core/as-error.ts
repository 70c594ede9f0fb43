/**
 * Turns whatever a handler threw (or an application passed as a failure's error) into an Error. A thrown value that `String()` cannot convert (an
 * object without a prototype, a `toString` that throws) gets a description instead of throwing
 * again inside the worker, where it would stop the outcome of its job from being recorded.
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
