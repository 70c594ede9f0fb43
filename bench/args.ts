/**
 * Command-line options of bench/run.ts.
 */

export interface RunArgs {
  /** Scenario or group names; all when undefined. */
  only: string[] | undefined;
  /** Sizes divided by 10. */
  quick: boolean;
  /** Runs per scenario (the median counts); undefined: 3 for the backlog scenarios, 1 otherwise. */
  repeat: number | undefined;
  /** Run only this pass (overrides `full`). */
  sync: 'NORMAL' | 'FULL' | undefined;
  /** Run the FULL pass: true forces it, false skips it, undefined decides by the NORMAL pass's time. */
  full: boolean | undefined;
  /** `redis`: run the scenarios on the Redis store, side by side with BullMQ (bench/redis-run.ts). */
  store: 'sqlite' | 'redis' | 'postgres';
  /** With `--store redis`: also run BullMQ (default true). */
  bullmq: boolean;
  /** With `--store postgres`: also run graphile-worker and pg-boss (default true). */
  peers: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only <scenario>[,...]] [--repeat N] [--full | --no-full | --sync S]

  --quick       sizes divided by 10 (a smoke run)
  --only X      run only scenario or group X (repeatable, or comma-separated):
                enqueue-single, enqueue-bulk, process-c1, process-c50, process-c50-tx (each job
                writes a row in its job.transaction), latency-same, latency-cross,
                backlog-1m (with its backlog-10k baseline), fail-permanent-c50, fail-retry-c50,
                fail-permanent-c50-dl1m, fail-retry-c50-dl1m (1M dead letters stored first;
                these two only when named);
                groups: enqueue, process, latency, backlog, fail, fail-dl1m (fail with its -dl1m
                variants)
  --repeat N    run each scenario N times in fresh processes and keep the median run
                (default: 3 for backlog-10k/backlog-1m, whose ratio is noisy; 1 otherwise)
  --full        also run every scenario at synchronous=FULL (also BENCH_FULL=1)
  --no-full     NORMAL only (also BENCH_FULL=0)
  --sync S      run only the NORMAL or only the FULL pass
                without any of these, FULL runs when the NORMAL pass took under 3 minutes
  --store redis run enqueue-bulk and process-c50 (default; or --only enqueue-single, process-c1,
                latency-same, fail, fail-dl1m) on the Redis store at BENCH_REDIS_URL / REDIS_URL
                (default redis://127.0.0.1:6379), each followed by BullMQ doing the same on the
                same Redis, with the ratio against the targets (median >= 3.5x BullMQ, every
                paired run >= 3x) and the Redis CPU per job of both (INFO cpu and
                commandstats deltas over the timed part; redrive's target <= 1/4 of BullMQ's)
  --no-bullmq   with --store redis: skip the BullMQ runs
  --store postgres  run enqueue-single, enqueue-bulk, process-c1 and process-c50 (default; or
                --only any of process-c50-tx, latency-same, backlog, fail) on the PostgreSQL store at
                BENCH_POSTGRES_URL / POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
                alternating with graphile-worker (defaults, and batched: localQueue +
                completeJobBatchDelay 0) and pg-boss on the same server, with the ratio per scenario
  --no-peers    with --store postgres: skip the peers
`;

function envFull(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  throw new Error(`BENCH_FULL must be 1 or 0, got ${JSON.stringify(value)}`);
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RunArgs {
  const args: RunArgs = {
    only: undefined,
    quick: false,
    repeat: undefined,
    sync: undefined,
    full: envFull(env.BENCH_FULL),
    store: 'sqlite',
    bullmq: true,
    peers: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') args.quick = true;
    else if (arg === '--full') args.full = true;
    else if (arg === '--no-full') args.full = false;
    else if (arg === '--no-bullmq') args.bullmq = false;
    else if (arg === '--no-peers') args.peers = false;
    else if (arg === '--store' || arg.startsWith('--store=')) {
      const value = arg === '--store' ? argv[++i] : arg.slice('--store='.length);
      if (value !== 'sqlite' && value !== 'redis' && value !== 'postgres')
        throw new Error('--store needs sqlite, redis or postgres');
      args.store = value;
    } else if (arg === '--sync' || arg.startsWith('--sync=')) {
      const value = (arg === '--sync' ? argv[++i] : arg.slice('--sync='.length))?.toUpperCase();
      if (value !== 'NORMAL' && value !== 'FULL') throw new Error('--sync needs NORMAL or FULL');
      args.sync = value;
    } else if (arg === '--repeat' || arg.startsWith('--repeat=')) {
      const value = Number(arg === '--repeat' ? argv[++i] : arg.slice('--repeat='.length));
      if (!Number.isInteger(value) || value < 1) throw new Error('--repeat needs a positive integer');
      args.repeat = value;
    } else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) throw new Error('--only needs a scenario name');
      args.only = [...(args.only ?? []), ...value.split(',').filter(Boolean)];
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return args;
}
