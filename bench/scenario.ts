/**
 * Runs one scenario in this process and prints its result as one JSON line on stdout:
 *
 *   node --import tsx bench/scenario.ts <scenario> <NORMAL|FULL> [--quick] [--store sqlite|redis|bullmq]
 *
 * `--store redis` runs the scenario on a RedisStore (fresh key prefix, see redis-db.ts); `--store
 * bullmq` runs BullMQ's version of it on the same Redis (enqueue-bulk, the process and the failure
 * scenarios). `--store postgres` runs it on a PostgresStore (fresh schema, see postgres-db.ts);
 * `graphile-worker`, `graphile-worker-batched` and `pg-boss` run the peers' versions (PEER_FUNCTIONS);
 * `plainjob` runs plainjob's on a fresh SQLite file.
 *
 * bench/run.ts starts one such process per scenario, so each has its own heap and RSS figures.
 * Progress and errors go to stderr.
 */

import { PostgresCpuMeter } from './postgres-cpu.js';
import { benchPostgresUrl, createPostgresBenchDb } from './postgres-db.js';
import { RedisCpuMeter } from './redis-cpu.js';
import { benchRedisUrl, createRedisBenchDb } from './redis-db.js';
import type { BenchResult, Measurement, Synchronous } from './result.js';
import { RssSampler, rssMb } from './rss.js';
import { backlogScenario } from './scenarios/backlog.js';
import { bullmqEnqueueBulk, bullmqEnqueueSingle, bullmqFail, bullmqProcess } from './scenarios/bullmq.js';
import type { BenchDb, Scenario } from './scenarios/context.js';
import { enqueueBulk } from './scenarios/enqueue-bulk.js';
import { enqueueSingle } from './scenarios/enqueue-single.js';
import { failScenario } from './scenarios/fail.js';
import { graphileEnqueueBulk, graphileEnqueueSingle, graphileProcess } from './scenarios/graphile-worker.js';
import { latencyCross } from './scenarios/latency-cross.js';
import { latencySame } from './scenarios/latency-same.js';
import { pgBossEnqueueBulk, pgBossEnqueueSingle, pgBossProcess } from './scenarios/pg-boss.js';
import { plainjobEnqueueBulk, plainjobEnqueueSingle, plainjobProcess } from './scenarios/plainjob.js';
import { processScenario } from './scenarios/process.js';
import { processTxScenario } from './scenarios/process-tx.js';
import { isScenario, type ScenarioName, sizesFor } from './scenarios.js';
import { createTempDb } from './temp-db.js';

const SCENARIO_FUNCTIONS: Record<ScenarioName, Scenario> = {
  'enqueue-single': enqueueSingle,
  'enqueue-bulk': enqueueBulk,
  'process-c1': processScenario(1),
  'process-c50': processScenario(50),
  'process-c50-tx': processTxScenario,
  'latency-same': latencySame,
  'latency-cross': latencyCross,
  'backlog-10k': backlogScenario('small'),
  'backlog-1m': backlogScenario('large'),
  'fail-permanent-c50': failScenario('permanent', 'none'),
  'fail-retry-c50': failScenario('retry', 'none'),
  'fail-permanent-c50-dl1m': failScenario('permanent', 'large'),
  'fail-retry-c50-dl1m': failScenario('retry', 'large'),
};

/** BullMQ's versions of the scenarios the Redis comparison runs. */
const BULLMQ_FUNCTIONS: Partial<Record<ScenarioName, Scenario>> = {
  'enqueue-single': bullmqEnqueueSingle,
  'enqueue-bulk': bullmqEnqueueBulk,
  'process-c1': bullmqProcess(1),
  'process-c50': bullmqProcess(50),
  'fail-permanent-c50': bullmqFail('permanent'),
  'fail-retry-c50': bullmqFail('retry'),
};

/** The peers' versions of the scenarios: BullMQ on Redis, plainjob on SQLite, the PostgreSQL peers. */
const PEER_FUNCTIONS: Record<string, Partial<Record<ScenarioName, Scenario>>> = {
  bullmq: BULLMQ_FUNCTIONS,
  'graphile-worker': {
    'enqueue-single': graphileEnqueueSingle(),
    'enqueue-bulk': graphileEnqueueBulk(),
    'process-c1': graphileProcess(1, 'defaults'),
    'process-c50': graphileProcess(50, 'defaults'),
  },
  'graphile-worker-batched': {
    'process-c1': graphileProcess(1, 'batched'),
    'process-c50': graphileProcess(50, 'batched'),
  },
  plainjob: {
    'enqueue-single': plainjobEnqueueSingle(),
    'enqueue-bulk': plainjobEnqueueBulk(),
    'process-c1': plainjobProcess(1),
    'process-c50': plainjobProcess(50),
  },
  'pg-boss': {
    'enqueue-single': pgBossEnqueueSingle(),
    'enqueue-bulk': pgBossEnqueueBulk(),
    'process-c1': pgBossProcess(1),
    'process-c50': pgBossProcess(50),
  },
};

// tsx maps every stack frame back to the TypeScript source, which a compiled deployment does not:
// BENCH_SOURCE_MAPS=0 measures the failure paths (whose errors' stacks are stored) as one would.
if (process.env.BENCH_SOURCE_MAPS === '0') process.setSourceMapsEnabled(false);

const [name, synchronous, ...flags] = process.argv.slice(2);
const storeFlag = flags.indexOf('--store');
const storeKind = storeFlag >= 0 ? flags[storeFlag + 1] : 'sqlite';
if (
  !name ||
  !isScenario(name) ||
  (synchronous !== 'NORMAL' && synchronous !== 'FULL') ||
  (storeKind !== 'sqlite' &&
    storeKind !== 'redis' &&
    storeKind !== 'postgres' &&
    !PEER_FUNCTIONS[storeKind ?? '']) ||
  (PEER_FUNCTIONS[storeKind ?? ''] && !PEER_FUNCTIONS[storeKind ?? '']![name])
) {
  process.stderr.write(
    `usage: node --import tsx bench/scenario.ts <scenario> <NORMAL|FULL> [--quick] [--store sqlite|redis|postgres|${Object.keys(PEER_FUNCTIONS).join('|')}]\n`,
  );
  process.exit(2);
}

const rssStartMb = rssMb();
const rss = new RssSampler(100);
/** Peers on a SQLite file of their own (the others bring their own schema or use Redis). */
const SQLITE_PEERS = new Set(['plainjob']);
const db: BenchDb =
  storeKind === 'sqlite' || SQLITE_PEERS.has(storeKind ?? '')
    ? createTempDb(synchronous as Synchronous)
    : storeKind === 'postgres'
      ? createPostgresBenchDb()
      : createRedisBenchDb();
const peer = PEER_FUNCTIONS[storeKind as string];
const run = peer ? peer[name]! : SCENARIO_FUNCTIONS[name];
/** Servers on this machine: the server's CPU over the timed part. */
const POSTGRES_KINDS = new Set(['postgres', 'graphile-worker', 'graphile-worker-batched', 'pg-boss']);
const serverCpu =
  storeKind === 'redis' || storeKind === 'bullmq'
    ? new RedisCpuMeter(benchRedisUrl())
    : POSTGRES_KINDS.has(storeKind ?? '')
      ? new PostgresCpuMeter(benchPostgresUrl())
      : undefined;
let measurement: Measurement | undefined;
let error: string | undefined;
try {
  measurement = await run({
    db,
    synchronous: synchronous as Synchronous,
    sizes: sizesFor(flags.includes('--quick')),
    rss,
    ...(serverCpu ? { serverCpu } : {}),
  });
} catch (e) {
  error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  process.stderr.write(`${name} (${synchronous}) failed: ${error}\n`);
} finally {
  await serverCpu?.close();
  await db.remove();
}
rss.stop();

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const result: BenchResult = {
  scenario: name,
  synchronous: synchronous as Synchronous,
  ...(storeKind === 'sqlite' ? {} : { store: storeKind }),
  jobs: measurement?.jobs ?? 0,
  seconds: round(measurement?.seconds ?? 0, 3),
  jobsPerSec: measurement && measurement.seconds > 0 ? Math.round(measurement.jobs / measurement.seconds) : 0,
  ...(measurement?.p50Ms === undefined ? {} : { p50Ms: measurement.p50Ms }),
  ...(measurement?.p99Ms === undefined ? {} : { p99Ms: measurement.p99Ms }),
  peakRssMb: rss.peakMb,
  rssStartMb,
  rssEndMb: rssMb(),
  sampledPeakRssMb: rss.sampledPeakMb,
  ...(measurement?.details ? { details: measurement.details } : {}),
  ...(error === undefined ? {} : { error: error.split('\n')[0] }),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(error === undefined ? 0 : 1);
