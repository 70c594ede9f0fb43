/**
 * Conformance: a model-based test. Random sequences of enqueues, claims by several workers,
 * completions, failures, stale tokens, crashes, recovery sweeps, releases, heartbeats and the
 * passage of time run against the store and a reference model; after every step every job, the
 * counts and the leases must agree with the model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GLOBAL_CLAIM_ORDER, skipUnlessGuaranteed } from '../capabilities.js';
import type { StoreFactory } from '../fixtures.js';
import { ModelHarness } from '../model/harness.js';
import { opArbitrary } from '../model/ops.js';
import { emptyCoverage } from '../model/state.js';

/** Runs per property; raise with REDRIVE_MODEL_RUNS for a soak. */
const RUNS = Number(process.env.REDRIVE_MODEL_RUNS ?? 100);

/** Registers the model-based test; `timeoutMs` bounds it on a store over the network. */
export function modelCases(factory: StoreFactory, timeoutMs?: number): void {
  describe('model-based lifecycle', () => {
    it(
      `agrees with the reference model over random operation sequences (${RUNS} runs)`,
      async (context) => {
        const probe = await factory();
        const capabilities = probe.store.capabilities;
        await probe.cleanup();
        // The model predicts every claim from one global order.
        skipUnlessGuaranteed(context, capabilities, GLOBAL_CLAIM_ORDER);
        const coverage = emptyCoverage();
        await fc.assert(
          fc.asyncProperty(
            fc.array(opArbitrary, { minLength: 15, maxLength: 35, size: 'max' }),
            async (ops) => {
              const { store, cleanup } = await factory();
              try {
                const harness = new ModelHarness(store, coverage);
                for (const op of ops) {
                  await harness.apply(op);
                  await harness.check();
                }
              } finally {
                await cleanup();
              }
            },
          ),
          { numRuns: RUNS },
        );
        if (process.env.REDRIVE_MODEL_COVERAGE) console.log(coverage);
        // The generator must reach every interesting case, or the property proves little.
        if (RUNS >= 100) {
          for (const [name, count] of Object.entries(coverage))
            expect(count, `coverage of ${name}`).toBeGreaterThan(0);
        }
      },
      timeoutMs,
    );
  });
}
