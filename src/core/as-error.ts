/**
 * Turns whatever a handler threw into an Error. A thrown value that `String()` cannot convert (an
 * object without a prototype, a `toString` that throws) gets a description instead of throwing
 * again inside the worker, where it would stop the outcome of its job from being recorded.
 */

/** `value` itself when it is an Error, else an Error whose message describes it. */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return new Error(text);
}
