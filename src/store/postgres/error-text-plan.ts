/**
 * Which words of an error-text search the trigram index is asked for, on PostgreSQL.
 *
 * `error_message ILIKE '%order 4242%'` makes pg_trgm read the posting list of every trigram of
 * the phrase. When a word of it is in most messages (`order` in "upstream returned 503 for order
 * N"), its trigrams' lists hold most of the table: at a million entries the index scan read 1 511
 * pages to find 112 candidates. Asking the index for the rare words only (`ILIKE '%4242%'`: 9
 * pages, 560 candidates) and checking the whole phrase on those candidates gives the same rows.
 *
 * How common a word is comes from the newest {@link SAMPLE_SIZE} messages (one short read of the
 * time index): a word in at least {@link COMMON_SHARE} of them is left to the check. When every
 * word is common (or shorter than a trigram), the index is asked for the whole phrase, as before.
 * The choice changes only how the rows are found, never which: each word is part of the phrase, so
 * a message that contains the phrase contains the word.
 */
import type { PostgresConnection } from './postgres-connection.js';

/** Newest messages looked at to tell common words from rare ones. */
export const SAMPLE_SIZE = 200;
/** Share of the sample a word must appear in to count as common. */
export const COMMON_SHARE = 0.1;
/** Searches whose plan is remembered (least recently used forgotten first). */
const REMEMBERED = 100;
/** Uses of a remembered plan before its words are sampled again (the newest messages change). */
const USES_BEFORE_RESAMPLE = 50;

/** How one search is asked of the index. */
export interface ErrorTextPlan {
  /**
   * The words the trigram index is asked for (each as a substring), the whole phrase being checked
   * on their candidates; empty: the index is asked for the whole phrase.
   */
  readonly indexWords: readonly string[];
}

const WHOLE_PHRASE: ErrorTextPlan = { indexWords: [] };

/**
 * The words of a search the trigram index can look up: runs of letters and digits (pg_trgm's
 * words) of three characters or more, each once.
 */
export function searchWords(text: string): string[] {
  const words = text.match(/[\p{L}\p{N}]{3,}/gu) ?? [];
  return [...new Set(words)];
}

/** Chooses, per search, the words the index is asked for; remembers recent choices. */
export class ErrorTextPlanner {
  private readonly plans = new Map<string, { plan: Promise<ErrorTextPlan>; uses: number }>();

  constructor(private readonly conn: PostgresConnection) {}

  /** The plan of a search (see the module comment). */
  plan(text: string): Promise<ErrorTextPlan> {
    const known = this.plans.get(text);
    this.plans.delete(text);
    if (known && known.uses < USES_BEFORE_RESAMPLE) {
      known.uses++;
      this.plans.set(text, known);
      return known.plan;
    }
    const plan = this.sample(text);
    // A failed read is not remembered: the next search asks again.
    plan.catch(() => this.plans.delete(text));
    this.plans.set(text, { plan, uses: 1 });
    if (this.plans.size > REMEMBERED) this.plans.delete(this.plans.keys().next().value!);
    return plan;
  }

  private async sample(text: string): Promise<ErrorTextPlan> {
    const words = searchWords(text);
    if (words.length === 0) return WHOLE_PHRASE;
    const rows = await this.conn.run<{ word: string; n: number; sampled: number }>(
      'dead-letters',
      'wordShares',
      [words, SAMPLE_SIZE],
    );
    const seen = Math.max(0, ...rows.map((r) => Number(r.sampled)));
    const threshold = Math.max(1, Math.ceil(seen * COMMON_SHARE));
    const rare = words.filter((w) => Number(rows.find((r) => r.word === w)?.n ?? 0) < threshold);
    // A single rare word that is the whole phrase is the whole phrase: nothing to gain.
    if (rare.length === 0 || (rare.length === 1 && rare[0] === text)) return WHOLE_PHRASE;
    return { indexWords: rare };
  }
}
