/**
 * Error fingerprints: the same bug groups together however its ids, numbers and line positions
 * differ. Built from the error class, the message with variable parts masked, and the top stack
 * frames' function and file names (without line numbers, which move with every deploy).
 */
import { createHash } from 'node:crypto';

/** The version of the grouping algorithm below; stored with every fingerprint it computes. */
export const FINGERPRINT_VERSION = 1;

const MASKS: [RegExp, string][] = [
  [/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, '<email>'],
  [/\bhttps?:\/\/[^\s"'<>]+/g, '<url>'],
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>'],
  [/\b[0-9a-f]{16,}\b/gi, '<hex>'],
  [/\b\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?\b/g, '<time>'],
  [/\b\d+(\.\d+)?\b/g, '<n>'],
  [/(["'`]).*?\1/g, '<str>'],
];

/** Masks the variable parts of an error message (ids, numbers, quoted values). */
export function normalizeErrorMessage(message: string): string {
  let out = message;
  for (const [pattern, replacement] of MASKS) out = out.replace(pattern, replacement);
  return out.trim().slice(0, 500);
}

/** The top `count` stack frames as `function@file`, without line and column numbers. */
export function topStackFrames(stack: string | undefined, count = 3): string[] {
  if (!stack) return [];
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const match = /^\s*at (?:(.+?) \()?(.+?)(?::\d+:\d+)?\)?$/.exec(line);
    if (!match) continue;
    const file = (match[2] ?? '').split(/[\\/]/).pop() ?? '';
    frames.push(`${match[1] ?? '<anonymous>'}@${file}`);
    if (frames.length === count) break;
  }
  return frames;
}

/** A short stable hash identifying the kind of failure. */
export function errorFingerprint(error: {
  errorClass: string | null;
  message: string;
  stack?: string | null;
}): string {
  const parts = [
    error.errorClass ?? 'Error',
    normalizeErrorMessage(error.message),
    ...topStackFrames(error.stack ?? undefined),
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}
