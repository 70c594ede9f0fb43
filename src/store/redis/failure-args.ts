/**
 * The arguments of lua/lib/fail.lua for a batch of failures (fail-jobs.lua, and the failures of
 * complete-and-claim-jobs.lua). A failure storm's dead letters share most of their fields — the
 * error, its stack, the hints, the fingerprint and its group identity — and differ in a few (id,
 * times): each distinct set of shared fields is sent once per batch, as a block, and each dead
 * letter names its block and sends only its own fields. A batch of 50 dead letters of one error
 * then carries its stack once instead of 50 times, and the block is encoded (and its group
 * identity computed) once: a dead letter whose shared properties equal an earlier block's reuses
 * it after a comparison of those properties.
 */
import { ValidationError } from '../../core/errors.js';
import type { DeadLetterFromJob, JobFailure } from '../job-store.js';
import { ownFieldValues, redactedPayloadArg, sharedDeadLetterFields } from './dead-letter-codec.js';
import { attemptSignature } from './job-codec.js';

/** A block: the dead letter it was built from (to compare later ones with) and its number. */
interface Block {
  source: DeadLetterFromJob;
  json: readonly (string | null)[];
  number: number;
}

/** The JSON-valued shared properties as text, to compare by value. */
const jsonOf = (dl: DeadLetterFromJob): (string | null)[] => [
  dl.snapshot === undefined || dl.snapshot === null ? null : JSON.stringify(dl.snapshot),
  dl.requestData === undefined || dl.requestData === null ? null : JSON.stringify(dl.requestData),
  dl.responseData === undefined || dl.responseData === null ? null : JSON.stringify(dl.responseData),
  JSON.stringify(dl.metadata ?? {}),
];

/**
 * Whether `dl` has the shared properties of `block` (`SHARED_PROPERTIES` in dead-letter-codec.ts,
 * and the JSON-valued ones): each compared by
 * name rather than looked up through the list, which made every comparison of a storm's dead
 * letters a generic keyed load.
 */
function sameBlock(block: Block, dl: DeadLetterFromJob, json: readonly (string | null)[]): boolean {
  const a = block.source;
  if (
    a.errorStack !== dl.errorStack ||
    a.errorMessage !== dl.errorMessage ||
    a.fingerprint !== dl.fingerprint ||
    a.errorClass !== dl.errorClass ||
    a.errorCode !== dl.errorCode ||
    a.failureType !== dl.failureType ||
    a.domain !== dl.domain ||
    a.entityType !== dl.entityType ||
    a.entityId !== dl.entityId ||
    a.userId !== dl.userId ||
    a.fingerprintVersion !== dl.fingerprintVersion ||
    a.nextActionHint !== dl.nextActionHint ||
    a.recommendedAction !== dl.recommendedAction ||
    a.workerId !== dl.workerId ||
    a.handlerVersion !== dl.handlerVersion ||
    a.maxReplays !== dl.maxReplays
  )
    return false;
  for (let i = 0; i < json.length; i++) if (block.json[i] !== json[i]) return false;
  return true;
}

/**
 * The arguments for `failures`, validated: K blocks (each M and M field/value pairs), then each
 * failure as lib/fail.lua describes. `payloads[i]` is failure i's job payload JSON when its dead
 * letter redacts the payload (null otherwise).
 */
export function failureArgs(
  failures: readonly JobFailure[],
  payloads: readonly (string | null)[],
): (string | number)[] {
  const blocks: Block[] = [];
  // The block count first, then the blocks (joined with the failures' own arguments at the end).
  const blockArgs: (string | number)[] = [0];
  const args: (string | number)[] = [];
  failures.forEach((failure, i) => {
    const { id, token, outcome, attempt } = failure;
    // The attempt as a list of one record: the script stores a first attempt's list as it came.
    args.push(
      String(id),
      String(token),
      `[${JSON.stringify(attempt)}]`,
      attemptSignature(attempt),
      outcome.kind,
    );
    if (outcome.kind === 'dead_letter') {
      const dl = outcome.deadLetter;
      const redacted = redactedPayloadArg(dl.redactPayload, payloads[i] ?? null);
      const own = ownFieldValues(dl, 'deadLetter');
      const json = jsonOf(dl);
      let block: Block | undefined;
      // The latest block first: a storm's dead letters come in runs of one error.
      for (let b = blocks.length - 1; b >= 0 && !block; b--)
        if (sameBlock(blocks[b]!, dl, json)) block = blocks[b];
      if (!block) {
        const shared = sharedDeadLetterFields(dl, json, 'deadLetter');
        block = { source: dl, json, number: blocks.length + 1 };
        blocks.push(block);
        blockArgs.push(shared.length / 2);
        for (const text of shared) blockArgs.push(text);
      }
      args.push(dl.id, redacted, block.number, own[0], own[1], own[2]);
    } else if (outcome.kind === 'retry' || outcome.kind === 'rate_limited') {
      if (typeof outcome.runAt !== 'number' || !Number.isFinite(outcome.runAt))
        throw new ValidationError(`failures[${i}].outcome.runAt`, 'must be a finite number');
      args.push(Math.round(outcome.runAt));
    } else {
      throw new ValidationError(
        `failures[${i}].outcome.kind`,
        `unknown outcome ${String((outcome as { kind: unknown }).kind)}`,
      );
    }
  });
  blockArgs[0] = blocks.length;
  return blockArgs.concat(args);
}
