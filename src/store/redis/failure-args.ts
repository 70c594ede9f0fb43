/**
 * The arguments of lua/lib/fail.lua for a batch of failures (fail-jobs.lua, and the failures of
 * complete-and-claim-jobs.lua). A failure storm's dead letters share most of their fields — the
 * error, its stack, the hints, the fingerprint and its group identity — and differ in a few (id,
 * times): each distinct set of shared fields is sent once per batch, as a block, and each dead
 * letter names its block and sends only its own fields. A batch of 50 dead letters of one error
 * then carries its stack once instead of 50 times.
 */
import { ValidationError } from '../../core/errors.js';
import type { JobFailure } from '../job-store.js';
import { deadLetterFromJobFields, redactedPayloadArg } from './dead-letter-codec.js';
import { attemptSignature } from './job-codec.js';

/** The fields each dead letter sends itself; every other field goes in a shared block. */
const OWN_FIELDS = new Set(['id', 'firstFailedAt', 'deadLetteredAt', 'expiresAt']);

/**
 * The arguments for `failures`, validated: K blocks (each M and M field/value pairs), then each
 * failure as lib/fail.lua describes. `payloads[i]` is failure i's job payload JSON when its dead
 * letter redacts the payload (null otherwise).
 */
export function failureArgs(
  failures: readonly JobFailure[],
  payloads: readonly (string | null)[],
): (string | number)[] {
  const blocks = new Map<string, number>();
  const blockArgs: (string | number)[] = [];
  const args: (string | number)[] = [];
  failures.forEach((failure, i) => {
    const { id, token, outcome, attempt } = failure;
    args.push(String(id), String(token), JSON.stringify(attempt), attemptSignature(attempt), outcome.kind);
    if (outcome.kind === 'dead_letter') {
      const { redactPayload, ...dl } = outcome.deadLetter;
      const payload = payloads[i] ?? null;
      const redacted = redactedPayloadArg(redactPayload, payload);
      const own: string[] = [];
      const shared: string[] = [];
      const fields = deadLetterFromJobFields(dl);
      for (let f = 0; f < fields.length; f += 2) {
        (OWN_FIELDS.has(fields[f]!) ? own : shared).push(fields[f]!, fields[f + 1]!);
      }
      const key = shared.join('\u0000');
      let block = blocks.get(key);
      if (block === undefined) {
        block = blocks.size + 1;
        blocks.set(key, block);
        blockArgs.push(shared.length / 2, ...shared);
      }
      args.push(dl.id, redacted, block, own.length / 2, ...own);
    } else if (outcome.kind === 'retry' || outcome.kind === 'rate_limited') {
      if (typeof outcome.runAt !== 'number' || !Number.isFinite(outcome.runAt))
        throw new ValidationError(`failures[${i}].outcome.runAt`, 'must be a finite number');
      args.push(Math.round(outcome.runAt), '', 0, 0);
    } else {
      throw new ValidationError(
        `failures[${i}].outcome.kind`,
        `unknown outcome ${String((outcome as { kind: unknown }).kind)}`,
      );
    }
  });
  return [blocks.size, ...blockArgs, ...args];
}
