/**
 * Pending-entry work of the StreamProcessor on the writer connection: reclaiming idle messages
 * (XAUTOCLAIM), renewing this consumer's claims, handing claims back, removing idle consumers and
 * trimming.
 */

import type { RedisClient } from '../redis/client-options.js';
import { withTimeout } from '../redis/timeout.js';
import { type BufferEntry, type RawEntry, rawEntries } from './entries.js';
import { runStreamScript } from './scripts.js';

/** Names and limits the claim operations need. */
export interface ClaimTarget {
  stream: string;
  group: string;
  consumer: string;
  operationTimeoutMs: number;
}

/** One XAUTOCLAIM page. */
export interface ReclaimPage {
  next: string;
  /** Claimed entries with their delivery count (already incremented by the claim). */
  claimed: { entry: RawEntry; deliveries: number }[];
  /** Ids that were pending but whose entries were trimmed or deleted from the stream. */
  deleted: string[];
}

/**
 * Claims up to `count` messages pending for at least `minIdleMs`, from `cursor`, and reads their
 * delivery counts (XAUTOCLAIM does not return them: one XPENDING per id, pipelined).
 */
export async function reclaimPage(
  redis: RedisClient,
  t: ClaimTarget,
  minIdleMs: number,
  cursor: string,
  count: number,
): Promise<ReclaimPage> {
  // As Buffers: the fields are kept as exact bytes (a DLQ copy must not go through UTF-8).
  const reply = (await withTimeout(
    redis.callBuffer('xautoclaim', t.stream, t.group, t.consumer, minIdleMs, cursor, 'COUNT', count),
    t.operationTimeoutMs,
    'XAUTOCLAIM',
  )) as [Buffer, BufferEntry[], Buffer[]?];
  const [nextId, entries, deletedIds = []] = reply;
  const next = nextId.toString('latin1');
  const deleted = deletedIds.map((id) => id.toString('latin1'));
  const live: RawEntry[] = [];
  // Redis 6.2 returned deleted entries as [id, nil]; Redis 7 lists them separately.
  for (const e of rawEntries(entries)) e[1] === null ? deleted.push(e[0]) : live.push(e);
  if (live.length === 0) return { next, claimed: [], deleted };
  const pipeline = redis.pipeline();
  for (const [id] of live) pipeline.xpending(t.stream, t.group, id, id, 1);
  const counts = (await withTimeout(pipeline.exec(), t.operationTimeoutMs, 'XPENDING')) ?? [];
  const claimed = live.map((entry, i) => {
    const [error, rows] = counts[i] ?? [null, []];
    const row =
      !error && Array.isArray(rows) ? (rows[0] as [string, string, number, number] | undefined) : undefined;
    return { entry, deliveries: row ? Number(row[3]) : 1 };
  });
  return { next, claimed, deleted };
}

/**
 * Renews this consumer's claims (resets their idle time) where it still owns them.
 *
 * @returns how many were renewed, and the ids this consumer no longer owns
 */
export async function renewClaims(
  redis: RedisClient,
  t: ClaimTarget,
  ids: string[],
): Promise<{ renewed: number; lost: string[] }> {
  let renewed = 0;
  const lost: string[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const [n, gone] = (await withTimeout(
      runStreamScript(redis, 'renew-claims', [t.stream], [t.group, t.consumer, ...chunk]),
      t.operationTimeoutMs,
      'renew claims',
    )) as [number, string[]];
    renewed += n;
    lost.push(...gone);
  }
  return { renewed, lost };
}

/**
 * Sets the idle time of messages this consumer holds, without a new delivery (XCLAIM ... IDLE ...
 * JUSTID): `idleMs` equal to the reclaim idle time hands them over to any consumer at once (used on
 * stop); less makes them reclaimable after the difference (a retry delay).
 */
export async function setIdle(
  redis: RedisClient,
  t: ClaimTarget,
  ids: string[],
  idleMs: number,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    await withTimeout(
      redis.call(
        'XCLAIM',
        t.stream,
        t.group,
        t.consumer,
        0,
        ...ids.slice(i, i + 500),
        'IDLE',
        Math.max(0, idleMs),
        'JUSTID',
      ),
      t.operationTimeoutMs,
      'XCLAIM IDLE',
    );
  }
}

/** Removes other consumers idle at least `minIdleMs` with nothing pending; or only this one (`onlySelf`). */
export async function removeIdleConsumers(
  redis: RedisClient,
  t: ClaimTarget,
  minIdleMs: number,
  onlySelf = false,
): Promise<string[]> {
  return (await withTimeout(
    runStreamScript(
      redis,
      'delete-idle-consumers',
      [t.stream],
      [t.group, minIdleMs, t.consumer, onlySelf ? '1' : '0'],
    ),
    t.operationTimeoutMs,
    'remove idle consumers',
  )) as string[];
}

/** XTRIM MAXLEN ~ `maxLen`; returns the entries removed. */
export async function trimStream(
  redis: RedisClient,
  stream: string,
  maxLen: number,
  timeoutMs: number,
): Promise<number> {
  return (await withTimeout(redis.xtrim(stream, 'MAXLEN', '~', maxLen), timeoutMs, 'XTRIM')) as number;
}
