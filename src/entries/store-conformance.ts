/**
 * `redrive/store/conformance`: the store conformance suite, every behaviour case a `Store` must
 * pass (jobs, fencing, failures, recovery, dead letters, leadership, and a model-based test), the
 * same suite redrive runs on its own SQLite, Redis and PostgreSQL stores.
 *
 * Call {@link runStoreConformance} from a vitest test file with a factory that returns a fresh,
 * empty store for each test; declare in `store.capabilities` what the store does not guarantee (the
 * suite skips those cases visibly, naming the capability).
 *
 * ```ts
 * // my-store.test.ts
 * import { runStoreConformance } from 'redrive/store/conformance';
 * runStoreConformance('my-store', async () => {
 *   const store = await MyStore.open();
 *   return { store, cleanup: () => store.close() };
 * });
 * ```
 *
 * @remarks Unstable, as the `redrive/store` seam it checks: cases may be added or changed in any
 * minor release. Needs the optional peer dependencies `vitest` (the suite registers `describe`/`it`
 * blocks) and `fast-check` (the model-based test); nothing else of redrive imports them, so an
 * application that never imports this entry does not need them.
 *
 * @packageDocumentation
 */

export type { StoreFactory } from '../store/conformance/fixtures.js';
export { type ConformanceOptions, runStoreConformance } from '../store/conformance/store-suite.js';
