/**
 * The Redis store's key layout. Every key of a store starts with `{<prefix>}:`: the braces are the
 * Redis Cluster hash tag, so all of a store's keys — each queue's jobs and indexes, and the
 * dead-letter records those jobs move into — hash to one slot. That is what lets every state
 * change (a job moving to the dead-letter queue included) be one atomic script. To spread queues
 * over a cluster, give groups of queues their own store (their own prefix).
 *
 * Variable parts (queue names, ids, domains) always come last or after a fixed token, so two
 * different names can never build the same key. Scripts receive the base (`{<prefix>}:`) and build
 * per-job and per-queue keys from it; those keys carry the same hash tag, hence the same slot.
 *
 *   {p}:queues                  hash   queue name -> "1" paused / "0"
 *   {p}:ids                     string job id counter
 *   {p}:j:<id>                  hash   one job (fields: see job-codec.ts)
 *   {p}:q:<queue>:wait          zset   waiting jobs, score (2 - priority) * 1e13 + runAt, member zero-padded id
 *   {p}:q:<queue>:sched         zset   scheduled jobs by runAt
 *   {p}:q:<queue>:active        zset   active jobs by lease expiry
 *   {p}:q:<queue>:done          zset   completed jobs by finish time, as earlier versions wrote them (one id each)
 *   {p}:q:<queue>:fin           zset   completed jobs by finish time, one member per batch: ids joined by ','
 *   {p}:q:<queue>:nfin          string jobs listed by the members of `fin`
 *   {p}:q:<queue>:dead          zset   dead-lettered jobs by finish time, one id each (before format 4)
 *   {p}:q:<queue>:dfin          zset   dead-lettered jobs by finish time, one member per failure batch:
 *                                      ids joined by ',' (format 4)
 *   {p}:q:<queue>:ndfin         string jobs listed by the members of `dfin`
 *   {p}:q:<queue>:ids           zset   every job of the queue by id (listing in id order): a job id, or a
 *                                      run `<first>-<last>` of ids inserted together scored by its first
 *   {p}:q:<queue>:idn           hash   run member -> jobs of the run still stored
 *   {p}:q:<queue>:ik            hash   idempotency key -> job id
 *   {p}:notify:<queue>          pub/sub channel: jobs may be available
 *   {p}:ev:<queue>              stream job events, one entry per published batch (redis-job-events.ts)
 *   {p}:dl:e:<id>               hash   one dead letter (fields: see dead-letter-codec.ts)
 *   {p}:dl:job                  hash   job id -> dead-letter id (from format 4, a failing job's
 *                                      entry only once its job is removed: the job's `dl` before)
 *   {p}:dl:seq                  string dead-letter sequence (insertion order, keyset tiebreak)
 *   {p}:dl:t                    zset   every dead letter by dead-letter time
 *   {p}:dl:c:<status>:<domain>  zset   dead letters of one (status, domain) cell by dead-letter time
 *   {p}:dl:q:<queue>            zset   dead letters of a queue by dead-letter time
 *   {p}:dl:f:<fingerprint>      zset   dead letters of a fingerprint by dead-letter time
 *   {p}:dl:domains              set    every domain seen
 *   {p}:dl:counts               hash   "<status>:<domain>" -> count (facets, totals)
 *   {p}:dl:expiry               zset   open entries (pending, requires_review) by expiresAt
 *   {p}:dl:closed               zset   resolved and expired entries by updatedAt (archive)
 *   {p}:dl:archived             zset   archived entries by updatedAt (purge)
 *   {p}:dl:replaying            zset   replaying entries by replayStartedAt (release stuck)
 *   {p}:dl:atcap                set    pending entries whose replay budget is spent
 *   {p}:dl:tally                hash   durable counters (purged)
 *   {p}:dl:g                    hash   "<fingerprint>\0<status>\0<domain>\0<queue>\0<failureType>" -> count
 *   {p}:dl:fp:id                hash   fingerprint -> identity JSON {c: class, m: normalized message, f: frame}
 *   {p}:dl:fp:first             hash   fingerprint -> first dead-letter time
 *   {p}:dl:fp:last              hash   fingerprint -> "<last dead-letter time>:<latest entry id>"
 *   {p}:dl:g:backfill           hash   where the counting of entries older than {p}:dl:g stands
 *   {p}:dl:paths                hash   declared JSON path -> JSON {f, p, r} (indexedPaths; r = 1: complete)
 *   {p}:dl:x:<path>:<value>     zset   dead letters holding that value at a declared path, by time
 *   {p}:dl:w:<word>             zset   dead letters whose message holds the word, by time
 *   {p}:dl:wv                   zset   every indexed word (lexicographic, score 0)
 *   {p}:dl:w:common             set    words too common to index
 *   {p}:dl:ixq                  zset   dead letters not in the word and path indexes yet, by time
 *   {p}:dl:ix                   hash   the search indexes' state: `words` complete, the walk's position
 *                                      (see lua/lib/dead-letter-index.lua)
 *   {p}:audit:seq               string audit sequence
 *   {p}:audit:e                 hash   seq -> audit entry (JSON)
 *   {p}:audit:all               zset   every audit entry by seq
 *   {p}:audit:dl:<id>           zset   audit entries of one dead letter by seq
 *   {p}:format                  string the store's format version (absent = 1; see FORMAT_VERSIONS)
 *   {p}:leader                  string the leader lease (JSON; see lua/lib/leader.lua), store-wide
 *   {p}:leader:epoch            string the leader lease's fencing epoch counter
 *
 * Queue slots (QueueSlotRedisStore): each queue gets a number `n` from the store's registry and
 * its own hash tag, `{<prefix>#<n>}`, so the queues of one store spread over a cluster's slots.
 * A queue's keys are the ones above with the base `{<prefix>#<n>}.` instead of `{<prefix>}:`
 * (its jobs, indexes, id counter, paused flag, start horizons), plus:
 *   {p#n}.dl:out                hash   dead-letter id -> record JSON, written by the failing
 *                                      job's script and moved to the store's dead-letter keys
 * (the `.` after the tag keeps these keys apart from those of a store whose prefix is `p#n`).
 * The store's own slot keeps the dead letters, audit, leader lease and:
 *   {p}:queues                  hash   queue name -> "1" paused / "0" (mirror; the slot's flag rules)
 *   {p}:slots                   hash   queue name -> its number n
 *   {p}:slots:seq               string the last number given
 */
import { ValidationError } from '../../core/errors.js';

/** The default key prefix. */
export const DEFAULT_PREFIX = 'redrive';

/**
 * The stored formats this release reads and can write, by version (the `{p}:format` key; absent =
 * 1, the format of every earlier release). Every release reads all versions up to its own; the
 * key is only ever raised (RedisStore option `formatVersion`; a fresh prefix starts at the newest,
 * raise-format.lua), and a release writes the newer layout only once it is raised, because a
 * release before it would misread that layout.
 * - 1: every field of a record is a hash field.
 * - 2: a failing job's dead letter keeps its rarely read fields in one JSON field, `x`
 *   (dead-letter-codec.ts).
 * - 3: a new job is stored without `pr` when its priority is normal and without `ra` when it is
 *   due when created (runAt = createdAt) (lua/lib/jobs.lua).
 * - 4: a failing job's dead letter is linked to its job by the job's `dl` field alone while the
 *   job exists, not in `{p}:dl:job` (lua/lib/dead-letters-packed.lua; remove-jobs.lua writes the
 *   link before it deletes such a job), and has no `counted` field (an entry without `seq` is
 *   counted, lua/lib/dead-letters.lua); a failure batch's dead-lettered jobs are one member of
 *   `q:<queue>:dfin` (lua/lib/jobs.lua).
 * - 5: a failing job's dead letter keeps its failure batch's packed properties (stack, hints,
 *   worker) in the field `xs`, written as the batch sent it, and only its own firstFailedAt,
 *   jobName and attempts in `x` (lua/lib/dead-letters-packed.lua).
 */
export const FORMAT_VERSIONS = [1, 2, 3, 4, 5] as const;

/** The newest format version this release writes when the store's key allows it. */
export const LATEST_FORMAT_VERSION = 5;

/** Builds the keys of one store. */
export class RedisKeys {
  /** `{<prefix>}:` — the start of every key. */
  readonly base: string;
  readonly queues: string;
  readonly ids: string;
  readonly deadLetterJobs: string;
  readonly deadLetterSeq: string;
  readonly deadLetterAll: string;
  readonly deadLetterDomains: string;
  readonly deadLetterCounts: string;
  readonly deadLetterExpiry: string;
  readonly deadLetterAtCap: string;
  readonly deadLetterTally: string;
  readonly deadLetterGroups: string;
  readonly deadLetterGroupIdentity: string;
  readonly deadLetterGroupFirst: string;
  readonly deadLetterGroupLast: string;
  readonly auditSeq: string;
  readonly auditEntries: string;
  readonly auditAll: string;
  readonly leader: string;
  readonly leaderEpoch: string;
  /** The store's format version (see {@link FORMAT_VERSIONS}). */
  readonly format: string;

  /**
   * @param prefix the store's key prefix.
   * @param slot with a queue-slot store (queue-slots.ts), the number of one queue: the keys are
   *   then that queue's, under its own hash tag (`{<prefix>#<slot>}.`, see the module comment).
   */
  constructor(
    readonly prefix: string = DEFAULT_PREFIX,
    readonly slot?: number,
  ) {
    if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) {
      throw new ValidationError(
        'prefix',
        'must be a non-empty string without { or } (the store adds its hash tag)',
      );
    }
    this.base = slot === undefined ? `{${prefix}}:` : `{${prefix}#${slot}}.`;
    this.queues = `${this.base}queues`;
    this.ids = `${this.base}ids`;
    this.deadLetterJobs = `${this.base}dl:job`;
    this.deadLetterSeq = `${this.base}dl:seq`;
    this.deadLetterAll = `${this.base}dl:t`;
    this.deadLetterDomains = `${this.base}dl:domains`;
    this.deadLetterCounts = `${this.base}dl:counts`;
    this.deadLetterExpiry = `${this.base}dl:expiry`;
    this.deadLetterAtCap = `${this.base}dl:atcap`;
    this.deadLetterTally = `${this.base}dl:tally`;
    this.deadLetterGroups = `${this.base}dl:g`;
    this.deadLetterGroupIdentity = `${this.base}dl:fp:id`;
    this.deadLetterGroupFirst = `${this.base}dl:fp:first`;
    this.deadLetterGroupLast = `${this.base}dl:fp:last`;
    this.auditSeq = `${this.base}audit:seq`;
    this.auditEntries = `${this.base}audit:e`;
    this.auditAll = `${this.base}audit:all`;
    this.leader = `${this.base}leader`;
    this.leaderEpoch = `${this.base}leader:epoch`;
    this.format = `${this.base}format`;
  }

  job(id: string): string {
    return `${this.base}j:${id}`;
  }

  /**
   * A per-queue key: `wait`, `sched`, `active`, `done`, `fin`, `nfin`, `dead`, `dfin`, `ndfin`,
   * `ids`, `idn`, `ik` or `suspects`.
   */
  queue(
    queue: string,
    kind:
      | 'wait'
      | 'sched'
      | 'active'
      | 'done'
      | 'fin'
      | 'nfin'
      | 'dead'
      | 'dfin'
      | 'ndfin'
      | 'ids'
      | 'idn'
      | 'ik'
      | 'suspects',
  ): string {
    return `${this.base}q:${queue}:${kind}`;
  }

  /** The pub/sub channel announcing jobs in `queue`. */
  notifyChannel(queue: string): string {
    return `${this.base}notify:${queue}`;
  }

  /** The queue a {@link notifyChannel} names. */
  queueOfChannel(channel: string): string | undefined {
    const start = `${this.base}notify:`;
    return channel.startsWith(start) ? channel.slice(start.length) : undefined;
  }

  deadLetter(id: string): string {
    return `${this.base}dl:e:${id}`;
  }

  deadLetterCell(status: string, domain: string): string {
    return `${this.base}dl:c:${status}:${domain}`;
  }

  deadLetterQueue(queue: string): string {
    return `${this.base}dl:q:${queue}`;
  }

  deadLetterFingerprint(fingerprint: string): string {
    return `${this.base}dl:f:${fingerprint}`;
  }

  /** A SCAN pattern matching every key of this store (and nothing of another prefix). */
  pattern(): string {
    return `${this.base.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  }
}
