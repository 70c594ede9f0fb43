/**
 * Dead letters <-> Redis hashes. A dead letter is stored as a hash whose field names are the
 * {@link DeadLetter} property names: strings as they are, numbers in decimal, JSON-valued
 * properties as JSON text; a null property is an absent field, and so are a default generation
 * (1), replay count (0) and metadata ({}). The scripts add `seq` and `member` (index bookkeeping,
 * see lua/lib/dead-letters.lua). In format 2 (FORMAT_VERSIONS in keys.ts) a failing job's dead
 * letter keeps the properties only readers need ({@link PACKED_PROPERTIES}) in one JSON field,
 * `x`, and has no `id` and `seq` fields (the id ends `member`; written by
 * lua/lib/dead-letters-packed.lua); readers take a field first, then `x`. In format 5 the
 * packed properties a failure batch shares are the field `xs` and `x` holds only the entry's own
 * (firstFailedAt, jobName, attempts): readers take a field, then `x`, then `xs`.
 */

import { withFinalAttemptStack } from '../../core/attempt-stack.js';
import type {
  DeadLetter,
  DeadLetterAuditEntry,
  DeadLetterStatus,
  NewDeadLetter,
  NewDeadLetterAuditEntry,
} from '../../core/dead-letter.js';
import { ValidationError } from '../../core/errors.js';
import type { AttemptRecord } from '../../core/job.js';
import { failureIdentity } from '../failure-groups.js';
import type { DeadLetterFromJob, PayloadRedaction } from '../job-store.js';
import { redactedPayloadJson } from '../shared/redaction-failed.js';

const NULLABLE_STRINGS = [
  'queue',
  'jobId',
  'jobName',
  'entityType',
  'entityId',
  'userId',
  'errorClass',
  'errorCode',
  'errorStack',
  'nextActionHint',
  'recommendedAction',
  'workerId',
  'handlerVersion',
  'resolvedBy',
  'resolutionNote',
  'replayOf',
  'lastReplayError',
  'replayJobId',
] as const;
const NULLABLE_NUMBERS = [
  'expiresAt',
  'resolvedAt',
  'archivedAt',
  'replayStartedAt',
  'lastReplayAt',
] as const;
const NULLABLE_JSON = ['payload', 'snapshot', 'requestData', 'responseData'] as const;

/**
 * The properties that format 2 packs into a failing job's dead letter's field `x` (read by no
 * script: only by {@link deadLetterFromHash}).
 */
export const PACKED_PROPERTIES = [
  'errorCode',
  'errorStack',
  'fingerprintVersion',
  'nextActionHint',
  'recommendedAction',
  'workerId',
  'handlerVersion',
  'firstFailedAt',
  'jobName',
  'attempts',
] as const;

/** A member of the time indexes is 16 digits of order, then the id (lua/lib/dead-letters.lua). */
const MEMBER_ORDER_DIGITS = 16;

/** A HGETALL result (a record, or a flat field/value list from a script) as a {@link DeadLetter}. */
export function deadLetterFromHash(h: Record<string, string>): DeadLetter {
  // Format 2: the packed properties, under the fields (a field written later wins: regrouping
  // sets fingerprintVersion).
  const x = h.x === undefined ? undefined : (JSON.parse(h.x) as Record<string, unknown>);
  // Format 5: the failure batch's packed properties, shared by its entries (`xs`).
  const xs = h.xs === undefined ? undefined : (JSON.parse(h.xs) as Record<string, unknown>);
  const packed = (name: string): unknown => h[name] ?? x?.[name] ?? xs?.[name];
  const attempts = h.attempts === undefined ? x?.attempts : JSON.parse(h.attempts);
  const errorStack = (packed('errorStack') as string | undefined) ?? null;
  const out: Record<string, unknown> = {
    id: h.id ?? h.member?.slice(MEMBER_ORDER_DIGITS),
    domain: h.domain,
    failureType: h.failureType,
    errorMessage: h.errorMessage ?? '',
    fingerprint: h.fingerprint,
    fingerprintVersion: Number(packed('fingerprintVersion') ?? 1),
    status: h.status as DeadLetterStatus,
    generation: Number(h.generation ?? 1),
    replayCount: Number(h.replayCount ?? 0),
    maxReplays: Number(h.maxReplays ?? 0),
    firstFailedAt: Number(packed('firstFailedAt')),
    deadLetteredAt: Number(h.deadLetteredAt),
    updatedAt: Number(h.updatedAt),
    attempts: attempts === undefined ? [] : withFinalAttemptStack(attempts as AttemptRecord[], errorStack),
    metadata: h.metadata === undefined ? {} : (JSON.parse(h.metadata) as Record<string, unknown>),
  };
  for (const name of NULLABLE_STRINGS) out[name] = packed(name) ?? null;
  for (const name of NULLABLE_NUMBERS) out[name] = h[name] === undefined ? null : Number(h[name]);
  for (const name of NULLABLE_JSON) out[name] = h[name] === undefined ? null : JSON.parse(h[name]);
  return out as unknown as DeadLetter;
}

const toJson = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

function push(fields: string[], name: string, value: string | number | null | undefined): void {
  if (value === null || value === undefined) return;
  fields.push(name, typeof value === 'number' ? String(value) : value);
}

/**
 * The times every dead letter carries, checked alike wherever a record is written (errors named
 * `at.field`). Without a closure: a storm checks every dead letter it writes.
 */
function validateTimes(
  dl: Partial<Pick<NewDeadLetter, 'firstFailedAt' | 'deadLetteredAt' | 'expiresAt'>>,
  at: string,
): void {
  if (!Number.isFinite(dl.firstFailedAt))
    throw new ValidationError(`${at}.firstFailedAt`, 'must be a finite number');
  if (!Number.isFinite(dl.deadLetteredAt))
    throw new ValidationError(`${at}.deadLetteredAt`, 'must be a finite number');
  if (dl.expiresAt !== null && dl.expiresAt !== undefined && !Number.isFinite(dl.expiresAt))
    throw new ValidationError(`${at}.expiresAt`, 'must be a finite number or null');
}

function validateCommon(dl: Partial<NewDeadLetter>, at: string): void {
  const need = (ok: boolean, field: string, message: string) => {
    if (!ok) throw new ValidationError(`${at}.${field}`, message);
  };
  need(typeof dl.id === 'string' && dl.id !== '', 'id', 'must be a non-empty string');
  need(typeof dl.domain === 'string', 'domain', 'must be a string');
  need(typeof dl.failureType === 'string', 'failureType', 'must be a string');
  need(typeof dl.errorMessage === 'string', 'errorMessage', 'must be a string');
  need(typeof dl.fingerprint === 'string', 'fingerprint', 'must be a string');
  need(
    dl.fingerprintVersion === undefined ||
      (Number.isSafeInteger(dl.fingerprintVersion) && dl.fingerprintVersion >= 1),
    'fingerprintVersion',
    'must be a positive integer',
  );
  need(Number.isSafeInteger(dl.maxReplays), 'maxReplays', 'must be an integer');
  validateTimes(dl, at);
}

/** Where the failure happened, to whom, and the error's class (every insert and every failure block). */
function pushSubjectFields(fields: string[], dl: DeadLetterFromJob | NewDeadLetter): void {
  push(fields, 'domain', dl.domain);
  push(fields, 'failureType', dl.failureType);
  push(fields, 'entityType', dl.entityType);
  push(fields, 'entityId', dl.entityId);
  push(fields, 'userId', dl.userId);
  push(fields, 'errorClass', dl.errorClass);
}

/**
 * The `~group` value: the failure's group identity, which the script records once per fingerprint
 * (top failures) and does not store on the entry.
 */
function groupIdentityJson(dl: DeadLetterFromJob | NewDeadLetter): string {
  const identity = failureIdentity(dl);
  return JSON.stringify({ c: identity.errorClass, m: identity.normalizedMessage, f: identity.frame });
}

/** The caller's properties shared by both kinds of insert, as field/value pairs. */
function commonFields(dl: DeadLetterFromJob | NewDeadLetter): string[] {
  const fields: string[] = [];
  push(fields, 'id', dl.id);
  pushSubjectFields(fields, dl);
  push(fields, 'errorCode', dl.errorCode);
  push(fields, 'errorMessage', dl.errorMessage);
  push(fields, 'errorStack', dl.errorStack);
  push(fields, 'fingerprint', dl.fingerprint);
  // Records written without a version were grouped by version 1 (before versioning).
  push(fields, 'fingerprintVersion', dl.fingerprintVersion ?? 1);
  push(fields, 'snapshot', toJson(dl.snapshot));
  push(fields, 'requestData', toJson(dl.requestData));
  push(fields, 'responseData', toJson(dl.responseData));
  push(fields, 'metadata', JSON.stringify(dl.metadata ?? {}));
  push(fields, 'nextActionHint', dl.nextActionHint);
  push(fields, 'recommendedAction', dl.recommendedAction);
  push(fields, 'workerId', dl.workerId);
  push(fields, 'handlerVersion', dl.handlerVersion);
  push(fields, 'maxReplays', dl.maxReplays);
  push(fields, 'firstFailedAt', dl.firstFailedAt);
  push(fields, 'deadLetteredAt', dl.deadLetteredAt);
  push(fields, 'expiresAt', dl.expiresAt);
  push(fields, '~group', groupIdentityJson(dl));
  return fields;
}

/**
 * The properties a failure batch's dead letters share when they come from one error (compared
 * one by one to find a dead letter's block; the JSON-valued ones are compared as JSON text).
 */
export const SHARED_PROPERTIES = [
  'domain',
  'failureType',
  'entityType',
  'entityId',
  'userId',
  'errorClass',
  'errorCode',
  'errorMessage',
  'errorStack',
  'fingerprint',
  'fingerprintVersion',
  'nextActionHint',
  'recommendedAction',
  'workerId',
  'handlerVersion',
  'maxReplays',
] as const;

/** A packed property as a JSON object member (`"name":value`), or '' when null. */
function member(name: string, value: unknown): string {
  return value === null || value === undefined ? '' : `${JSON.stringify(name)}:${JSON.stringify(value)}`;
}

/**
 * A failing job's dead letter's shared part as lib/fail.lua reads a block, validated: the fields
 * every format stores, then `~group` (the group identity, recorded once per fingerprint, not on
 * the entry) and `~x`: the packed properties among the shared ones as JSON object members without
 * the braces (the field `x` in format 2; separate fields in format 1). `json` is the text of
 * snapshot, requestData, responseData and metadata (null: absent).
 */
export function sharedDeadLetterFields(
  dl: DeadLetterFromJob,
  json: readonly (string | null)[],
  at: string,
): string[] {
  validateCommon(dl, at);
  const fields: string[] = [];
  pushSubjectFields(fields, dl);
  push(fields, 'errorMessage', dl.errorMessage);
  push(fields, 'fingerprint', dl.fingerprint);
  push(fields, 'snapshot', json[0]);
  push(fields, 'requestData', json[1]);
  push(fields, 'responseData', json[2]);
  // An absent metadata field reads as {} (in every version).
  if (json[3] !== '{}') push(fields, 'metadata', json[3]);
  push(fields, 'maxReplays', dl.maxReplays);
  push(fields, '~group', groupIdentityJson(dl));
  const packed = [
    member('errorCode', dl.errorCode),
    member('errorStack', dl.errorStack),
    // Records written without a version were grouped by version 1 (before versioning).
    member('fingerprintVersion', dl.fingerprintVersion ?? 1),
    member('nextActionHint', dl.nextActionHint),
    member('recommendedAction', dl.recommendedAction),
    member('workerId', dl.workerId),
    member('handlerVersion', dl.handlerVersion),
  ];
  push(fields, '~x', packed.filter((m) => m !== '').join(','));
  return fields;
}

/**
 * A failing job's dead letter's own fields by position, validated: firstFailedAt, deadLetteredAt
 * and expiresAt ('' = none), as lib/fail.lua reads them (the id, validated here, is sent as the
 * failure's dead-letter id; the script adds the field where the layout stores it). Its other
 * properties are checked with its block ({@link sharedDeadLetterFields}).
 */
export function ownFieldValues(dl: DeadLetterFromJob, at: string): [string, string, string] {
  // Checked without a closure: a storm checks every dead letter it writes.
  if (typeof dl.id !== 'string' || dl.id === '')
    throw new ValidationError(`${at}.id`, 'must be a non-empty string');
  validateTimes(dl, at);
  const { firstFailedAt, deadLetteredAt, expiresAt } = dl;
  const noExpiry = expiresAt === null || expiresAt === undefined;
  return [String(firstFailedAt), String(deadLetteredAt), noExpiry ? '' : String(expiresAt)];
}

/** The field/value pairs of a standalone record (insert-dead-letters.lua). */
export function newDeadLetterFields(dl: NewDeadLetter, index: number): string[] {
  validateCommon(dl, `deadLetters[${index}]`);
  const status = dl.initialStatus ?? 'pending';
  if (status !== 'pending' && status !== 'requires_review') {
    throw new ValidationError(
      `deadLetters[${index}].initialStatus`,
      "must be 'pending' or 'requires_review'",
    );
  }
  const fields = commonFields(dl);
  push(fields, 'queue', dl.queue);
  push(fields, 'jobId', dl.jobId);
  push(fields, 'jobName', dl.jobName);
  push(fields, 'payload', toJson(dl.payload));
  push(fields, 'attempts', JSON.stringify(dl.attempts ?? []));
  push(fields, 'replayOf', dl.replayOf);
  push(fields, 'replayCount', dl.replayCount ?? 0);
  push(fields, 'status', status);
  return fields;
}

/** The caller's part of a job's dead letter (the script adds the job's own fields). */
export function deadLetterFromJobFields(dl: DeadLetterFromJob): string[] {
  validateCommon(dl, 'deadLetter');
  return commonFields(dl);
}

/**
 * The payload to store for a job's dead letter: the caller's redaction of the job's payload, the
 * failure marker when the transform throws, or '' (the script copies the job's payload) when there
 * is no redactor or it leaves the payload as it is.
 */
export function redactedPayloadArg(redact: PayloadRedaction | undefined, payloadJson: string | null): string {
  if (!redact || payloadJson === null) return '';
  const kept = redactedPayloadJson(redact, payloadJson);
  return kept === payloadJson ? '' : kept;
}

/** An audit entry's JSON as append-audit.lua stores it (without `seq`). */
export function auditEntryJson(entry: NewDeadLetterAuditEntry): string {
  return JSON.stringify({
    deadLetterId: entry.deadLetterId,
    action: entry.action,
    actor: entry.actor,
    reason: entry.reason ?? null,
    ticket: entry.ticket ?? null,
    at: entry.at,
    beforeStatus: entry.beforeStatus,
    afterStatus: entry.afterStatus,
    beforeGeneration: entry.beforeGeneration,
    afterGeneration: entry.afterGeneration,
    details: entry.details ?? {},
  });
}

/** A stored audit entry (its JSON and sequence number) as a {@link DeadLetterAuditEntry}. */
export function auditFromJson(seq: string | number, json: string): DeadLetterAuditEntry {
  const e = JSON.parse(json) as Omit<DeadLetterAuditEntry, 'seq'>;
  return {
    seq: Number(seq),
    deadLetterId: e.deadLetterId ?? null,
    action: e.action,
    actor: e.actor,
    reason: e.reason ?? null,
    ticket: e.ticket ?? null,
    at: e.at,
    beforeStatus: e.beforeStatus ?? null,
    afterStatus: e.afterStatus ?? null,
    beforeGeneration: e.beforeGeneration ?? null,
    afterGeneration: e.afterGeneration ?? null,
    details: (e.details && !Array.isArray(e.details) ? e.details : {}) as Record<string, unknown>,
  };
}
