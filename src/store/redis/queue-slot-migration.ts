/**
 * `redrive migrate` for a queue-slot store (QueueSlotRedisStore) on a prefix that still holds a
 * single-slot RedisStore's jobs: moves each queue's jobs and indexes into the queue's own slot.
 * Run it with the workers of that prefix stopped (nothing may change the old keys meanwhile).
 *
 * Every job keeps its id inside its queue (`<id>` becomes `<n>:<id>` store-wide), so the indexes,
 * whose members are ids, are copied as they are (DUMP, then RESTORE REPLACE under the queue's tag:
 * the two keys may sit on different cluster nodes). Dead letters stay where they are; their job
 * ids are rewritten to the store-wide form. The old keys go last, the id counter `{p}:ids` (which
 * marks a single-slot store) very last, so a migration that dies half-way is simply run again:
 * each step is idempotent (a copy whose source is gone already is skipped).
 *
 * Each queue slot has a format key of its own (`{p#n}.format`), settled before the queue's jobs
 * are copied in: while the slot holds nothing yet it gets the newest version, as a fresh
 * queue-slot store's slot does, and never less than the single-slot store's, whose layout the
 * copied jobs have. Copied in first, the jobs would make it a slot with data and no key, left at
 * version 1 (keys.ts FORMAT_VERSIONS), writing the oldest layout for good.
 */
import type { RedisClient } from '../../redis/client-options.js';
import type { RedisKeys } from './keys.js';
import type { QueueSlots } from './queue-slots.js';

/** Jobs copied per round trip. */
const CHUNK = 500;

/** Per-queue keys of the layout (keys.ts). */
const QUEUE_KINDS = [
  'wait',
  'sched',
  'active',
  'done',
  'fin',
  'nfin',
  'dead',
  'dfin',
  'ndfin',
  'ids',
  'idn',
  'ik',
  'suspects',
] as const;

/** What {@link migrateToQueueSlots} needs of its store. */
export interface QueueSlotMigrationDeps {
  client: RedisClient;
  /** The store's own keys (where the single-slot layout lives). */
  keys: RedisKeys;
  slots: QueueSlots;
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

/** What a migration moved; null when the prefix held no single-slot jobs. */
export interface QueueSlotMigration {
  queues: number;
  jobs: number;
  deadLetters: number;
}

/** Moves a single-slot store's jobs into queue slots; see the module comment. */
export async function migrateToQueueSlots(deps: QueueSlotMigrationDeps): Promise<QueueSlotMigration | null> {
  const { client, keys, slots, call } = deps;
  const counter = await call('migrate', () => client.get(keys.ids));
  if (counter === null) return null;
  const registry = await call('migrate', () => client.hgetall(keys.queues));
  // The single-slot store's format (absent: 1, as it has data), which its jobs are written in.
  const format = Number((await call('migrate', () => client.get(keys.format))) ?? 1);
  const out: QueueSlotMigration = { queues: 0, jobs: 0, deadLetters: 0 };
  const moved: { queue: string; slot: number }[] = [];
  for (const [queue, paused] of Object.entries(registry ?? {})) {
    const slot = (await slots.numberOf(queue, 'migrate'))!;
    const target = slots.store(slot).keys;
    await slots.store(slot).migrate(format);
    out.jobs += await copyJobs(deps, queue, target);
    for (const kind of QUEUE_KINDS) await copyKey(deps, keys.queue(queue, kind), target.queue(queue, kind));
    await copyKey(deps, `${keys.base}horizons`, `${target.base}horizons`);
    await copyKey(deps, `${keys.base}horizons:at`, `${target.base}horizons:at`);
    // New ids continue after every id the single-slot store gave, so none is given twice.
    const current = Number((await call('migrate', () => client.get(target.ids))) ?? 0);
    if (current < Number(counter)) await call('migrate', () => client.set(target.ids, counter));
    await call('migrate', () => client.hset(target.queues, queue, paused));
    out.deadLetters += await rewriteDeadLetterJobIds(deps, queue, slot);
    moved.push({ queue, slot });
    out.queues++;
  }
  for (const { queue } of moved) await deleteOld(deps, queue);
  await call('migrate', () => client.del(`${keys.base}horizons`, `${keys.base}horizons:at`));
  await call('migrate', () => client.del(keys.ids));
  return out;
}

/**
 * Copies one key (any type) under a new name, replacing what is there; skipped (false) when `from`
 * is gone.
 */
async function copyKey(deps: QueueSlotMigrationDeps, from: string, to: string): Promise<boolean> {
  const dump = await deps.call('migrate', () => deps.client.dumpBuffer(from));
  if (dump === null) return false;
  await deps.call('migrate', () => deps.client.restore(to, 0, dump, 'REPLACE'));
  return true;
}

/** The job ids an `ids` member stands for: one id, or a run `<first>-<last>` (lib/jobs.lua). */
function idsOf(member: string): string[] {
  const run = /^(\d+)-(\d+)$/.exec(member);
  if (!run) return [member];
  const ids: string[] = [];
  for (let id = Number(run[1]); id <= Number(run[2]); id++) ids.push(String(id));
  return ids;
}

/** Copies every job hash of `queue` into its slot (a run's removed jobs are skipped); returns how many. */
async function copyJobs(deps: QueueSlotMigrationDeps, queue: string, target: RedisKeys): Promise<number> {
  const { client, keys, call } = deps;
  let copied = 0;
  for (let start = 0; ; start += CHUNK) {
    const members = await call('migrate', () =>
      client.zrange(keys.queue(queue, 'ids'), String(start), String(start + CHUNK - 1)),
    );
    for (const id of members.flatMap(idsOf)) {
      if (await copyKey(deps, keys.job(id), target.job(id))) copied++;
    }
    if (members.length < CHUNK) return copied;
  }
}

/** Gives the dead letters of `queue` the store-wide ids of their jobs; returns how many changed. */
async function rewriteDeadLetterJobIds(
  deps: QueueSlotMigrationDeps,
  queue: string,
  slot: number,
): Promise<number> {
  const { client, keys, call } = deps;
  let changed = 0;
  for (let start = 0; ; start += CHUNK) {
    const members = await call('migrate', () =>
      client.zrange(keys.deadLetterQueue(queue), String(start), String(start + CHUNK - 1)),
    );
    for (const member of members) {
      // Members are 16 digits of order, then the dead letter's id (lib/dead-letters.lua).
      const id = member.slice(16);
      const jobId = await call('migrate', () => client.hget(keys.deadLetter(id), 'jobId'));
      if (jobId === null || !/^\d+$/.test(jobId)) continue;
      const global = `${slot}:${jobId}`;
      // The entry last: until it changes, a rerun redoes the link.
      await call('migrate', () => client.hset(keys.deadLetterJobs, global, id));
      await call('migrate', () => client.hdel(keys.deadLetterJobs, jobId));
      await call('migrate', () => client.hset(keys.deadLetter(id), 'jobId', global));
      changed++;
    }
    if (members.length < CHUNK) return changed;
  }
}

/** Deletes `queue`'s single-slot keys: its jobs first, its indexes (which list them) after. */
async function deleteOld(deps: QueueSlotMigrationDeps, queue: string): Promise<void> {
  const { client, keys, call } = deps;
  for (;;) {
    const members = await call('migrate', () =>
      client.zrange(keys.queue(queue, 'ids'), '0', String(CHUNK - 1)),
    );
    if (members.length === 0) break;
    for (const member of members) {
      await call('migrate', () => client.del(...idsOf(member).map((id) => keys.job(id))));
    }
    await call('migrate', () => client.zrem(keys.queue(queue, 'ids'), ...members));
  }
  for (const kind of QUEUE_KINDS) await call('migrate', () => client.del(keys.queue(queue, kind)));
}
