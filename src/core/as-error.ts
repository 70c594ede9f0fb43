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

/** How deep a copy follows `cause` (as deep as stacks are kept with their causes). */
const MAX_COPIED_CAUSES = 5;

/** The fields redrive reads from a thrown value besides name, message, stack and cause. */
const COPIED_FIELDS = ['code', 'status', 'statusCode', 'retryAfterMs'] as const;

/**
 * A copy of a thrown value for when reading it threw: a getter of `message`, `stack` or `status`
 * that throws, a Proxy, a revoked Proxy. redrive reads a failure's error in many places (the retry
 * decision, the attempt and dead-letter records, events, traces); one read that throws there
 * would stop the outcome of its job from being recorded at all.
 *
 * The copy keeps the value's prototype where it can be read (so a `PermanentError` stays one) and
 * holds, as its own properties, every field redrive reads: `name`, `message`, `stack`, `code`,
 * `status`, `statusCode`, `retryAfterMs`, the `retry-after` header of `headers` or `response`, the
 * response's status, and the `cause` (copied the same way). A field that could not be read is
 * left undefined and named in the message: `... (unreadable: stack)`.
 */
export function readableCopy(value: unknown, depth = 0): Error {
  const unreadable: string[] = [];
  const isObject = (typeof value === 'object' || typeof value === 'function') && value !== null;
  const read = (key: string): unknown => {
    if (!isObject) return undefined;
    try {
      return (value as Record<string, unknown>)[key];
    } catch {
      unreadable.push(key);
      return undefined;
    }
  };
  const name = textOrUndefined(read('name'));
  const message = textOrUndefined(read('message'));
  const stack = textOrUndefined(read('stack'));
  const copy = new Error(message ?? (isObject ? '' : safeDescription(value)));
  const own: Record<string, unknown> = { name: name ?? 'Error' };
  for (const key of COPIED_FIELDS) {
    const field = read(key);
    own[key] = typeof field === 'string' || typeof field === 'number' ? field : undefined;
  }
  own.headers = retryAfterHeader(read('headers'));
  own.response = responseFields(read('response'));
  const cause = read('cause');
  own.cause = cause === undefined || depth >= MAX_COPIED_CAUSES ? undefined : readableCopy(cause, depth + 1);
  if (unreadable.length > 0) {
    copy.message = `${copy.message}${copy.message ? ' ' : ''}(unreadable: ${unreadable.join(', ')})`;
  }
  own.message = copy.message;
  own.stack = stack ?? `${own.name}: ${copy.message}`;
  for (const [key, field] of Object.entries(own)) {
    Object.defineProperty(copy, key, { value: field, writable: true, configurable: true, enumerable: false });
  }
  keepPrototype(copy, value);
  return copy;
}

function textOrUndefined(field: unknown): string | undefined {
  return typeof field === 'string' ? field : undefined;
}

/** Gives `copy` the prototype of `value` when `value` is an Error whose prototype can be read. */
function keepPrototype(copy: Error, value: unknown): void {
  try {
    if (value instanceof Error) Object.setPrototypeOf(copy, Object.getPrototypeOf(value));
  } catch {
    // A revoked Proxy, or a getPrototypeOf trap that throws: a plain Error then.
  }
}

/** `describeThrown(value)`, or its type when even that throws (a revoked Proxy). */
function safeDescription(value: unknown): string {
  try {
    return describeThrown(value);
  } catch {
    return `[${typeof value}]`;
  }
}

/** `{ 'retry-after': ... }` from a plain or `Headers`-like object, where readable. */
function retryAfterHeader(headers: unknown): Record<string, unknown> | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  try {
    const get = (headers as { get?: unknown }).get;
    const retryAfter =
      typeof get === 'function'
        ? get.call(headers, 'retry-after')
        : (headers as Record<string, unknown>)['retry-after'];
    if (typeof retryAfter === 'string' || typeof retryAfter === 'number')
      return { 'retry-after': retryAfter };
  } catch {
    // left out
  }
  return undefined;
}

/** The status and `retry-after` header of an HTTP client error's `response`, where readable. */
function responseFields(response: unknown): Record<string, unknown> | undefined {
  if ((typeof response !== 'object' && typeof response !== 'function') || response === null) return undefined;
  const fields: Record<string, unknown> = {};
  for (const key of ['status', 'statusCode']) {
    try {
      const field = (response as Record<string, unknown>)[key];
      if (typeof field === 'number' || typeof field === 'string') fields[key] = field;
    } catch {
      // left out
    }
  }
  try {
    fields.headers = retryAfterHeader((response as { headers?: unknown }).headers);
  } catch {
    // left out
  }
  return fields;
}
