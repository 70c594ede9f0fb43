/**
 * Message parameterization: masks the parts of an error message that vary between occurrences of
 * the same failure (ids, numbers, times, addresses, data values) and keeps the parts that tell
 * failures apart (words, HTTP status codes, errno names, SQL constraint/table/column names, quoted
 * names of code). The rules are documented in docs/failure-grouping.md.
 *
 * Every pattern here is linear: character classes that cannot overlap their terminators, bounded
 * repetitions, no nested quantifiers over the same characters. Parameterization runs on every
 * dead letter, so it must stay cheap on hostile input too (input is capped at 2,000 characters).
 */

import { RecentResults } from '../recent-results.js';
import { allDigits, maskToken } from './tokens.js';

const MAX_INPUT = 2000;
const MAX_OUTPUT = 500;

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';

/** Dates and times spelled with spaces (HTTP-date, `Date#toString`) or glued into a token (ISO). */
const DATES = new RegExp(
  [
    `\\b${DAY}, \\d{1,2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} (?:GMT|UTC|[+-]\\d{4})`,
    `\\b${DAY} ${MONTH} \\d{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT[+-]\\d{4}(?: \\([^()\\n]{1,60}\\))?`,
    '\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d{1,9})?)?(?:Z|[+-]\\d{2}:?\\d{2}| ?UTC)?)?(?![\\d])',
    '\\b\\d{8}T\\d{6}Z\\b',
  ].join('|'),
  'g',
);

/** Numbered source lines (an ORM's code excerpt inside a message): they move with every edit. */
const SOURCE_EXCERPT_LINE = /\n[ \t]*(?:→[ \t]*)?\d+[ \t]+[^\n]*/g;

/** Words after which a number is a category, not a value: `status code 404`, `port 5432`. */
const NUMBER_KEEPING_WORDS = new Set(['status', 'code', 'statuscode', 'http', 'errno', 'sqlstate', 'port']);

/** HTTP reason phrases: a status code followed by one is kept (`404 Not Found`). */
const REASON_PHRASE =
  /^ \(?(?:Bad Request|Unauthorized|Payment Required|Forbidden|Not Found|Method Not Allowed|Not Acceptable|Request Timeout|Conflict|Gone|Precondition Failed|Payload Too Large|Unsupported Media Type|Unprocessable Entity|Unprocessable Content|Too Many Requests|Internal Server Error|Not Implemented|Bad Gateway|Service Unavailable|Gateway Timeout)/;

/** Words naming a code object: the quoted text after them is a name, kept (`constraint "x"`). */
const CODE_WORDS = new Set([
  'constraint',
  'relation',
  'table',
  'column',
  'columns',
  'index',
  'key',
  'field',
  'fields',
  'property',
  'reading',
  'setting',
  'module',
  'package',
  'function',
  'method',
  'type',
  'enum',
  'collection',
  'database',
  'schema',
  'model',
  'command',
  'option',
  'parameter',
  'argument',
  'variable',
  'header',
  'event',
  'queue',
  'topic',
  'bucket',
  'references',
  'token',
  'operator',
  'extension',
  'role',
  'sequence',
  'view',
  'trigger',
  // Node's fs errors name the system call before the path: `ENOENT: ..., open '/etc/x.json'`.
  'open',
  'mkdir',
  'rmdir',
  'scandir',
  'stat',
  'lstat',
  'unlink',
  'rename',
  'access',
  'readlink',
  'copyfile',
  'chmod',
  'watch',
]);

/** Words after which the quoted text is a value, masked (`Duplicate entry 'x'`). */
const DATA_WORDS = new Set(['entry', 'value', 'values', 'input', 'string', 'text']);

/** A placeholder left by masking (`<n>`, `<id>` ...). */
const PLACEHOLDER = /<[a-z0-9]+>/;

/** Looks like code rather than prose: has code punctuation, camelCase or is an ALL_CAPS name. */
function looksLikeCode(text: string): boolean {
  return /[_.$/:()[\]#]/.test(text) || /[a-z][A-Z]/.test(text) || /^[A-Z][A-Z0-9]+$/.test(text);
}

/** The last word before `offset` (letters only, lowercased) and the last non-space character. */
function contextBefore(text: string, offset: number): { word: string; char: string } {
  let i = offset - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  const char = i >= 0 ? text[i]! : '';
  while (i >= 0 && !/[A-Za-z]/.test(text[i]!)) {
    if (offset - i > 4) break;
    i--;
  }
  let start = i;
  while (start >= 0 && /[A-Za-z]/.test(text[start]!)) start--;
  return { word: text.slice(start + 1, i + 1).toLowerCase(), char };
}

/** Masks the inside of a quoted span, word by word. */
function maskWords(content: string): string {
  return content.replace(/[^\s]+/g, (token) => maskToken(token, ''));
}

function maskQuoted(quote: string, content: string, text: string, offset: number): string {
  // An empty value is still a value: `invalid date ""` is the same failure as `invalid date "x"`.
  if (content === '') return `${quote}<str>${quote}`;
  const before = contextBefore(text, offset);
  const masked = maskWords(content);
  const spaced = /\s/.test(content);
  let keep: boolean;
  if (before.char === ':' || before.char === '=' || DATA_WORDS.has(before.word)) keep = false;
  else if (quote === '`' || CODE_WORDS.has(before.word)) keep = true;
  // Text with variable parts in it is a value (`invalid date "31/02/2026"`), not a name.
  else keep = !spaced && looksLikeCode(content) && !PLACEHOLDER.test(masked);
  return keep ? `${quote}${masked}${quote}` : `${quote}<str>${quote}`;
}

/**
 * Masks the variable parts of an error message so that one failure reads the same every time
 * (see the module comment; version 2 of the rules).
 */
export function parameterizeMessage(message: string): string {
  return recentMessages.get(message, parameterize);
}

/**
 * Messages seen recently: many failures repeat their message word for word (`jwt expired`). 500
 * messages of up to 1,000 characters (under a megabyte).
 */
const recentMessages = new RecentResults<string>(500, 1000);

function parameterize(message: string): string {
  let text = message.length > MAX_INPUT ? message.slice(0, MAX_INPUT) : message;
  if (text.includes('\n')) text = text.replace(SOURCE_EXCERPT_LINE, '');
  if (mayHoldDate(text)) text = text.replace(DATES, '<date>');
  return collapseSpaces(maskSpans(text)).slice(0, MAX_OUTPUT);
}

/**
 * Masks each quoted span (up to 200 characters between two equal quotes, no quote or line break
 * inside, neither end glued to a word) and each other run of characters that are neither space
 * nor quote, in one pass over the characters (a regular-expression `replace` with a callback per
 * token cost more than the masking itself).
 */
function maskSpans(text: string): string {
  let out = '';
  let copied = 0;
  let previous = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isQuote(c)) {
      const end = closingQuote(text, i);
      if (end < 0) {
        i++;
        continue;
      }
      out += text.slice(copied, i) + maskQuoted(text[i]!, text.slice(i + 1, end), text, i);
      previous = '';
      i = end + 1;
      copied = i;
    } else if (isSpace(c)) {
      i++;
    } else {
      let end = i + 1;
      while (end < text.length && !isSpace(text.charCodeAt(end)) && !isQuote(text.charCodeAt(end))) end++;
      const token = text.slice(i, end);
      const before = previous;
      previous = token;
      // Only a token with a digit can hold a number worth keeping.
      const keepNumber =
        hasDigit(token) &&
        (NUMBER_KEEPING_WORDS.has(lettersOnly(before).toLowerCase()) ||
          (end - i === 3 && allDigits(token) && REASON_PHRASE.test(text.slice(end, end + 37))));
      out += text.slice(copied, i) + maskToken(token, keepNumber ? 'keep-number' : '');
      i = end;
      copied = i;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Where the quoted span opening at `open` closes (the same quote within 200 characters, no quote
 * or line break inside, neither end glued to a word), or -1 when it is no quoted span.
 */
function closingQuote(text: string, open: number): number {
  if (open > 0 && isWordChar(text.charCodeAt(open - 1))) return -1;
  const limit = Math.min(text.length, open + 201);
  let end = open + 1;
  while (end < limit) {
    const c = text.charCodeAt(end);
    if (isQuote(c) || c === 10) break;
    end++;
  }
  if (end >= text.length || text.charCodeAt(end) !== text.charCodeAt(open)) return -1;
  if (end + 1 < text.length && isWordChar(text.charCodeAt(end + 1))) return -1;
  return end;
}

/** The ASCII letters of a word (the word itself when it has nothing else). */
function lettersOnly(word: string): string {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return word.replace(/[^A-Za-z]/g, '');
  }
  return word;
}

/** Holds an ASCII digit. */
function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** `"`, `'` or a backtick. */
function isQuote(c: number): boolean {
  return c === 34 || c === 39 || c === 96;
}

/** A character of `\w` (letters, digits, underscore). */
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** A character of `\s`, as JavaScript's regular expressions define it. */
function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 160) return false;
  return (
    c === 160 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Whether {@link DATES} can match: each of its forms has four digits followed by a space or a
 * dash, or eight followed by `T`; most messages have neither, and skip the scan.
 */
function mayHoldDate(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      continue;
    }
    if (digits >= 4 && (c === 32 || c === 45 || (digits >= 8 && c === 84))) return true;
    digits = 0;
  }
  return false;
}

/** Runs of white space as one space, none at either end (the regular-expression pass only when needed). */
function collapseSpaces(text: string): string {
  let single = true;
  let spaceBefore = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 && !spaceBefore) spaceBefore = true;
    else if (isSpace(c)) {
      single = false;
      break;
    } else spaceBefore = false;
  }
  if (single && !spaceBefore) return text;
  return text.replace(/\s+/g, ' ').trim();
}
