/**
 * Validation of a `store()` call's input. The schema says what is accepted and words every
 * rejection; a direct check of the fields runs first and passes the common valid input without
 * it (the schema's walk cost about 14,000 instructions a call, as much as storing the record's
 * SQLite index entries). The direct check accepts only what the schema accepts: anything it is
 * unsure of (an unusual object, a failing field) goes through the schema, whose verdict stands.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';

const optionalText = (max: number) => z.string().max(max).nullish();
const idLike = z.union([z.string().max(200), z.number().finite()]).nullish();

const inputSchema = z.object({
  id: z.string().min(1).max(200).optional(),
  domain: z.string().min(1).max(200),
  failureType: z.string().min(1).max(200),
  entityType: optionalText(200),
  entityId: idLike,
  userId: idLike,
  errorCode: optionalText(200),
  errorMessage: z.string().max(100_000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  nextActionHint: optionalText(2000),
  recommendedAction: optionalText(200),
  queue: optionalText(200),
  jobName: optionalText(200),
  jobId: optionalText(200),
  attempts: z.array(z.unknown()).optional(),
  workerId: optionalText(200),
  handlerVersion: optionalText(200),
  maxReplays: z.number().int().min(0).max(1000).optional(),
  ttlMs: z.number().finite().positive().nullish(),
  firstFailedAt: z.number().finite().optional(),
});

/**
 * Checks a failure given to `store()`.
 *
 * @throws ValidationError naming the offending field
 */
export function checkFailureInput(input: unknown): void {
  if (passesDirectCheck(input)) return;
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // String(): a path may hold a symbol key (metadata: { [Symbol()]: … }), which join() cannot convert.
    throw new ValidationError(issue?.path.map(String).join('.') || 'failure', issue?.message ?? 'invalid');
  }
}

/** The schema's rules for the input a caller usually gives; false sends it to the schema. */
function passesDirectCheck(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const input = value as Record<string, unknown>;
  return (
    text(input.domain, 1, 200) &&
    text(input.failureType, 1, 200) &&
    (input.id === undefined || text(input.id, 1, 200)) &&
    nullishText(input.entityType, 200) &&
    nullishIdLike(input.entityId) &&
    nullishIdLike(input.userId) &&
    nullishText(input.errorCode, 200) &&
    (input.errorMessage === undefined || text(input.errorMessage, 0, 100_000)) &&
    (input.metadata === undefined || plainRecord(input.metadata)) &&
    nullishText(input.nextActionHint, 2000) &&
    nullishText(input.recommendedAction, 200) &&
    nullishText(input.queue, 200) &&
    nullishText(input.jobName, 200) &&
    nullishText(input.jobId, 200) &&
    (input.attempts === undefined || Array.isArray(input.attempts)) &&
    nullishText(input.workerId, 200) &&
    nullishText(input.handlerVersion, 200) &&
    (input.maxReplays === undefined ||
      (Number.isInteger(input.maxReplays) &&
        (input.maxReplays as number) >= 0 &&
        (input.maxReplays as number) <= 1000)) &&
    (input.ttlMs === undefined ||
      input.ttlMs === null ||
      (Number.isFinite(input.ttlMs) && (input.ttlMs as number) > 0)) &&
    (input.firstFailedAt === undefined || Number.isFinite(input.firstFailedAt))
  );
}

function text(value: unknown, min: number, max: number): boolean {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

function nullishText(value: unknown, max: number): boolean {
  return value === undefined || value === null || text(value, 0, max);
}

function nullishIdLike(value: unknown): boolean {
  return nullishText(value, 200) || Number.isFinite(value);
}

/** An object literal (or null-prototype object) without symbol keys: what `z.record` takes without a look. */
function plainRecord(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.getOwnPropertySymbols(value).length === 0;
}
