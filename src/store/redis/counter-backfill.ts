/**
 * Counts into the per-fingerprint counters ({p}:dl:g) the dead letters a Redis store held before
 * those counters existed. Each step is one call of count-dead-letters.lua over a bounded number of
 * entries (Redis is never blocked for long); the position lives in Redis ({p}:dl:g:backfill), so
 * a process that stops mid-way, or another process, goes on from there; an entry's `counted` field
 * makes every step idempotent. When every entry is counted, groups that only old entries belong to
 * get their identity (class, normalized message, first in-app frame) from their latest entry.
 */
import type { RedisClient } from '../../redis/client-options.js';
import type { CounterBackfillProgress } from '../dead-letter-store.js';
import { failureIdentity } from '../failure-groups.js';
import type { DeadLetterIndexes } from './dead-letter-indexes.js';
import type { RedisKeys } from './keys.js';
import { runScript } from './scripts.js';

/** Entries one backfill step examines. */
export const COUNTER_BACKFILL_STEP = 250;

/** Walks over the entries before the backfill gives up on reaching the (status, domain) counts. */
const MAX_WALKS = 3;

type StepReply = [
  state: 'more' | 'identities' | 'done',
  counted: number,
  examined: number,
  uncounted: number,
];

/** How the backfill reaches Redis (provided by RedisStore). */
export interface CounterBackfillBackend {
  client: RedisClient;
  keys: RedisKeys;
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

/** Steps to run at most, and entries per step. */
export interface BackfillParams {
  maxSteps: number;
  stepSize?: number;
}

/** Runs up to `maxSteps` backfill steps (see the module comment). */
export async function backfillCounters(
  b: CounterBackfillBackend,
  params: { maxSteps: number; stepSize?: number },
): Promise<CounterBackfillProgress> {
  const stepSize = Math.max(1, Math.floor(params.stepSize ?? COUNTER_BACKFILL_STEP));
  const progress: CounterBackfillProgress = { counted: 0, examined: 0, done: false, uncounted: 0 };
  for (let step = 0; step < Math.max(1, Math.floor(params.maxSteps)); step++) {
    const [state, counted, examined, uncounted] = (await b.call(
      'count-dead-letters',
      () =>
        runScript(
          b.client,
          'count-dead-letters',
          [b.keys.deadLetterAll],
          [b.keys.base, stepSize, MAX_WALKS],
        ) as Promise<StepReply>,
    )) as StepReply;
    progress.counted += Number(counted);
    progress.examined += Number(examined);
    progress.uncounted = Number(uncounted);
    if (state === 'more') continue;
    if (state === 'identities') {
      await recordMissingIdentities(b);
      await b.call('backfill done', () => b.client.hset(backfillKey(b.keys), 'done', '1'));
    }
    const left = await b.call('backfill state', () => b.client.hget(backfillKey(b.keys), 'uncounted'));
    return { ...progress, done: true, uncounted: Number(left ?? 0) };
  }
  return progress;
}

/**
 * The store's backfill of older dead letters: counts them into the per-fingerprint counters
 * ({@link backfillCounters}), then walks them into the search indexes (error-text words, paths
 * declared after entries were stored; dead-letter-indexes.ts). `done` once both are.
 */
export async function backfillDeadLetters(
  b: CounterBackfillBackend,
  indexes: DeadLetterIndexes,
  params: BackfillParams,
): Promise<CounterBackfillProgress> {
  const progress = await backfillCounters(b, params);
  if (!progress.done) return progress;
  const indexed = await indexes.walk({
    maxSteps: params.maxSteps,
    ...(params.stepSize !== undefined ? { stepSize: params.stepSize } : {}),
  });
  return { ...progress, done: indexed };
}

function backfillKey(keys: RedisKeys): string {
  return `${keys.deadLetterGroups}:backfill`;
}

/**
 * Gives every fingerprint seen without an identity (only old entries carried it) the identity of
 * its latest entry. HSETNX: an identity recorded meanwhile by a new entry stays.
 */
async function recordMissingIdentities(b: CounterBackfillBackend): Promise<void> {
  const [seen, named] = await Promise.all([
    b.call('fingerprints', () => b.client.hkeys(b.keys.deadLetterGroupFirst)),
    b.call('identities', () => b.client.hkeys(b.keys.deadLetterGroupIdentity)),
  ]);
  const have = new Set(named);
  const missing = seen.filter((fp) => !have.has(fp));
  for (let i = 0; i < missing.length; i += 100) {
    const chunk = missing.slice(i, i + 100);
    const latest = await b.call('latest', () => b.client.hmget(b.keys.deadLetterGroupLast, ...chunk));
    const samples = latest.map((l) => (l ? l.slice(l.indexOf(':') + 1) : null));
    const read = b.client.pipeline();
    for (const id of samples)
      read.hmget(b.keys.deadLetter(id ?? ''), 'errorClass', 'errorMessage', 'errorStack', 'x', 'xs');
    const rows = (await b.call('samples', () => read.exec())) ?? [];
    const write = b.client.pipeline();
    rows.forEach(([error, row], k) => {
      if (error) throw error;
      const [errorClass, errorMessage, stack, packed, shared] = row as (string | null)[];
      if (errorMessage === null || errorMessage === undefined) return;
      // Format 2 keeps the stack in `x`, format 5 in `xs` (dead-letter-codec.ts).
      const stackIn = (json: string | null | undefined): string | null =>
        json ? ((JSON.parse(json) as { errorStack?: string }).errorStack ?? null) : null;
      const errorStack = stack ?? stackIn(packed) ?? stackIn(shared);
      const identity = failureIdentity({ errorClass, errorMessage, errorStack });
      const json = JSON.stringify({
        c: identity.errorClass,
        m: identity.normalizedMessage,
        f: identity.frame,
      });
      write.hsetnx(b.keys.deadLetterGroupIdentity, chunk[k]!, json);
    });
    if (write.length > 0) await b.call('identities', () => write.exec());
  }
}
