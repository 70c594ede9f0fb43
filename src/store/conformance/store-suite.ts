/**
 * The store conformance suite: one set of behaviour cases every `Store` must pass (after River's
 * riverdrivertest). A store's test file calls {@link runStoreConformance} — and nothing else — with
 * a factory that returns a fresh, empty store; each test gets its own. The cases use only the
 * `Store` interface and pass every time explicitly, so they run unchanged on SQLite, Redis and
 * PostgreSQL. A case that checks something a store may legitimately not do asks the store's
 * declared `capabilities` (see ./capabilities.ts) and skips visibly, naming the capability.
 *
 * One topic per file under ./cases/. A new case file is registered here, once, for every store.
 *
 * Published as `redrive/store/conformance` (src/entries/store-conformance.ts), so that a store
 * written outside this repository runs the same cases. Only that entry imports this folder: vitest
 * and fast-check (optional peer dependencies) stay out of every other entry's import graph.
 */
import { describe } from 'vitest';
import { adminCases } from './cases/admin.js';
import { auditRetentionCases } from './cases/audit-retention.js';
import { claimCases } from './cases/claim.js';
import { deadLetterAuditCases } from './cases/dead-letter-audit.js';
import { deadLetterCaptureCases } from './cases/dead-letter-capture.js';
import { deadLetterFacetsCases } from './cases/dead-letter-facets.js';
import { deadLetterListingCases } from './cases/dead-letter-listing.js';
import { deadLetterRecordCases } from './cases/dead-letter-records.js';
import { deadLetterRegroupCases } from './cases/dead-letter-regroup.js';
import { deadLetterReplayCases } from './cases/dead-letter-replay.js';
import { deadLetterResolveCases } from './cases/dead-letter-resolve.js';
import { deadLetterSearchCases } from './cases/dead-letter-search.js';
import { deadLetterTotalsCases } from './cases/dead-letter-totals.js';
import { failureCases } from './cases/failure.js';
import { failureBatchCases } from './cases/failure-batch.js';
import { fencingCases } from './cases/fencing.js';
import { headerCases } from './cases/headers.js';
import { insertCases } from './cases/insert.js';
import { leadershipCases } from './cases/leadership.js';
import { leaseExpiryCases } from './cases/lease-expiry.js';
import { lostClaimCases } from './cases/lost-claims.js';
import { modelCases } from './cases/model.js';
import { orphanCases } from './cases/orphans.js';
import { poisonPillEntryCases } from './cases/poison-pill-entries.js';
import { progressCases } from './cases/progress.js';
import { recoveryCases } from './cases/recovery.js';
import { transactionalCompletionCases } from './cases/transactional-completion.js';
import type { StoreFactory } from './fixtures.js';

/** How to run the suite on one store (never which cases: every store runs all of them). */
export interface ConformanceOptions {
  /**
   * Time limit of the model-based test. A store over the network pays a round trip per operation
   * (several thousand per run), so it may need more than the default test timeout.
   */
  modelTimeoutMs?: number;
}

/** Registers every conformance case for the store made by `factory` under `describe(name)`. */
export function runStoreConformance(
  name: string,
  factory: StoreFactory,
  options: ConformanceOptions = {},
): void {
  describe(`Store conformance: ${name}`, () => {
    insertCases(factory);
    headerCases(factory);
    claimCases(factory);
    lostClaimCases(factory);
    fencingCases(factory);
    progressCases(factory);
    failureCases(factory);
    failureBatchCases(factory);
    recoveryCases(factory);
    leaseExpiryCases(factory);
    orphanCases(factory);
    poisonPillEntryCases(factory);
    adminCases(factory);
    transactionalCompletionCases(factory);
    deadLetterRecordCases(factory);
    deadLetterCaptureCases(factory);
    deadLetterListingCases(factory);
    deadLetterFacetsCases(factory);
    deadLetterTotalsCases(factory);
    deadLetterReplayCases(factory);
    deadLetterResolveCases(factory);
    deadLetterAuditCases(factory);
    deadLetterSearchCases(factory);
    deadLetterRegroupCases(factory);
    leadershipCases(factory);
    auditRetentionCases(factory);
    modelCases(factory, options.modelTimeoutMs);
  });
}
