/**
 * Support for the dashboard's browser tests: the real admin server on an embedded SQLite store in
 * a temp dir, seeded by real queues and workers (jobs that complete, fail permanently, or exhaust
 * their retries) and by direct dead-letter captures with snapshots and request/response data; and
 * Debian's Chromium through playwright-core.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { type AdminServer, createAdminServer } from '../../src/admin/server.js';
import {
  CircuitBreaker,
  DeadLetterQueue,
  PermanentError,
  Queue,
  ReplayQueue,
  type ReplayRegistry,
  SqliteStore,
  Worker,
} from '../../src/index.js';

export const CHROMIUM_PATH = process.env.REDRIVE_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go (git-ignored). */
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');

/**
 * Whether the browser tests can run. Without Chromium they are skipped loudly on a workstation and
 * fail under CI (where .ci/run installs it).
 */
export function chromiumAvailability(): { ok: true } | { ok: false; reason: string; mustFail: boolean } {
  if (existsSync(CHROMIUM_PATH)) return { ok: true };
  const reason = `${CHROMIUM_PATH} not found: install Debian's chromium (apt-get install -y chromium) to run the dashboard's browser tests`;
  return { ok: false, reason, mustFail: process.env.CI === 'true' };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 20_000 });
}

export const TOKENS = {
  viewer: { token: 'viewer-token-0123456789', role: 'viewer', actor: 'vera' },
  operator: { token: 'operator-token-0123456789', role: 'operator', actor: 'otto' },
  admin: { token: 'admin-token-0123456789', role: 'admin', actor: 'ada' },
} as const;

export type RoleName = keyof typeof TOKENS;

/** What the seed created, for assertions. */
export interface Seeded {
  /** Dead letters of email jobs that failed permanently ("mailbox unavailable"). */
  emailPermanent: number;
  /** Dead letters of email jobs that exhausted their 2 attempts (timeouts). */
  emailExhausted: number;
  /** Dead letters of payment jobs (card declined). */
  paymentDeclined: number;
  /** Webhook dead letters captured directly (no queue), with request/response data. */
  webhook: number;
  /** Entries resolved by the seed. */
  resolved: number;
  total: number;
}

export interface DashboardServer {
  url: string;
  store: SqliteStore;
  dlq: DeadLetterQueue;
  admin: AdminServer;
  seeded: Seeded;
  close(): Promise<void>;
}

/** Polls `check` every 10 ms until it holds, for at most `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts the admin server on a fresh, seeded SQLite database (with these replay handlers, if given). */
export async function startDashboardServer(
  options: { replayHandlers?: ReplayRegistry } = {},
): Promise<DashboardServer> {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-dashboard-'));
  const store = new SqliteStore({ path: join(dir, 'redrive.db') });
  const dlq = new DeadLetterQueue({
    store,
    fallbackPath: join(dir, 'fallback.jsonl'),
    identity: 'seed:1',
    ...(options.replayHandlers ? { replayHandlers: options.replayHandlers } : {}),
  });
  const smtp = new CircuitBreaker();
  const partner = new CircuitBreaker();
  partner.trip('partner answered 502 five times');
  // A replay queue at 85 % of its depth: backpressure shows as active.
  const replayQueue = new ReplayQueue<unknown>({ maxDepth: 100 });
  for (let i = 0; i < 85; i++) replayQueue.enqueue({ n: i }, 'seed');
  const admin = createAdminServer({
    store,
    deadLetterQueue: dlq,
    replayQueue,
    breakers: [
      { name: 'smtp', breaker: smtp },
      { name: 'partner-webhooks', breaker: partner },
    ],
    tokens: Object.values(TOKENS).map((t) => ({ ...t })),
    logger: false,
    processMetrics: false,
  });
  const { url } = await admin.listen({ host: '127.0.0.1', port: 0 });

  const seeded = await seed(store, dlq);

  return {
    url,
    store,
    dlq,
    admin,
    seeded,
    async close() {
      await admin.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seed(store: SqliteStore, dlq: DeadLetterQueue): Promise<Seeded> {
  const emails = new Queue<{ to: string; template: string; customer: { id: number }; mode: string }>(
    'emails',
    {
      store,
    },
  );
  const payments = new Queue<{ orderId: string; amountCents: number; card: string }>('payments', { store });
  const reports = new Queue<{ month: string }>('reports', { store });

  const seeded: Seeded = {
    emailPermanent: 7,
    emailExhausted: 3,
    paymentDeclined: 4,
    webhook: 5,
    resolved: 2,
    total: 0,
  };
  const fast = { type: 'fixed', delayMs: 1, jitter: 'none' } as const;
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 12; i++) {
    jobs.push(
      emails.add('welcome', {
        to: `user${i}@example.com`,
        template: 'welcome',
        customer: { id: i },
        mode: 'ok',
      }),
    );
  }
  for (let i = 0; i < seeded.emailPermanent; i++) {
    jobs.push(
      emails.add(
        'welcome',
        { to: `gone${i}@example.com`, template: 'welcome', customer: { id: 100 + i }, mode: 'permanent' },
        { maxAttempts: 3, backoff: fast },
      ),
    );
  }
  for (let i = 0; i < seeded.emailExhausted; i++) {
    jobs.push(
      emails.add(
        'receipt',
        { to: `slow${i}@example.com`, template: 'receipt', customer: { id: 200 + i }, mode: 'flaky' },
        { maxAttempts: 2, backoff: fast },
      ),
    );
  }
  for (let i = 0; i < 6; i++) {
    jobs.push(payments.add('charge', { orderId: `ord_${1000 + i}`, amountCents: 1999, card: 'tok_visa' }));
  }
  for (let i = 0; i < seeded.paymentDeclined; i++) {
    jobs.push(
      payments.add(
        'charge',
        { orderId: `ord_${2000 + i}`, amountCents: 50_000 + i, card: 'tok_declined' },
        { maxAttempts: 1 },
      ),
    );
  }
  for (let i = 0; i < 5; i++) jobs.push(reports.add('monthly', { month: `2024-0${i + 1}` }));
  await Promise.all(jobs);

  const emailWorker = new Worker<{ mode: string; to: string }>(
    'emails',
    async (job) => {
      if (job.payload.mode === 'permanent') {
        throw new PermanentError('mailbox unavailable: 550 5.1.1 user unknown');
      }
      if (job.payload.mode === 'flaky') {
        const error = new Error('SMTP connection timed out after 3000 ms');
        error.name = 'SmtpTimeoutError';
        throw error;
      }
      return { sent: true };
    },
    { store, concurrency: 4, pollIntervalMs: 5, workerId: 'mail-worker-1', deadLetter: { domain: 'email' } },
  );
  const paymentWorker = new Worker<{ card: string; amountCents: number }>(
    'payments',
    async (job) => {
      if (job.payload.card === 'tok_declined') {
        throw new PermanentError(`card declined: insufficient funds for ${job.payload.amountCents} cents`);
      }
      return { charged: true };
    },
    { store, concurrency: 2, pollIntervalMs: 5, workerId: 'pay-worker-1', deadLetter: { domain: 'payment' } },
  );
  const jobLetters = seeded.emailPermanent + seeded.emailExhausted + seeded.paymentDeclined;
  await until('the seeded jobs to finish', async () => {
    const [e, p] = await Promise.all([emails.getCounts(), payments.getCounts()]);
    return (
      e.waiting + e.scheduled + e.active + p.waiting + p.scheduled + p.active === 0 &&
      e.dead_lettered + p.dead_lettered === jobLetters
    );
  });
  await Promise.all([emailWorker.close(), paymentWorker.close()]);

  // Failures recorded directly (no queue): webhooks with the request and response they exchanged.
  for (let i = 0; i < seeded.webhook; i++) {
    await dlq.store({
      domain: 'webhook',
      failureType: i < 3 ? 'HTTP_5XX' : 'SIGNATURE_MISMATCH',
      error: Object.assign(new Error(i < 3 ? 'partner answered 502 Bad Gateway' : 'signature mismatch'), {
        name: 'WebhookDeliveryError',
      }),
      entityType: 'order',
      entityId: `ord_${3000 + i}`,
      payload: { event: 'order.paid', orderId: `ord_${3000 + i}`, apiKey: 'sk_live_secret' },
      snapshot: { order: { id: `ord_${3000 + i}`, status: 'paid', total: 42.5 } },
      requestData: {
        method: 'POST',
        url: 'https://partner.example/hooks',
        headers: { 'content-type': 'application/json' },
      },
      responseData: {
        status: i < 3 ? 502 : 401,
        body: i < 3 ? '<html>Bad Gateway</html>' : '{"error":"bad signature"}',
      },
      metadata: { attempt: 5, region: 'eu-west-1' },
      nextActionHint: 'Check the partner status page, then replay.',
    });
  }
  // Two webhook entries resolved by someone else, so the facets show more than one status.
  const open = await dlq.list({ domain: 'webhook', status: 'pending' }, { pageSize: 2, order: 'oldest' });
  for (const entry of open.results) {
    await dlq.resolve(entry.id, {
      actor: 'seed',
      note: 'handled by hand',
      expectedGeneration: entry.generation,
    });
  }
  seeded.total = jobLetters + seeded.webhook;
  return seeded;
}

/** Makes the screenshot directory. */
export function artifactsDir(): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return ARTIFACTS_DIR;
}
