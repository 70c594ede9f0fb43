/**
 * Masking of one whitespace-free token of an error message: addresses, ids, numbers and paths
 * become placeholders (`<ip>`, `<id>`, `<n>` ...), words stay. Each check is a linear scan.
 */

const LEADING = new Set(['(', '[', '{', '<']);
const TRAILING = new Set([')', ']', '}', '>', ',', ';', '.', '!', '?', ':']);

/** Technical words with digits that name things rather than vary (`sha256`, `utf8mb4`, `http2`). */
const TECH_WORDS = new Set([
  'md5',
  'sha1',
  'sha224',
  'sha256',
  'sha384',
  'sha512',
  'base32',
  'base64',
  'base64url',
  'utf8',
  'utf8mb3',
  'utf8mb4',
  'utf16',
  'utf16le',
  'latin1',
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'ipv4',
  'ipv6',
  'http1',
  'http2',
  'http3',
  'h2',
  'h2c',
  's3',
  'ec2',
  'sqs',
  'sns',
  'oauth2',
  'x509',
  'es256',
  'es384',
  'es512',
  'rs256',
  'rs384',
  'rs512',
  'ps256',
  'hs256',
  'hs384',
  'hs512',
  'e2e',
  'i18n',
  'k8s',
  'tls1',
  'v8',
  'node20',
  'node22',
  'e11000',
]);

const HOST_PORT = /^([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*):(\d{2,5})$/;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}(?::(\d{1,5}))?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[\w.]+)?$/;
const BRACKETED_IPV6 = /^\[[0-9A-Fa-f:.%\w]+\](?::(\d{1,5}))?$/;
const EMAIL = /^[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
const JWT = /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TIME = /^\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?$/;
const UUID = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/g;
const PREFIXED_HEX = /(?<![A-Za-z0-9])0[xX][0-9A-Fa-f]+(?![A-Za-z0-9])/g;
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?)$/;
const DURATION_UNITS = new Set([
  'ns',
  'us',
  'µs',
  'ms',
  's',
  'sec',
  'secs',
  'm',
  'min',
  'mins',
  'h',
  'hr',
  'hrs',
  'd',
]);
const SIZE_UNITS = new Set(['b', 'kb', 'mb', 'gb', 'tb', 'kib', 'mib', 'gib', 'tib', 'bytes']);
/** A number written with separators (`1,234.56`, `3.14`): one value, one placeholder. */
const SEPARATED_NUMBER = /(?<![A-Za-z0-9.,])\d+(?:[.,]\d+)+([A-Za-zµ]{1,5})?(?![A-Za-z0-9])/g;
const NUMBER_KEYS = new Set(['status', 'code', 'statuscode', 'http', 'errno', 'sqlstate', 'port']);

/**
 * A short token (1-15 characters) of ASCII letters and the punctuation `_(),.;!?'-` only; a loop
 * over the characters, as this runs for nearly every token of every message.
 */
function plainWord(token: string): boolean {
  if (token.length === 0 || token.length > 15) return false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122) continue;
    if (!PLAIN_PUNCTUATION.has(token.charCodeAt(i))) return false;
  }
  return true;
}

/** The punctuation a plain word may hold, as character codes. */
const PLAIN_PUNCTUATION = new Set([..."_(),.;!?'-"].map((ch) => ch.charCodeAt(0)));

/** Only ASCII digits (and at least one). */
export function allDigits(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return token.length > 0;
}

/** How many times the run switches between letters and digits (`a1b2` switches 3 times). */
function switches(run: string): number {
  let count = 0;
  let digit = run.charCodeAt(0) <= 57;
  for (let i = 1; i < run.length; i++) {
    const d = run.charCodeAt(i) <= 57;
    if (d !== digit) count++;
    digit = d;
  }
  return count;
}

/** A long letters-only run with short lowercase stretches is random (base62), not a word. */
function randomLetters(run: string): boolean {
  if (run.length < 16) return false;
  let upper = 0;
  let lowerRun = 0;
  let longest = 0;
  for (const ch of run) {
    if (ch >= 'A' && ch <= 'Z') {
      upper++;
      lowerRun = 0;
    } else {
      lowerRun++;
      if (lowerRun > longest) longest = lowerRun;
    }
  }
  return upper >= 3 && longest <= 4 && upper < run.length;
}

/** Masks one run of letters and digits. */
function maskRun(run: string, keepNumbers: boolean): string {
  const hasDigit = /\d/.test(run);
  if (!hasDigit) return randomLetters(run) ? '<id>' : run;
  if (/^\d+$/.test(run)) return keepNumbers ? run : '<n>';
  if (TECH_WORDS.has(run.toLowerCase())) return run;
  if (/^[A-Z]{1,4}\d{1,5}$/.test(run) && run.length <= 8) return run;
  if (run.length >= 8 && (/^[0-9a-f]+$/.test(run) || /^[0-9A-F]+$/.test(run))) return '<hex>';
  if (run.length >= 16) return '<id>';
  const turns = switches(run);
  if (turns >= 2) return '<id>';
  // One switch: a word with a counter (`user42`, `v2`) or a number with its unit (`3021ms`).
  return /^\d/.test(run) ? numberWithUnit(run.replace(/^\d+/, '')) : run.replace(/\d+$/, '<n>');
}

/** A number glued to its unit: one duration (or size) may print as `950ms` one time, `1.2s` the next. */
function numberWithUnit(unit: string): string {
  const lower = unit.toLowerCase();
  if (DURATION_UNITS.has(lower)) return '<duration>';
  if (SIZE_UNITS.has(lower)) return '<size>';
  return `<n>${unit}`;
}

/** Masks a token without slashes or spaces: embedded UUIDs and hex first, then each run. */
function maskWord(word: string, keepNumbers: boolean): string {
  let text = word;
  if (text.length >= 36) text = text.replace(UUID, '<uuid>');
  if (text.includes('0x') || text.includes('0X')) text = text.replace(PREFIXED_HEX, '<hex>');
  if (text.includes('.') || text.includes(',')) {
    text = text.replace(SEPARATED_NUMBER, (_, unit: string | undefined) =>
      unit ? numberWithUnit(unit) : '<n>',
    );
  }
  return text.replace(/<[a-z]+>|[A-Za-z0-9]+/g, (run) =>
    run.startsWith('<') ? run : maskRun(run, keepNumbers),
  );
}

/** Masks a path segment by segment; a trailing `:line:column` becomes `:<n>:<n>`. */
function maskPath(path: string): string {
  return path
    .split('/')
    .map((segment) => maskWord(segment, false))
    .join('/');
}

function maskCore(core: string, keepNumbers: boolean): string {
  if (core.includes('://')) return '<url>';
  if (core.includes('@') && EMAIL.test(core)) return '<email>';
  if (core.startsWith('eyJ') && JWT.test(core)) return '<jwt>';
  if (
    core.length >= 24 &&
    BASE64.test(core) &&
    !core.startsWith('/') &&
    /[A-Z]/.test(core) &&
    /[a-z]/.test(core) &&
    /\d/.test(core)
  ) {
    return '<base64>';
  }
  const equals = core.indexOf('=');
  if (equals > 0 && equals < core.length - 1 && !/^=+$/.test(core.slice(equals + 1))) {
    const key = core.slice(0, equals);
    const keyKeeps = NUMBER_KEYS.has(key.replace(/[^A-Za-z]/g, '').toLowerCase());
    return `${maskCore(key, false)}=${maskCore(core.slice(equals + 1), keyKeeps)}`;
  }
  const ipv4 = IPV4.exec(core);
  if (ipv4) return ipv4[1] === undefined ? '<ip>' : `<ip>:${ipv4[1]}`;
  if (TIME.test(core)) return '<time>';
  if (core.indexOf(':') !== core.lastIndexOf(':') && IPV6.test(core) && /\d/.test(core)) {
    // Node prints `address:port` even for IPv6 (`::1:6379`): a last group of 2+ decimals is the port.
    const port = /::?(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4}:(\d{2,5})$/.exec(core);
    return port ? `<ip>:${port[1]}` : '<ip>';
  }
  const hostPort = HOST_PORT.exec(core);
  if (hostPort && /[A-Za-z]/.test(hostPort[1]!) && !SOURCE_FILE.test(hostPort[1]!)) {
    return `${maskWord(hostPort[1]!, false)}:${hostPort[2]}`;
  }
  if (core.includes('/')) return maskPath(core);
  return maskWord(core, keepNumbers);
}

/**
 * Masks one whitespace-free token (leading brackets and trailing punctuation kept as they are).
 * `mode` 'keep-number' keeps a bare number (it follows a word like `status` or `port`).
 */
export function maskToken(token: string, mode: '' | 'keep-number'): string {
  // Most tokens are words: nothing in them can vary (a random run needs 16+ letters).
  if (plainWord(token)) return token;
  // The next most common is a bare number, which no other rule below reads differently.
  if (allDigits(token)) return mode === 'keep-number' ? token : '<n>';
  const bracketed = token.startsWith('[') ? BRACKETED_IPV6.exec(token.replace(/[,.;]+$/, '')) : null;
  if (bracketed) return bracketed[1] === undefined ? '<ip>' : `<ip>:${bracketed[1]}`;
  let start = 0;
  let end = token.length;
  while (start < end && LEADING.has(token[start]!)) start++;
  while (end > start && TRAILING.has(token[end - 1]!)) end--;
  if (start === end) return token;
  const core = token.slice(start, end);
  return token.slice(0, start) + maskCore(core, mode === 'keep-number') + token.slice(end);
}
