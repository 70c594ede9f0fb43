/**
 * The demo's admin server: the dashboard, the JSON API and /metrics on 127.0.0.1:7878 (or the next
 * free port), with a random admin token, a dead-letter queue whose replays of demo failures
 * mostly succeed ("the downstream recovered"), and the demo's workers feeding the job metrics.
 */
import { randomBytes } from 'node:crypto';
import { type AdminServer, createAdminServer } from '../src/admin/server.js';
import {
  DeadLetterQueue,
  type ReplayHandler,
  ReplayRegistry,
  type Store,
  type Worker,
} from '../src/index.js';
import type { Behaviour, DemoPayload, DemoQueue } from './scenarios.js';

/** Ports tried, from the first. */
const PORT_ATTEMPTS = 20;

/** Share of replays whose job runs fine again; the rest keep failing (and dead-letter again). */
const REPLAY_FIXED_SHARE = 0.9;

/**
 * Replays a demo dead letter: enqueues the job again into its queue (linked to the dead letter,
 * one job per replay), usually with the failure gone, as after a fix or a downstream recovery.
 */
export function demoReplayHandler(queue: DemoQueue, random: () => number = Math.random): ReplayHandler {
  return async (entry, ctx) => {
    const original = entry.jobId ? await ctx.store.getJob({ id: entry.jobId }) : null;
    const payload = (original?.payload ?? entry.payload ?? {}) as DemoPayload;
    const behaviour: Behaviour = random() < REPLAY_FIXED_SHARE ? { kind: 'ok' } : payload.behaviour;
    const now = ctx.clock.now();
    const [inserted] = await ctx.store.insertJobs({
      jobs: [
        {
          queue: queue.name,
          name: entry.jobName ?? original?.name ?? 'replay',
          payloadJson: JSON.stringify({ ...payload, behaviour }),
          priority: original?.priority ?? 1,
          runAt: now,
          maxAttempts: original?.maxAttempts ?? queue.jobOptions.maxAttempts ?? 3,
          timeoutMs: original?.timeoutMs ?? null,
          backoff: original?.backoff ?? null,
          idempotencyKey: `redrive:replay:${entry.id}:${entry.replayCount}`,
          replayOf: entry.id,
        },
      ],
      now,
    });
    return { jobId: inserted?.id, note: `re-enqueued into ${queue.name} as job ${inserted?.id}` };
  };
}

/** A running demo admin server. */
export interface DemoAdmin {
  server: AdminServer;
  deadLetterQueue: DeadLetterQueue;
  url: string;
  /** The URL with `#token=…`: opens the dashboard signed in. */
  dashboardUrl: string;
  token: string;
  close(): Promise<void>;
}

/** Starts the admin server on the first free port from `port`. */
export async function startDemoAdmin(params: {
  store: Store;
  queues: readonly DemoQueue[];
  workers: readonly Worker<DemoPayload>[];
  host?: string;
  port?: number;
}): Promise<DemoAdmin> {
  const registry = new ReplayRegistry();
  for (const q of params.queues) registry.forQueue(q.name, demoReplayHandler(q));
  const deadLetterQueue = new DeadLetterQueue({
    store: params.store,
    replayHandlers: registry,
    fallbackPath: false,
  });
  const token = randomBytes(18).toString('base64url');
  const server = createAdminServer({
    store: params.store,
    deadLetterQueue,
    tokens: [{ token, role: 'admin', actor: 'demo-admin' }],
    // The terminal shows the live view; warnings and errors only.
    logger: { level: 'warn' },
  });
  for (const w of params.workers) server.attachWorker(w);
  const first = params.port ?? 7878;
  let url: string | undefined;
  for (let port = first; port < first + PORT_ATTEMPTS && url === undefined; port++) {
    try {
      ({ url } = await server.listen({ host: params.host ?? '127.0.0.1', port }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        await server.close();
        throw error;
      }
    }
  }
  if (url === undefined) {
    await server.close();
    throw new Error(`ports ${first}-${first + PORT_ATTEMPTS - 1} are all in use (try --port)`);
  }
  return {
    server,
    deadLetterQueue,
    url,
    dashboardUrl: `${url}#token=${token}`,
    token,
    async close() {
      await server.close();
      await deadLetterQueue.close();
    },
  };
}
