/**
 * Error fingerprints: one failure groups together however its ids, numbers, times and line
 * positions differ, and different failures stay apart. Version 2 (after Sentry's grouping): the
 * error class, its code, the parameterized message (grouping/parameterize.ts), the class and
 * parameterized message of each recorded cause, and the application's own top two stack frames
 * (grouping/frames.ts) — never runtime, dependency or async-glue frames, never line numbers. An
 * error without application frames groups by class, code and message alone.
 *
 * The version is stored with every fingerprint; a change to these rules is a new version, and
 * `redrive dlq regroup` recomputes stored entries of older versions.
 */
import * as crypto from 'node:crypto';
import { causesInStack } from './grouping/causes.js';
import { type AppFrame, appFrames, formatFrame } from './grouping/frames.js';
import { parameterizeMessage } from './grouping/parameterize.js';
import { RecentResults } from './recent-results.js';

export { stackWithCauses } from './grouping/causes.js';

/** The version of the grouping rules below; stored with every fingerprint they compute. */
export const FINGERPRINT_VERSION = 2;

/** The error fields a fingerprint is computed from (as a dead letter stores them). */
export interface FingerprintInput {
  errorClass: string | null;
  message: string;
  /** The stored stack, `Caused by:` blocks included. */
  stack?: string | null;
  /** The error's `code` (`ECONNREFUSED`, `23505`, `P2002` ...). */
  code?: string | null;
}

/** What identifies a failure group, for people: class, parameterized message, first own frame. */
export interface FailureSignature {
  errorClass: string;
  /** The message with its variable parts masked (`<n>`, `<id>`, `<email>` ...). */
  message: string;
  /** The innermost frame of the application, as `function (file)`; null when there is none. */
  frame: string | null;
}

/** Masks the variable parts of an error message (ids, numbers, times, addresses, data values). */
export function normalizeErrorMessage(message: string): string {
  return parameterizeMessage(message);
}

/** The application's top stack frames as `function (file)`, without line and column numbers. */
export function topStackFrames(stack: string | undefined | null, count = 2): string[] {
  return appFrames(stack, count).map(formatFrame);
}

/**
 * The SHA-256 of a text, in hex: Node's one-shot `crypto.hash` where it has one (20.12 and later;
 * about a quarter of the time, as it builds no Hash object), `createHash` before. The same digest.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** A short stable hash identifying the kind of failure (version {@link FINGERPRINT_VERSION}). */
export function errorFingerprint(error: FingerprintInput): string {
  const frames: readonly AppFrame[] = appFrames(error.stack);
  const parts = [
    `v${FINGERPRINT_VERSION}`,
    error.errorClass ?? 'Error',
    error.code ?? '',
    parameterizeMessage(error.message),
    ...causesInStack(error.stack).map((c) => `cause ${c.errorClass}: ${parameterizeMessage(c.message)}`),
    ...frames.map(formatFrame),
  ];
  return recentFingerprints.get(parts.join('\n'), digestOfParts);
}

function digestOfParts(text: string): string {
  return sha256Hex(text).slice(0, 16);
}

/**
 * Fingerprints of recently seen parts: failures come in storms of one group, whose parts are the
 * same text each time, and a look-up costs a small part of a SHA-256 (about 7,000 instructions).
 * 500 parts texts of up to 2,000 characters (around a megabyte at most).
 */
const recentFingerprints = new RecentResults<string>(500, 2000);

/** What identifies the failure of an error, in the terms its fingerprint uses. */
export function failureSignature(error: FingerprintInput): FailureSignature {
  const frame = appFrames(error.stack, 1)[0];
  return {
    errorClass: error.errorClass ?? 'Error',
    message: parameterizeMessage(error.message),
    frame: frame ? formatFrame(frame) : null,
  };
}

/**
 * The fingerprint of a stored dead letter, computed from its error fields the way capture does:
 * a record without an error class groups by its failure type, one without a message by its code.
 */
export function deadLetterFingerprint(record: {
  errorClass: string | null;
  errorCode: string | null;
  errorMessage: string;
  errorStack: string | null;
  failureType: string;
}): string {
  return errorFingerprint({
    errorClass: record.errorClass ?? record.failureType,
    message: record.errorMessage || (record.errorCode ?? record.failureType),
    stack: record.errorStack,
    code: record.errorCode,
  });
}
