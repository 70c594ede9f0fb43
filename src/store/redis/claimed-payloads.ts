/**
 * The payload texts of recently claimed jobs, kept from the claims' replies, so that a dead letter
 * whose payload goes through the caller's redaction does not read the payload back from the
 * server first (read-payloads.lua: one more script call and round trip per failure batch, about
 * 8k server instructions per dead letter).
 *
 * A claim's reply is one JSON array of rows `[id, attemptsMade, orphanCount, rateLimitDelays, runAt,
 * attempts, d, payload]` (lib/claim.lua), the payload spliced in as stored. The reply's text is
 * kept as it is, under the claim's id (every token of the claim ends with it), and a claim's rows
 * are located only when one of its jobs fails. A job's payload never changes after its insert, so
 * the text of the claim that started the failed attempt is the text the job holds. Only the latest
 * claims are kept (bounded in count and bytes); a job not found here, or a reply that does not
 * read as expected, is left to the read from the server.
 */

import type { JobFailure } from '../job-store.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Index just past the JSON string starting at `i` (a quote), or -1. */
function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let escapes = 0;
    for (let b = quote - 1; text.charCodeAt(b) === BACKSLASH; b--) escapes++;
    if (escapes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/**
 * Index just past the JSON value starting at `i`, or -1. Values without white space around them,
 * as the claim writes its own parts; a payload with any is refused by the caller's checks.
 */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j);
        if (j < 0) return -1;
        j--;
      } else if (d === OPEN_ARRAY || d === OPEN_OBJECT) depth++;
      else if (d === CLOSE_ARRAY || d === CLOSE_OBJECT) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_ARRAY || d === CLOSE_OBJECT) break;
    j++;
  }
  return j > i ? j : -1;
}

/** Job id -> its payload's text, for the rows of one claim's reply; null when the text is not as expected. */
export function payloadsOfClaim(text: string): Map<string, string> | null {
  const rows = new Map<string, string>();
  if (text.charCodeAt(0) !== OPEN_ARRAY) return null;
  let i = 1;
  if (text.charCodeAt(i) === CLOSE_ARRAY) return rows;
  for (;;) {
    if (text.charCodeAt(i) !== OPEN_ARRAY || text.charCodeAt(i + 1) !== QUOTE) return null;
    const idEnd = skipString(text, i + 1);
    if (idEnd < 0) return null;
    const id = text.slice(i + 2, idEnd - 1);
    if (id.includes('\\')) return null;
    i = idEnd;
    // attemptsMade, orphanCount, rateLimitDelays, runAt, attempts, d: each after a comma.
    for (let field = 0; field < 6; field++) {
      if (text.charCodeAt(i) !== COMMA) return null;
      i = skipValue(text, i + 1);
      if (i < 0) return null;
    }
    if (text.charCodeAt(i) !== COMMA) return null;
    const start = i + 1;
    const end = skipValue(text, start);
    if (end < 0 || text.charCodeAt(end) !== CLOSE_ARRAY) return null;
    rows.set(id, text.slice(start, end));
    i = end + 1;
    const next = text.charCodeAt(i);
    if (next === CLOSE_ARRAY && i === text.length - 1) return rows;
    if (next !== COMMA) return null;
    i++;
  }
}

interface KeptClaim {
  text: string;
  /** Located on the first failure among the claim's jobs; null: the text did not read as expected. */
  rows?: Map<string, string> | null;
}

/** The latest claims' reply texts (see the module comment). */
export class ClaimedPayloads {
  private readonly claims = new Map<string, KeptClaim>();
  private bytes = 0;

  /**
   * @param maxClaims claims kept at most (the oldest go first).
   * @param maxBytes characters of reply text kept at most: a batch of large payloads is not held
   *   for long.
   */
  constructor(
    private readonly maxClaims = 16,
    private readonly maxBytes = 1_000_000,
  ) {}

  /** Keeps a claim's reply text (the JSON array of its rows). */
  remember(claimId: string, text: string): void {
    if (text.length > this.maxBytes || this.claims.has(claimId)) return;
    this.claims.set(claimId, { text });
    this.bytes += text.length;
    while (this.claims.size > this.maxClaims || this.bytes > this.maxBytes) {
      const [oldest, kept] = this.claims.entries().next().value as [string, KeptClaim];
      this.claims.delete(oldest);
      this.bytes -= kept.text.length;
    }
  }

  /** The payload text of job `id` as claimed with `token` (`<attempt>:<claimId>`), if kept. */
  payload(id: string, token: string): string | undefined {
    const colon = token.indexOf(':');
    if (colon < 0) return undefined;
    const kept = this.claims.get(token.slice(colon + 1));
    if (!kept) return undefined;
    if (kept.rows === undefined) kept.rows = payloadsOfClaim(kept.text);
    return kept.rows?.get(id);
  }

  /**
   * The payload texts the dead letters of `failures` need: those whose payload goes through a
   * redaction, from the kept claims (null for the others), and the positions (`missing`) whose
   * text must be read from the server.
   */
  payloadsFor(failures: readonly JobFailure[]): { payloads: (string | null)[]; missing: number[] } {
    const payloads: (string | null)[] = new Array(failures.length).fill(null);
    const missing: number[] = [];
    failures.forEach((f, i) => {
      if (f.outcome.kind !== 'dead_letter' || !f.outcome.deadLetter.redactPayload) return;
      const kept = this.payload(String(f.id), String(f.token));
      if (kept === undefined) missing.push(i);
      else payloads[i] = kept;
    });
    return { payloads, missing };
  }
}
