/**
 * Redis instructions per dead-lettered job, counted by callgrind on a redis-server of its own (the
 * load of the machine does not change the count, unlike timings on a busy host):
 *
 *   valgrind --tool=callgrind --callgrind-out-file=<out> redis-server --port <port> --save '' --appendonly no &
 *   npx tsx bench/redis-fail-instructions.ts redis://127.0.0.1:<port> <redis-server pid> [--jobs 5000] [--batch 500] [--format N]
 *
 * Inserts `--jobs` jobs and claims them all (not counted), then zeroes the server's counters
 * (`callgrind_control -z`), fails every job in batches of `--batch` with the dead letter a worker
 * builds for a `PermanentError` (buildJobDeadLetter with the default settings, one fingerprint
 * memo), each batch's jobs from one claim, and dumps the counters (`callgrind_control -d`). The
 * dump's total divided by `--jobs` is the instructions per dead letter of the failure script.
 * `--format N` keeps the store at format version N (default: the newest, as a fresh prefix gets).
 */
import { execFileSync } from 'node:child_process';
import { systemRandom } from '../src/core/clock.js';
import type { ClaimedJob } from '../src/core/job.js';
import { FingerprintMemo } from '../src/dead-letter-record/fingerprint-memo.js';
import { Queue } from '../src/index.js';
import type { JobFailure } from '../src/store/job-store.js';
import { RedisStore } from '../src/store/redis/redis-store.js';
import type { BenchPayload } from './payload.js';
import { permanentFailure } from './permanent-failure.js';
import { prefill } from './scenarios/prefill.js';

const [url, pid, ...args] = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
if (!url || !pid)
  throw new Error('usage: redis-fail-instructions.ts <redis url> <redis-server pid> [--jobs N] [--batch N]');
const jobs = option('jobs', 5000);
const batch = option('batch', 500);
const format = option('format', 0);

const store = new RedisStore({ url, prefix: `fail-instr-${process.pid}` });
// An older format: the key set before the store's first command (a fresh prefix gets the newest).
if (format > 0) await store.redis.set(store.keys.format, String(format));
const queue = new Queue<BenchPayload>('bench', { store });
await prefill(queue, jobs);
const claims: ClaimedJob[][] = [];
for (let n = 0; n < jobs; n += batch) {
  claims.push(
    await store.claimJobs({
      queue: 'bench',
      workerId: 'w1',
      limit: batch,
      leaseMs: 600_000,
      now: Date.now(),
      claimId: systemRandom.id(12),
    }),
  );
}
const fingerprints = new FingerprintMemo();

function failuresOf(
  claimed: readonly Pick<ClaimedJob, 'id' | 'token' | 'attemptsMade'>[],
  now: number,
): JobFailure[] {
  return claimed.map((job) => permanentFailure(job, now, fingerprints));
}

// The failure script loaded (and its first call compiled) before the count starts: an unknown job.
await store.failJobs({
  failures: failuresOf([{ id: '0', token: 'none', attemptsMade: 0 }], Date.now()),
  now: Date.now(),
});
execFileSync('callgrind_control', ['-z', pid]);
let dead = 0;
for (const claimed of claims) {
  const now = Date.now();
  const results = await store.failJobs({ failures: failuresOf(claimed, now), now });
  dead += results.filter((r) => r.ok).length;
}
execFileSync('callgrind_control', ['-d', pid]);
console.log(JSON.stringify({ jobs, batch, deadLettered: dead }));
await store.close();
