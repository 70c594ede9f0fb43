/**
 * PostgreSQL server CPU spent on a measured window: the user + system time of every process of the
 * server (the postmaster, its live children, and the children that exited in the window, which
 * the kernel adds to the postmaster's cumulative child times), read from /proc just before and
 * just after the window; and, when pg_stat_statements is installed in the bench's database, the
 * statements that took the most execution time in it.
 *
 * The server must run on this machine (its processes are found from a backend's parent). The
 * figures cover everything the server did in the window, for every database: run the bench on a
 * server no one else uses (BENCH_POSTGRES_URL) for figures that are only the bench's. Without
 * /proc access the window reports nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** What the server spent in a window, as a scenario reports it in its `details`. */
export interface PostgresCpu {
  /** User + system CPU of every server process over the window, in microseconds. */
  postgresCpuUs: number;
  /** postgresCpuUs divided by the jobs of the window. */
  postgresCpuUsPerJob: number;
  /** The costliest statements of the window (pg_stat_statements): calls and execution ms. */
  postgresStatements?: Record<string, { calls: number; ms: number; rows: number }>;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime, stime, cutime, cstime and ppid of a process, or undefined when it is gone. */
function procTimes(pid: number): { own: number; children: number; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
  const n = (field: number) => Number(fields[field - 3]);
  return { ppid: n(4), own: n(14) + n(15), children: n(16) + n(17) };
}

/**
 * CPU ticks of the postmaster and everything it started, live or exited. A backend reaped while
 * /proc is read moves its time from its own entry to the postmaster's children times: the read is
 * repeated until no child was reaped during it, so that such a backend is counted exactly once.
 */
function serverTicks(postmaster: number): number {
  for (;;) {
    const before = procTimes(postmaster);
    if (!before) return Number.NaN;
    let live = 0;
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === postmaster) continue;
      const times = procTimes(pid);
      if (times?.ppid === postmaster) live += times.own;
    }
    const after = procTimes(postmaster);
    if (!after) return Number.NaN;
    if (after.children === before.children) return after.own + after.children + live;
  }
}

type StatementCosts = Map<string, { calls: number; ms: number; rows: number }>;

/** Measures windows of one PostgreSQL server; `start()` opens a window, the function it returns closes it. */
export class PostgresCpuMeter {
  readonly #client: pg.Client;
  #postmaster: number | undefined;
  #statements = false;

  constructor(url: string) {
    this.#client = new pg.Client({ connectionString: url });
  }

  async #connect(): Promise<number> {
    if (this.#postmaster !== undefined) return this.#postmaster;
    await this.#client.connect();
    const { rows } = await this.#client.query<{ pid: number; statements: boolean }>(
      `SELECT pg_backend_pid() AS pid,
              EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS statements`,
    );
    this.#statements = rows[0]!.statements;
    this.#postmaster = procTimes(rows[0]!.pid)?.ppid ?? -1;
    return this.#postmaster;
  }

  async #statementCosts(): Promise<StatementCosts> {
    const costs: StatementCosts = new Map();
    if (!this.#statements) return costs;
    const { rows } = await this.#client.query<{ query: string; calls: string; ms: number; rows: string }>(
      `SELECT query, calls, total_exec_time AS ms, rows FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    for (const row of rows) {
      const key = row.query.replace(/\s+/g, ' ').slice(0, 160);
      const prior = costs.get(key) ?? { calls: 0, ms: 0, rows: 0 };
      costs.set(key, {
        calls: prior.calls + Number(row.calls),
        ms: prior.ms + row.ms,
        rows: prior.rows + Number(row.rows),
      });
    }
    return costs;
  }

  /**
   * Opens a window; the returned function closes it and reports the window's cost for `jobs`.
   * The window opens right after a CHECKPOINT: the previous run's writes (a peer's or redrive's,
   * hundreds of MB of WAL for a bulk insert) otherwise set off a checkpoint inside whichever run
   * comes next, which then shares the disk with it and doubles its commit times for seconds.
   * After a checkpoint none is due by time for checkpoint_timeout, nor by WAL before max_wal_size.
   */
  async start(): Promise<(jobs: number) => Promise<PostgresCpu | Record<string, never>>> {
    const postmaster = await this.#connect();
    await this.#checkpoint();
    if (postmaster <= 0) return async () => ({});
    const statementsBefore = await this.#statementCosts();
    const before = serverTicks(postmaster);
    return async (jobs) => {
      const after = serverTicks(postmaster);
      const statementsAfter = await this.#statementCosts();
      const postgresCpuUs = Math.round(((after - before) / TICKS_PER_SECOND) * 1e6);
      if (!Number.isFinite(postgresCpuUs)) return {};
      const deltas: [string, { calls: number; ms: number; rows: number }][] = [];
      for (const [query, end] of statementsAfter) {
        const start = statementsBefore.get(query) ?? { calls: 0, ms: 0, rows: 0 };
        const calls = end.calls - start.calls;
        if (calls > 0)
          deltas.push([
            query,
            { calls, ms: Math.round((end.ms - start.ms) * 10) / 10, rows: end.rows - start.rows },
          ]);
      }
      deltas.sort((a, b) => b[1].ms - a[1].ms);
      return {
        postgresCpuUs,
        postgresCpuUsPerJob: jobs > 0 ? Math.round((postgresCpuUs / jobs) * 100) / 100 : 0,
        ...(this.#statements ? { postgresStatements: Object.fromEntries(deltas.slice(0, 12)) } : {}),
      };
    };
  }

  /** CHECKPOINT when the role may (a superuser, or pg_checkpoint); nothing otherwise. */
  async #checkpoint(): Promise<void> {
    try {
      await this.#client.query('CHECKPOINT');
    } catch (error) {
      if ((error as { code?: string }).code !== '42501') throw error;
    }
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}
