/**
 * Job events on PostgreSQL: NOTIFY on the schema's event channel (`redrive:<schema>:events`). A
 * worker's batch of events is sent as JSON arrays, each under the 8000-byte NOTIFY payload limit
 * (events are small: ids, counts, a shortened error message, progress of at most 1 KB), all in one
 * statement. A listener LISTENs on a connection of its own and keeps the events of its queue.
 *
 * NOTIFY keeps no history: a listener hears what is published while it is connected, and what is
 * sent while its connection is down (it reconnects with a growing delay) is lost; `after` is
 * ignored. Read the job (`getJob`) when an outcome must not be missed.
 */
import pg from 'pg';
import { type JobEvent, parseJobEvents } from '../../core/job-event.js';
import type {
  JobEventSubscription,
  PublishJobEventsParams,
  SubscribeJobEventsParams,
} from '../job-event-store.js';
import { fitIdentifier } from './sql-files.js';

/** Bytes per NOTIFY payload at most (the server's limit is 8000). */
const MAX_PAYLOAD_BYTES = 7900;
const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/** The channel of a schema's job events. */
export function jobEventsChannel(schema: string): string {
  return fitIdentifier(`redrive:${schema}:events`);
}

/** Splits events into JSON arrays of at most {@link MAX_PAYLOAD_BYTES} each. */
export function notifyPayloads(events: readonly JobEvent[]): string[] {
  const payloads: string[] = [];
  let parts: string[] = [];
  let bytes = 2;
  for (const event of events) {
    const json = JSON.stringify(event);
    const size = Buffer.byteLength(json) + 1;
    if (size + 2 > MAX_PAYLOAD_BYTES) continue; // cannot happen with bounded fields; never fail the batch
    if (bytes + size > MAX_PAYLOAD_BYTES && parts.length > 0) {
      payloads.push(`[${parts.join(',')}]`);
      parts = [];
      bytes = 2;
    }
    parts.push(json);
    bytes += size;
  }
  if (parts.length > 0) payloads.push(`[${parts.join(',')}]`);
  return payloads;
}

/** What {@link PostgresJobEvents} needs from its store. */
export interface PostgresJobEventsDeps {
  schema: string;
  query(what: string, text: string, values: unknown[]): Promise<unknown>;
  /** Settings for a dedicated LISTEN connection. */
  clientConfig(): pg.ClientConfig;
}

/** Publishes and receives job events of one PostgreSQL store. */
export class PostgresJobEvents {
  private readonly channel: string;

  constructor(private readonly deps: PostgresJobEventsDeps) {
    this.channel = jobEventsChannel(deps.schema);
  }

  /** One statement: a NOTIFY per payload. */
  async publish(params: PublishJobEventsParams): Promise<void> {
    const payloads = notifyPayloads(params.events);
    if (payloads.length === 0) return;
    await this.deps.query('publishJobEvents', 'SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [
      this.channel,
      payloads,
    ]);
  }

  /** LISTENs on a dedicated connection, re-opened when it drops; resolves once listening. */
  async subscribe(params: SubscribeJobEventsParams): Promise<JobEventSubscription> {
    let closed = false;
    let client: pg.Client | undefined;
    let retryMs = MIN_RETRY_MS;
    let retryTimer: NodeJS.Timeout | undefined;
    let received = 0;
    const listen = `LISTEN "${this.channel.replace(/"/g, '""')}"`;

    const connect = async (): Promise<void> => {
      const next = new pg.Client(this.deps.clientConfig());
      next.on('notification', (message) => {
        if (message.channel !== this.channel || !message.payload) return;
        const events = parseJobEvents(message.payload).filter((e) => e.queue === params.queue);
        received++;
        if (events.length > 0) params.deliver(events, `${message.processId}:${received}`);
      });
      const lost = (error?: Error) => {
        if (client !== next || closed) return;
        client = undefined;
        next.end().catch(() => undefined);
        params.error(error ?? new Error('job event connection closed'));
        scheduleReconnect();
      };
      next.on('error', lost);
      next.on('end', () => lost());
      try {
        await next.connect();
        await next.query(listen);
      } catch (error) {
        next.end().catch(() => undefined);
        throw error;
      }
      if (closed) {
        await next.end().catch(() => undefined);
        return;
      }
      client = next;
      retryMs = MIN_RETRY_MS;
    };

    const scheduleReconnect = (): void => {
      if (closed || retryTimer) return;
      const delay = retryMs;
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        connect().catch((error: unknown) => {
          params.error(error instanceof Error ? error : new Error(String(error)));
          scheduleReconnect();
        });
      }, delay);
      retryTimer.unref();
    };

    await connect();
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        if (retryTimer) clearTimeout(retryTimer);
        const open = client;
        client = undefined;
        await open?.end().catch(() => undefined);
      },
    };
  }
}
