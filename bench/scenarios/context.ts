/**
 * What every scenario receives: its fresh database, the sizes of this run, and the RSS sampler.
 */
import type { Measurement, Synchronous } from '../result.js';
import type { RssSampler } from '../rss.js';
import type { Sizes } from '../scenarios.js';
import type { TempDb } from '../temp-db.js';

export const QUEUE = 'bench';

export interface ScenarioContext {
  db: TempDb;
  synchronous: Synchronous;
  sizes: Sizes;
  rss: RssSampler;
}

export type Scenario = (ctx: ScenarioContext) => Promise<Measurement>;

/** Seconds since `startMs` (a `performance.now()` reading). */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}

/** Fails the scenario when the store does not hold what the benchmark believes it wrote. */
export function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, found ${actual}`);
}
