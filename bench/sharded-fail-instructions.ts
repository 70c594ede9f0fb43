/**
 * Sharded SQLite instructions per dead-lettered job, counted by callgrind on this process (the load
 * of the machine does not change the count, unlike timings on a busy host):
 *
 *   valgrind --tool=callgrind --callgrind-out-file=<out> node --import tsx bench/sharded-fail-instructions.ts [--jobs 2000] [--batch 50] [--shards 4]
 *
 * Inserts `--jobs` jobs into a fresh sharded store of `--shards` files (one insert call of
 * `--batch` jobs each, so they spread over the shards), claims them all and builds each failure's
 * dead letter as a worker does for a `PermanentError` (not counted), then zeroes the counters
 * (`callgrind_control -z`), fails every claim's jobs in one `failJobs` call, and dumps the counters
 * (`callgrind_control -d`). The dump's total divided by `--jobs` is the instructions per dead
 * letter of the failure path (the records stay on their shards: no dead-letter read moves them).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemRandom } from '../src/core/clock.js';
import { FingerprintMemo } from '../src/dead-letter-record/fingerprint-memo.js';
import type { JobFailure } from '../src/store/job-store.js';
import { ShardedSqliteStore } from '../src/store/sqlite/sharded-sqlite-store.js';
import { permanentFailure } from './permanent-failure.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const jobs = option('jobs', 2000);
const batch = option('batch', 50);
const shards = option('shards', 4);

const directory = await mkdtemp(join(tmpdir(), 'sharded-fail-'));
const store = new ShardedSqliteStore({ directory, shards, pollIntervalMs: 0 });
const now = Date.now();
for (let n = 0; n < jobs; n += batch) {
  await store.insertJobs({
    jobs: Array.from({ length: Math.min(batch, jobs - n) }, (_, i) => ({
      queue: 'bench',
      name: 'bench',
      payloadJson: JSON.stringify({ n: n + i }),
      priority: 0,
      runAt: now,
      maxAttempts: 1,
      timeoutMs: null,
      backoff: null,
      idempotencyKey: null,
      replayOf: null,
    })),
    now,
  });
}
const fingerprints = new FingerprintMemo();
const batches: JobFailure[][] = [];
for (let n = 0; n < jobs; n += batch) {
  const claimed = await store.claimJobs({
    queue: 'bench',
    workerId: 'w1',
    limit: batch,
    leaseMs: 600_000,
    now,
    claimId: systemRandom.id(12),
  });
  batches.push(claimed.map((job) => permanentFailure(job, now, fingerprints)));
}
// The failure path loaded and compiled before the count starts: an unknown job.
await store.failJobs({ failures: [{ ...batches[0]![0]!, id: '0:0' }], now });
execFileSync('callgrind_control', ['-z', String(process.pid)]);
let dead = 0;
for (const failures of batches) {
  dead += (await store.failJobs({ failures, now })).filter((r) => r.ok && r.deadLetterId).length;
}
execFileSync('callgrind_control', ['-d', String(process.pid)]);
console.log(JSON.stringify({ jobs, batch, shards, deadLettered: dead }));
await store.close();
await rm(directory, { recursive: true, force: true });
