/**
 * Job events on Redis: one capped stream per queue, `{prefix}:ev:<queue>`. A stream rather than
 * pub/sub because a listener can resume from the id it last saw (after a restart or a dropped
 * connection) instead of losing what was published meanwhile. Each entry holds one publishing
 * batch (field `e`: a JSON array of events), so a worker pays one XADD per batch of outcomes, not
 * one per job; `MAXLEN ~` keeps about `maxLength` entries (batches) per queue.
 *
 * A listener reads with `XREAD BLOCK` on a connection of its own (a duplicate of the store's
 * client), so a blocked read never delays the store's commands.
 */

import { type JobEvent, parseJobEvents } from '../../core/job-event.js';
import type { RedisClient } from '../../redis/client-options.js';
import type {
  JobEventSubscription,
  PublishJobEventsParams,
  SubscribeJobEventsParams,
} from '../job-event-store.js';
import type { RedisKeys } from './keys.js';
import { subscriberFor } from './queue-notifier.js';
import type { RedisConnection } from './redis-connection.js';

/** Default stream length per queue (entries, each a batch of events). */
export const DEFAULT_EVENT_STREAM_LENGTH = 10_000;

/** How long one blocking read waits before it reads again (it returns at once when events arrive). */
const BLOCK_MS = 5_000;
/** Entries read per call at most. */
const READ_COUNT = 200;
const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/** The stream of a queue's job events. */
export function jobEventsKey(keys: RedisKeys, queue: string): string {
  return `${keys.base}ev:${queue}`;
}

/** Publishes and reads job events of one Redis store. */
export class RedisJobEvents {
  private readonly maxLength: number;

  /** @param maxLength entries kept per queue (the store's `eventStreamLength`) */
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: RedisKeys,
    maxLength = DEFAULT_EVENT_STREAM_LENGTH,
  ) {
    this.maxLength = Math.max(1, Math.floor(maxLength));
  }

  /** One XADD per queue present in the batch (usually one), sent together. */
  async publish(params: PublishJobEventsParams): Promise<void> {
    const byQueue = new Map<string, JobEvent[]>();
    for (const event of params.events) {
      const list = byQueue.get(event.queue);
      if (list) list.push(event);
      else byQueue.set(event.queue, [event]);
    }
    const { conn, keys, maxLength } = this;
    const client = conn.client;
    await conn.call('publishJobEvents', () =>
      Promise.all(
        [...byQueue].map(([queue, events]) =>
          client.xadd(jobEventsKey(keys, queue), 'MAXLEN', '~', maxLength, '*', 'e', JSON.stringify(events)),
        ),
      ),
    );
  }

  /** Reads the queue's stream from `after` (or its current end) on a dedicated connection. */
  async subscribe(params: SubscribeJobEventsParams): Promise<JobEventSubscription> {
    const key = jobEventsKey(this.keys, params.queue);
    const reader = subscriberFor(this.conn.client);
    reader.on('error', () => {}); // reported through the failing reads below
    let closed = false;
    let last: string;
    try {
      last = params.after ?? (await lastEntryId(reader, key));
    } catch (error) {
      reader.disconnect();
      throw error;
    }
    const loop = (async () => {
      let retryMs = MIN_RETRY_MS;
      while (!closed) {
        try {
          const reply = (await reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', key, last)) as
            | [string, [string, string[]][]][]
            | null;
          retryMs = MIN_RETRY_MS;
          for (const [id, fields] of reply?.[0]?.[1] ?? []) {
            last = id;
            const json = fieldValue(fields, 'e');
            if (json !== undefined) params.deliver(parseJobEvents(json), id);
          }
        } catch (error) {
          if (closed) return;
          params.error(error instanceof Error ? error : new Error(String(error)));
          await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
          retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
        }
      }
    })();
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        reader.disconnect();
        await loop;
      },
    };
  }
}

/** The id of the stream's newest entry, or `0-0` for an empty or missing stream. */
async function lastEntryId(client: RedisClient, key: string): Promise<string> {
  const newest = (await client.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
  return newest[0]?.[0] ?? '0-0';
}

function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
