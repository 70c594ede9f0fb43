/**
 * A store written outside this repository runs the conformance suite from the built package: the
 * suite is imported by its published name, `redrive/store/conformance` (resolved through
 * package.json `exports` to dist/), and run on the built `SqliteStore` as an application would get it
 * from `redrive`, in memory. Needs dist/ (`npm run build`; `npm install` builds it through `prepare`).
 */
import type * as Conformance from '../../src/entries/store-conformance.js';
import type * as Root from '../../src/index.js';
import { builtFile } from './built.js';

builtFile('dist/entries/store-conformance.js', ['src/store/conformance', 'src/entries/store-conformance.ts']);

// Imported by name through variables, so that type checking does not depend on dist/ being built.
const conformanceEntry = 'redrive/store/conformance';
const rootEntry = 'redrive';
const { runStoreConformance } = (await import(conformanceEntry)) as typeof Conformance;
const { SqliteStore } = (await import(rootEntry)) as typeof Root;

runStoreConformance('sqlite from the built package', async () => {
  const store = new SqliteStore({ path: ':memory:', pollIntervalMs: 0 });
  return { store, cleanup: () => store.close() };
});
