/**
 * The store conformance suite: one set of behaviour cases every `Store` must pass (after River's
 * riverdrivertest). A store's test file calls {@link runStoreConformance} with a factory that
 * returns a fresh, empty store; each test gets its own. The cases use only the `Store` interface
 * and pass every time explicitly, so they run unchanged on SQLite, Redis and PostgreSQL.
 *
 * This lives under `test/` (not `src/store/conformance.ts`) so that vitest and fast-check never
 * reach the published bundle.
 */
import { describe } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { adminCases } from './cases/admin.js';
import { claimCases } from './cases/claim.js';
import { deadLetterCases } from './cases/dead-letters.js';
import { failureCases } from './cases/failure.js';
import { failureBatchCases } from './cases/failure-batch.js';
import { fencingCases } from './cases/fencing.js';
import { insertCases } from './cases/insert.js';
import { modelCases } from './cases/model.js';
import { orphanCases } from './cases/orphans.js';
import { recoveryCases } from './cases/recovery.js';

/** Which groups of cases to register; all by default. */
export interface ConformanceOptions {
  /** Register the model-based test (the slowest case). Default true. */
  model?: boolean;
  /**
   * Time limit of the model-based test. A store over the network pays a round trip per operation
   * (several thousand per run), so it may need more than the default test timeout.
   */
  modelTimeoutMs?: number;
}

/** Registers the conformance suite for the store made by `factory` under `describe(name)`. */
export function runStoreConformance(
  name: string,
  factory: () => Promise<{ store: Store; cleanup(): Promise<void> }>,
  options: ConformanceOptions = {},
): void {
  describe(`Store conformance: ${name}`, () => {
    insertCases(factory);
    claimCases(factory);
    fencingCases(factory);
    failureCases(factory);
    failureBatchCases(factory);
    recoveryCases(factory);
    orphanCases(factory);
    adminCases(factory);
    deadLetterCases(factory);
    if (options.model ?? true) modelCases(factory, options.modelTimeoutMs);
  });
}
