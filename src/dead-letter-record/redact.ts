/**
 * Secret redaction by key. Dead letters keep payloads, snapshots and request/response bodies for
 * forensics; values under keys that name secrets (password, token, authorization, cookie, api key
 * ...) are replaced before anything is stored or written to the fallback file, at any depth.
 */

/** The marker that replaces a secret value. */
export const REDACTED = '[REDACTED]';

/**
 * Key fragments that mark a secret. A key matches when, lower-cased and stripped of `-`, `_`,
 * `.` and spaces, it contains one of these (so `X-Api-Key`, `api_key`, `clientSecret` and
 * `refresh_token` all match).
 */
export const DEFAULT_SECRET_KEY_FRAGMENTS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'cookie',
  'apikey',
  'privatekey',
  'accesskey',
  'signature',
  'credential',
  'creditcard',
  'cardnumber',
  'cvv',
  'cvc',
  'iban',
  'ssn',
  'sessionid',
];

/** Keys that match only exactly (after normalisation): too short to match as fragments. */
export const DEFAULT_SECRET_KEYS_EXACT: readonly string[] = ['auth', 'pwd', 'pin', 'otp', 'jwt'];

/** Options of {@link createRedactor}. */
export interface RedactOptions {
  /** More key fragments to treat as secret (same normalisation as the defaults). */
  keys?: readonly string[];
  /** Keys matched by a pattern (tested against the raw key). */
  patterns?: readonly RegExp[];
  /** Replace the default fragments instead of extending them. */
  replaceDefaults?: boolean;
  /** The replacement value. Default {@link REDACTED}. */
  replacement?: string;
  /** Deepest level walked; deeper values are replaced with `[TRUNCATED]`. Default 32. */
  maxDepth?: number;
}

/**
 * A function returning a redacted deep copy of its input (the input is never modified). The copy
 * is JSON-safe: dates and other `toJSON` values are converted, bigints become strings, cycles
 * become `[Circular]`.
 */
export type Redactor = ((value: unknown) => unknown) & {
  /**
   * False only when redacting the value `json` (JSON text) encodes would change nothing (no secret
   * key, shallower than the depth bound), so the text can be kept as it is instead of parsed,
   * walked and written again. Set on the redactors {@link createRedactor} builds.
   */
  mayChangeJson?: (json: string) => boolean;
};

const normalise = (key: string) => key.toLowerCase().replace(/[-_.\s]/g, '');

/**
 * Sets an own data property. Plain assignment of `__proto__` would change the copy's prototype
 * instead, dropping a key the original had (JSON.parse makes `__proto__` an ordinary own key).
 */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Builds a redactor. */
export function createRedactor(options: RedactOptions = {}): Redactor {
  const fragments = [
    ...(options.replaceDefaults ? [] : DEFAULT_SECRET_KEY_FRAGMENTS),
    ...(options.keys ?? []).map(normalise),
  ].filter((f) => f.length > 0);
  const exact = new Set(options.replaceDefaults ? [] : DEFAULT_SECRET_KEYS_EXACT);
  const patterns = options.patterns ?? [];
  const replacement = options.replacement ?? REDACTED;
  const maxDepth = options.maxDepth ?? 32;
  const cache = new Map<string, boolean>();

  const isSecret = (key: string): boolean => {
    let hit = cache.get(key);
    if (hit === undefined) {
      const n = normalise(key);
      hit = exact.has(n) || fragments.some((f) => n.includes(f)) || patterns.some((p) => p.test(key));
      if (cache.size < 10_000) cache.set(key, hit);
    }
    return hit;
  };

  const walk = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value === 'bigint') return value.toString();
    if (value === null || typeof value !== 'object') return value;
    if (depth >= maxDepth) return '[TRUNCATED]';
    if (seen.has(value)) return '[Circular]';
    if (value instanceof Date) return value.toISOString();
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function' && !Array.isArray(value)) {
      return walk((toJSON as () => unknown).call(value), depth, seen);
    }
    seen.add(value);
    let out: unknown;
    if (Array.isArray(value)) {
      out = value.map((item) => walk(item, depth + 1, seen));
    } else if (value instanceof Map) {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of value)
        setOwn(obj, String(k), isSecret(String(k)) ? replacement : walk(v, depth + 1, seen));
      out = obj;
    } else {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        setOwn(obj, k, isSecret(k) && v !== null && v !== undefined ? replacement : walk(v, depth + 1, seen));
      }
      out = obj;
    }
    seen.delete(value);
    return out;
  };

  // Keys are read literally from JSON text without escapes: each string literal is `"[^"]*"`.
  // Every `{` or `[` counts towards the depth bound, those inside strings too (an overestimate).
  const mayChangeJson = (json: string): boolean => {
    if (json.includes('\\')) return true;
    let opens = 0;
    for (let i = json.indexOf('{'); i >= 0; i = json.indexOf('{', i + 1)) opens++;
    for (let i = json.indexOf('['); i >= 0; i = json.indexOf('[', i + 1)) opens++;
    if (opens > maxDepth) return true;
    // Each string literal, and whether a colon follows it (a key): what `/"([^"]*)"(\s*:)?/g`
    // matches, found with indexOf instead of a match object per literal.
    for (let open = json.indexOf('"'); open >= 0; ) {
      const close = json.indexOf('"', open + 1);
      if (close < 0) break;
      let next = close + 1;
      while (next < json.length && isSpace(json.charCodeAt(next))) next++;
      if (json.charCodeAt(next) === COLON && isSecret(json.slice(open + 1, close))) return true;
      open = json.indexOf('"', close + 1);
    }
    return false;
  };
  return Object.assign((value: unknown) => walk(value, 0, new WeakSet()), { mayChangeJson });
}

const COLON = 0x3a;

/** Whether the character code is one `\s` matches. */
function isSpace(code: number): boolean {
  if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return true;
  return code > 0x7f && /\s/.test(String.fromCharCode(code));
}

/** The redactor with the default keys. */
export const redactSecrets: Redactor = createRedactor();

/** Whether a (stored) value contains the default redaction marker anywhere. */
export function containsRedaction(value: unknown, replacement = REDACTED): boolean {
  if (value === replacement) return true;
  if (value === null || typeof value !== 'object') return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (containsRedaction(v, replacement)) return true;
  }
  return false;
}
