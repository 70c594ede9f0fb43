/**
 * The scenario catalogue: names, the groups `--only` accepts, and sizes (full and `--quick`).
 */

export const SCENARIOS = [
  'enqueue-single',
  'enqueue-bulk',
  'process-c1',
  'process-c50',
  'process-c50-tx',
  'latency-same',
  'latency-cross',
  'backlog-10k',
  'backlog-1m',
  'fail-permanent-c50',
  'fail-retry-c50',
  'fail-permanent-c50-dl1m',
  'fail-retry-c50-dl1m',
] as const;

export type ScenarioName = (typeof SCENARIOS)[number];

/** Names `--only` accepts besides the scenario names; `backlog-1m` runs its 10k baseline too. */
export const GROUPS: Record<string, readonly ScenarioName[]> = {
  enqueue: ['enqueue-single', 'enqueue-bulk'],
  process: ['process-c1', 'process-c50', 'process-c50-tx'],
  latency: ['latency-same', 'latency-cross'],
  backlog: ['backlog-10k', 'backlog-1m'],
  'backlog-1m': ['backlog-10k', 'backlog-1m'],
  fail: ['fail-permanent-c50', 'fail-retry-c50'],
  'fail-dl1m': ['fail-permanent-c50', 'fail-retry-c50', 'fail-permanent-c50-dl1m', 'fail-retry-c50-dl1m'],
};

/** Scenarios measured against a baseline run of another scenario (their figure is a ratio). */
export const RATIO_BASELINES: Partial<Record<ScenarioName, ScenarioName>> = {
  'backlog-1m': 'backlog-10k',
  'fail-permanent-c50-dl1m': 'fail-permanent-c50',
  'fail-retry-c50-dl1m': 'fail-retry-c50',
};

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}

/** Scenarios that run only when named (`--only fail-dl1m`): each stores 1M dead letters first (minutes). */
const ON_REQUEST: ReadonlySet<ScenarioName> = new Set(['fail-permanent-c50-dl1m', 'fail-retry-c50-dl1m']);

/** Resolves `--only` entries (scenario or group names) to scenarios, in catalogue order. */
export function selectScenarios(only: readonly string[] | undefined): ScenarioName[] {
  if (!only || only.length === 0) return SCENARIOS.filter((name) => !ON_REQUEST.has(name));
  const wanted = new Set<ScenarioName>();
  for (const entry of only) {
    const group = GROUPS[entry];
    if (group) for (const name of group) wanted.add(name);
    else if (isScenario(entry)) wanted.add(entry);
    else {
      const known = [...SCENARIOS, ...Object.keys(GROUPS).filter((g) => !isScenario(g))].join(', ');
      throw new Error(`unknown scenario ${JSON.stringify(entry)}; known: ${known}`);
    }
  }
  return SCENARIOS.filter((name) => wanted.has(name));
}

export interface Sizes {
  /** Sequential `add` calls. */
  enqueueSingle: number;
  /** Jobs added with `addBulk`, in calls of `bulkChunk`. */
  enqueueBulk: number;
  bulkChunk: number;
  /** Jobs pre-filled, then drained, by the process scenarios. */
  process: number;
  /** Latency samples and the pause between them. */
  latencySamples: number;
  latencyGapMs: number;
  /** Jobs drained by the backlog scenarios, and the backlog left waiting behind them. */
  backlogDrain: number;
  backlogSmall: number;
  backlogLarge: number;
  /** Jobs failed by the failure scenarios, and dead letters stored before the `-dl1m` ones. */
  fail: number;
  storedDeadLetters: number;
}

const FULL_SIZES: Sizes = {
  enqueueSingle: 50_000,
  enqueueBulk: 500_000,
  bulkChunk: 1_000,
  process: 200_000,
  latencySamples: 2_000,
  latencyGapMs: 3,
  backlogDrain: 100_000,
  backlogSmall: 10_000,
  backlogLarge: 1_000_000,
  fail: 100_000,
  storedDeadLetters: 1_000_000,
};

/** Sizes for a run; `--quick` divides the job counts by 10. */
export function sizesFor(quick: boolean): Sizes {
  if (!quick) return FULL_SIZES;
  return {
    ...FULL_SIZES,
    enqueueSingle: FULL_SIZES.enqueueSingle / 10,
    enqueueBulk: FULL_SIZES.enqueueBulk / 10,
    process: FULL_SIZES.process / 10,
    latencySamples: FULL_SIZES.latencySamples / 10,
    backlogDrain: FULL_SIZES.backlogDrain / 10,
    backlogSmall: FULL_SIZES.backlogSmall / 10,
    backlogLarge: FULL_SIZES.backlogLarge / 10,
    fail: FULL_SIZES.fail / 10,
    storedDeadLetters: FULL_SIZES.storedDeadLetters / 10,
  };
}

/**
 * The scenarios of `--only` (or `defaults`) that a store runs, in order; the others are named on
 * stderr as not run on `storeLabel`.
 */
export function scenariosOnStore(
  only: string[] | undefined,
  defaults: readonly ScenarioName[],
  supported: readonly ScenarioName[],
  storeLabel: string,
): ScenarioName[] {
  const wanted = only ? selectScenarios(only) : defaults;
  const skipped = wanted.filter((s) => !supported.includes(s));
  if (skipped.length > 0) process.stderr.write(`-- not run on ${storeLabel}: ${skipped.join(', ')}\n`);
  return wanted.filter((s) => supported.includes(s));
}
