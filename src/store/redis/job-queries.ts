/**
 * Reads and maintenance on Redis jobs: lookups, listings, counts, queue flags and removal. A
 * listing or removal walks each queue through its script in bounded steps (`LIST_BUDGET`,
 * `REMOVE_BUDGET` entries examined per call) so that no single script blocks the server long.
 */
import type { Job, JobCounts, JobState } from '../../core/job.js';
import { emptyJobCounts, isRemovableJobState } from '../../core/job.js';
import type { RedisClient } from '../../redis/client-options.js';
import type { ListJobsParams, RemoveJobsParams } from '../job-store.js';
import { fieldsToRecord, isJobHash, jobFromHash } from './job-codec.js';
import type { RedisKeys } from './keys.js';
import { translateRedisError } from './redis-errors.js';
import type { ScriptName } from './scripts.js';

const LIST_BUDGET = 1000;
const REMOVE_BUDGET = 1000;

type Arg = string | number | (string | number)[];

/** What {@link RedisJobQueries} needs of its store. */
export interface RedisJobQueriesDeps {
  client: RedisClient;
  keys: RedisKeys;
  /** Where the store points, for messages. */
  location: string;
  /** Runs a Redis call, translating connection failures. */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
  /** Runs one of the store's scripts (the key base is prepended to `args`). */
  script(name: ScriptName, keys: string[], args: Arg[]): Promise<unknown>;
}

/** Job reads and maintenance queries of one Redis store. */
export class RedisJobQueries {
  private readonly client: RedisClient;
  private readonly keys: RedisKeys;
  private readonly location: string;
  private readonly call: RedisJobQueriesDeps['call'];
  private readonly script: RedisJobQueriesDeps['script'];

  constructor(deps: RedisJobQueriesDeps) {
    this.client = deps.client;
    this.keys = deps.keys;
    this.location = deps.location;
    this.call = deps.call;
    this.script = deps.script;
  }

  async nextScheduledAt(params: { queue: string }): Promise<number | null> {
    const first = await this.call('nextScheduledAt', () =>
      this.client.zrange(this.keys.queue(params.queue, 'sched'), '0', '0', 'WITHSCORES'),
    );
    return first.length >= 2 ? Number(first[1]) : null;
  }

  async getJob(params: { id: string }): Promise<Job | null> {
    const hash = await this.call('getJob', () => this.client.hgetall(this.keys.job(String(params.id))));
    return hash && isJobHash(hash) ? jobFromHash(String(params.id), hash) : null;
  }

  /** Every registered queue name. */
  async queueNames(): Promise<string[]> {
    return this.call('listQueues', () => this.client.hkeys(this.keys.queues));
  }

  async listJobs(params: ListJobsParams): Promise<Job[]> {
    const limit = Math.max(0, Math.floor(params.limit));
    if (limit === 0) return [];
    let after = '';
    if (params.afterId !== undefined) {
      if (!/^\d+$/.test(params.afterId)) return [];
      after = params.afterId;
    }
    const queues = params.queue !== undefined ? [params.queue] : await this.queueNames();
    const states = params.states ?? [];
    const all: Job[] = [];
    for (const queue of queues) {
      let from = after;
      let found = 0;
      for (;;) {
        const [rows, next] = (await this.script(
          'list-jobs',
          [this.keys.queues],
          [queue, from, limit - found, LIST_BUDGET, [...states]],
        )) as [(string | null)[][], string];
        for (const row of rows) {
          const h = fieldsToRecord(row);
          if (!isJobHash(h)) continue;
          all.push(jobFromHash(h.id!, h));
          found++;
        }
        if (found >= limit || next === 'end') break;
        from = next;
      }
    }
    all.sort((a, b) => Number(a.id) - Number(b.id));
    return all.slice(0, limit);
  }

  async countJobs(params: { queue?: string }): Promise<JobCounts> {
    const counts = emptyJobCounts();
    const queues = params.queue !== undefined ? [params.queue] : await this.queueNames();
    if (queues.length === 0) return counts;
    const sets: [JobState, 'wait' | 'sched' | 'active' | 'done' | 'dead'][] = [
      ['scheduled', 'sched'],
      ['waiting', 'wait'],
      ['active', 'active'],
      ['completed', 'done'],
      ['dead_lettered', 'dead'],
    ];
    // Per queue: the cardinality of each set, then the jobs the completed and dead-lettered
    // indexes' batch members list (`nfin`, `ndfin`, lib/jobs.lua), which count too.
    const batched: JobState[] = ['completed', 'dead_lettered'];
    const perQueue = sets.length + batched.length;
    const pipeline = this.client.pipeline();
    for (const queue of queues) {
      for (const [, set] of sets) pipeline.zcard(this.keys.queue(queue, set));
      pipeline.get(this.keys.queue(queue, 'nfin'));
      pipeline.get(this.keys.queue(queue, 'ndfin'));
    }
    const replies = (await this.call('countJobs', () => pipeline.exec())) ?? [];
    replies.forEach(([error, n], i) => {
      if (error) throw translateRedisError(error, 'countJobs', this.location);
      const at = i % perQueue;
      const state = at < sets.length ? sets[at]![0] : batched[at - sets.length]!;
      counts[state] += Math.max(0, Number(n ?? 0));
    });
    return counts;
  }

  async listQueues(): Promise<{ name: string; paused: boolean }[]> {
    const all = await this.call('listQueues', () => this.client.hgetall(this.keys.queues));
    return Object.entries(all ?? {})
      .map(([name, paused]) => ({ name, paused: paused === '1' }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async isQueuePaused(params: { queue: string }): Promise<boolean> {
    return (await this.call('isQueuePaused', () => this.client.hget(this.keys.queues, params.queue))) === '1';
  }

  async removeJobs(params: RemoveJobsParams): Promise<number> {
    const limit = Math.max(0, Math.floor(params.limit));
    const states = [...new Set(params.states)].filter(isRemovableJobState);
    const queues = params.queue !== undefined ? [params.queue] : await this.queueNames();
    let removed = 0;
    for (const state of states) {
      for (const queue of queues) {
        let offset = 0;
        while (removed < limit) {
          const [n, next] = (await this.script(
            'remove-jobs',
            [this.keys.queues],
            [queue, state, params.before ?? '', limit - removed, offset, REMOVE_BUDGET],
          )) as [number, string];
          removed += Number(n);
          if (next === 'end') break;
          offset = Number(next);
        }
      }
    }
    return removed;
  }
}
