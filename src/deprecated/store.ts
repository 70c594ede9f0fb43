/**
 * Names the root entry exported before `redrive/store` existed (the Store seam and its parameter and
 * result types). They keep working from `redrive` for one minor version, deprecated. Each is declared
 * here rather than re-exported, so that its `@deprecated` tag reaches the built declarations (the
 * declaration bundler drops tags on re-export specifiers) and editors strike it through. A class stays
 * usable with `new`, `extends` and `instanceof`, and as a type.
 */

import type * as store from '../entries/store.js';
import {
  DUE_FOR_EXPIRY_COUNT_CAP as DUE_FOR_EXPIRY_COUNT_CAPMoved,
  expectedGenerationOf as expectedGenerationOfMoved,
  hasCounterBackfill as hasCounterBackfillMoved,
} from '../store/dead-letter-store.js';

/** @deprecated Import from `redrive/store`. */
export type AcquireDeadLetterParams = store.AcquireDeadLetterParams;
/** @deprecated Import from `redrive/store`. */
export type AcquireLeadershipParams = store.AcquireLeadershipParams;
/** @deprecated Import from `redrive/store`. */
export type AdvanceStartHorizonParams = store.AdvanceStartHorizonParams;
/** @deprecated Import from `redrive/store`. */
export type AuditInput = store.AuditInput;
/** @deprecated Import from `redrive/store`. */
export type ClaimJobsParams = store.ClaimJobsParams;
/** @deprecated Import from `redrive/store`. */
export type CompleteJobInTransactionParams<T> = store.CompleteJobInTransactionParams<T>;
/** @deprecated Import from `redrive/store`. */
export type CompleteJobsParams = store.CompleteJobsParams;
/** @deprecated Import from `redrive/store`. */
export type CounterBackfillProgress = store.CounterBackfillProgress;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterChangeResult = store.DeadLetterChangeResult;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterConflictReason = store.DeadLetterConflictReason;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterCounterBackfill = store.DeadLetterCounterBackfill;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterFilter = store.DeadLetterFilter;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterFromJob = store.DeadLetterFromJob;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterJsonField = store.DeadLetterJsonField;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterPage = store.DeadLetterPage;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterRegrouping = store.DeadLetterRegrouping;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterStore = store.DeadLetterStore;
/** @deprecated Import from `redrive/store`. */
export type DeadLetterStoreStats = store.DeadLetterStoreStats;
/** @deprecated Import from `redrive/store`. */
export const DUE_FOR_EXPIRY_COUNT_CAP = DUE_FOR_EXPIRY_COUNT_CAPMoved;
/** @deprecated Import from `redrive/store`. */
export type ExtendLeasesParams = store.ExtendLeasesParams;
/** @deprecated Import from `redrive/store`. */
export const expectedGenerationOf = expectedGenerationOfMoved;
/** @deprecated Import from `redrive/store`. */
export type FailJobParams = store.FailJobParams;
/** @deprecated Import from `redrive/store`. */
export type FailJobResult = store.FailJobResult;
/** @deprecated Import from `redrive/store`. */
export type FailJobsParams = store.FailJobsParams;
/** @deprecated Import from `redrive/store`. */
export type FailureOutcome = store.FailureOutcome;
/** @deprecated Import from `redrive/store`. */
export type FenceResult = store.FenceResult;
/** @deprecated Import from `redrive/store`. */
export type FinishDeadLetterReplayParams = store.FinishDeadLetterReplayParams;
/** @deprecated Import from `redrive/store`. */
export const hasCounterBackfill = hasCounterBackfillMoved;
/** @deprecated Import from `redrive/store`. */
export type InsertJobResult = store.InsertJobResult;
/** @deprecated Import from `redrive/store`. */
export type InsertJobsParams = store.InsertJobsParams;
/** @deprecated Import from `redrive/store`. */
export type JobCompletion = store.JobCompletion;
/** @deprecated Import from `redrive/store`. */
export type JobFailure = store.JobFailure;
/** @deprecated Import from `redrive/store`. */
export type JobStore = store.JobStore;
/** @deprecated Import from `redrive/store`. */
export type JsonFieldFilter = store.JsonFieldFilter;
/** @deprecated Import from `redrive/store`. */
export type LeaderStore = store.LeaderStore;
/** @deprecated Import from `redrive/store`. */
export type LeadershipResult = store.LeadershipResult;
/** @deprecated Import from `redrive/store`. */
export type ListAuditParams = store.ListAuditParams;
/** @deprecated Import from `redrive/store`. */
export type ListDeadLettersParams = store.ListDeadLettersParams;
/** @deprecated Import from `redrive/store`. */
export type ListJobsParams = store.ListJobsParams;
/** @deprecated Import from `redrive/store`. */
export type NewJob = store.NewJob;
/** @deprecated Import from `redrive/store`. */
export type PurgeAuditParams = store.PurgeAuditParams;
/** @deprecated Import from `redrive/store`. */
export type PurgeDeadLettersParams = store.PurgeDeadLettersParams;
/** @deprecated Import from `redrive/store`. */
export type RecoverExpiredLeasesParams = store.RecoverExpiredLeasesParams;
/** @deprecated Import from `redrive/store`. */
export type RecoveryResult = store.RecoveryResult;
/** @deprecated Import from `redrive/store`. */
export type RegroupDeadLettersParams = store.RegroupDeadLettersParams;
/** @deprecated Import from `redrive/store`. */
export type ReleaseJobsParams = store.ReleaseJobsParams;
/** @deprecated Import from `redrive/store`. */
export type RemoveJobsParams = store.RemoveJobsParams;
/** @deprecated Import from `redrive/store`. */
export type RenewLeadershipParams = store.RenewLeadershipParams;
/** @deprecated Import from `redrive/store`. */
export type ResignLeadershipParams = store.ResignLeadershipParams;
/** @deprecated Import from `redrive/store`. */
export type ResolveDeadLettersParams = store.ResolveDeadLettersParams;
/** @deprecated Import from `redrive/store`. */
export type ResolveDeadLettersResult = store.ResolveDeadLettersResult;
/** @deprecated Import from `redrive/store`. */
export type TransactionalCompletion<T> = store.TransactionalCompletion<T>;
/** @deprecated Import from `redrive/store`. */
export type TransitionDeadLettersParams = store.TransitionDeadLettersParams;
