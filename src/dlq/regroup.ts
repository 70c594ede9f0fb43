/**
 * Regrouping: recomputes the fingerprints of stored dead letters with the current grouping
 * algorithm. Entries keep the version that computed their fingerprint, so after an upgrade the
 * older ones still group among themselves until this runs; it pages through every entry (oldest
 * first, keyset pages, so entries arriving meanwhile are not missed or repeated) and hands the
 * changes to the store, which moves each entry between groups atomically.
 */
import type { Clock } from '../core/clock.js';
import { deadLetterFingerprint, FINGERPRINT_VERSION } from '../core/fingerprint.js';
import type { DeadLetterRegrouping } from '../store/dead-letter-store.js';
import type { Store } from '../store/store.js';

/** Options of {@link regroupDeadLetters}. */
export interface RegroupOptions {
  /** Entries read (and changes written) per round trip. Default 500, at most 5,000. */
  batchSize?: number;
  /** Recompute entries of the current version too (after a change to in-app detection). Default false. */
  all?: boolean;
  /** Count what would change; write nothing. Default false. */
  dryRun?: boolean;
  /** Who runs it, for the audit trail. Default `system`. */
  actor?: string;
  /** Called after every page. */
  onProgress?: (progress: RegroupResult) => void;
}

/** What a regrouping did (or, on a dry run, would do). */
export interface RegroupResult {
  /** The algorithm version fingerprints were recomputed with. */
  version: number;
  /** Entries read. */
  examined: number;
  /** Entries whose fingerprint or version was older than the current one. */
  outdated: number;
  /** Entries written with a new fingerprint or version (on a dry run: that would be). */
  changed: number;
  dryRun: boolean;
}

/** Recomputes the fingerprints of stored entries; see the module comment. */
export async function regroupDeadLetters(
  store: Store,
  clock: Clock,
  options: RegroupOptions = {},
): Promise<RegroupResult> {
  const batchSize = Math.min(Math.max(1, Math.floor(options.batchSize ?? 500)), 5000);
  const result: RegroupResult = {
    version: FINGERPRINT_VERSION,
    examined: 0,
    outdated: 0,
    changed: 0,
    dryRun: options.dryRun === true,
  };
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listDeadLetters({
      limit: batchSize,
      order: 'oldest',
      withTotal: false,
      ...(cursor ? { cursor } : {}),
    });
    if (page.items.length === 0) break;
    const changes: DeadLetterRegrouping[] = [];
    for (const entry of page.items) {
      result.examined++;
      if (entry.fingerprintVersion < FINGERPRINT_VERSION) result.outdated++;
      else if (!options.all) continue;
      const fingerprint = deadLetterFingerprint(entry);
      if (fingerprint === entry.fingerprint && entry.fingerprintVersion === FINGERPRINT_VERSION) continue;
      changes.push({ id: entry.id, fingerprint, fingerprintVersion: FINGERPRINT_VERSION });
    }
    if (changes.length > 0) {
      result.changed += options.dryRun
        ? changes.length
        : (await store.regroupDeadLetters({ changes })).updated;
    }
    options.onProgress?.({ ...result });
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  if (!options.dryRun && result.changed > 0) {
    await store.appendAudit({
      entries: [
        {
          deadLetterId: null,
          action: 'regroup',
          actor: options.actor ?? 'system',
          reason: null,
          ticket: null,
          at: clock.now(),
          beforeStatus: null,
          afterStatus: null,
          beforeGeneration: null,
          afterGeneration: null,
          details: { ...result },
        },
      ],
    });
  }
  return result;
}
