/**
 * What every scenario receives: its fresh database, the sizes of this run, and the RSS sampler.
 */
import type { Store } from '../../src/index.js';
import type { Measurement, Synchronous } from '../result.js';
import type { RssSampler } from '../rss.js';
import type { Sizes } from '../scenarios.js';

/** Where a scenario's jobs live: a fresh SQLite file (temp-db.ts) or a fresh Redis prefix (redis-db.ts). */
export interface BenchDb {
  /** The database file, or the Redis URL. */
  path: string;
  /**
   * For a worker in another process (bench/child-worker.ts): a store URL as the CLI takes it, when
   * `path` alone does not say how to open the store (a PostgreSQL schema).
   */
  workerUrl?: string;
  /** Opens a store on it (several may be open at once, as several processes would). */
  open(): Store;
  /** Brings a freshly filled database to the same state before a measured drain. */
  settle(): Promise<void>;
  /** Deletes everything the scenario wrote. */
  remove(): void | Promise<void>;
}

export const QUEUE = 'bench';

export interface ScenarioContext {
  db: BenchDb;
  synchronous: Synchronous;
  sizes: Sizes;
  rss: RssSampler;
  /**
   * On Redis (redrive's store and BullMQ) and PostgreSQL (redrive's store and its peers): measures
   * the server's CPU over the timed part.
   */
  serverCpu?: ServerCpuMeter;
}

/** Measures the server's CPU over windows (redis-cpu.ts, postgres-cpu.ts). */
export interface ServerCpuMeter {
  /** Opens a window; the returned function closes it and gives the figures for `jobs`. */
  start(): Promise<(jobs: number) => Promise<object>>;
}

export type Scenario = (ctx: ScenarioContext) => Promise<Measurement>;

/**
 * Opens a window on the server's CPU when the scenario has a meter; the returned function closes
 * it and gives the figures for the scenario's `details` (nothing without a meter).
 */
export async function serverCpuWindow(ctx: ScenarioContext): Promise<(jobs: number) => Promise<object>> {
  if (!ctx.serverCpu) return async () => ({});
  return ctx.serverCpu.start();
}

/** Seconds since `startMs` (a `performance.now()` reading). */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}

/** This process's CPU (user + system) since `start` (a `process.cpuUsage()` reading), in seconds to the ms. */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const cpu = process.cpuUsage(start);
  return Math.round((cpu.user + cpu.system) / 1000) / 1000;
}

/** Fails the scenario when the store does not hold what the benchmark believes it wrote. */
export function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, found ${actual}`);
}
