/**
 * A dashboard query never holds the admin server's event loop: while a slow dead-letter query
 * runs (a bounded scan of large payloads), `/healthz` keeps answering. With reads on the event
 * loop (`readsOffThread: false`) the same query lets no probe through — the check below fails
 * there, which this file also shows, so the test cannot pass by accident.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/admin/server.js';
import { type NewDeadLetter, SqliteStore } from '../../src/index.js';

const ROWS = 20_000;
const T0 = Date.UTC(2026, 0, 1);
let dir: string;
let path: string;

function entry(i: number): NewDeadLetter {
  return {
    id: `dl-${i}`,
    queue: 'q',
    jobId: null,
    jobName: 'job',
    domain: ['payment', 'email'][i % 2]!,
    failureType: 'retries_exhausted',
    entityType: 'order',
    entityId: `order-${i}`,
    userId: null,
    errorClass: 'Error',
    errorCode: null,
    errorMessage: `upstream returned 503 for order ${i}`,
    errorStack: null,
    fingerprint: `fp-${i % 7}`,
    fingerprintVersion: 2,
    // A few kilobytes each, so that a scan that parses them takes a while.
    payload: {
      customerId: i,
      lines: Array.from({ length: 40 }, (_, k) => ({ sku: `sku-${k}`, note: 'x'.repeat(60) })),
    },
    attempts: [],
    snapshot: null,
    requestData: null,
    responseData: null,
    metadata: {},
    nextActionHint: null,
    recommendedAction: null,
    workerId: null,
    handlerVersion: null,
    maxReplays: 3,
    firstFailedAt: T0 + i,
    deadLetteredAt: T0 + i,
    expiresAt: null,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-healthz-'));
  path = join(dir, 'dlq.db');
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  for (let first = 0; first < ROWS; first += 2000) {
    await store.insertDeadLetters({
      deadLetters: Array.from({ length: 2000 }, (_, k) => entry(first + k)),
      now: T0,
    });
  }
  await store.close();
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Sends `/healthz` probes one after another while `query` runs; returns how many answered before
 * the query did, and the slowest probe.
 */
async function probesDuring(readsOffThread: boolean, url: string) {
  const store = new SqliteStore({ path, pollIntervalMs: 0, scanBudget: ROWS + 1 });
  const server = createAdminServer({
    store,
    logger: false,
    sampleThroughput: false,
    processMetrics: false,
    readsOffThread,
  });
  try {
    const base = (await server.listen({ port: 0 })).url.replace(/\/$/, '');
    // Warm up (the reader thread starts on the first query).
    expect((await fetch(`${base}/api/dead-letters?pageSize=1`)).status).toBe(200);
    let done = false;
    const started = performance.now();
    const query = fetch(`${base}${url}`).then(async (response) => {
      const body = (await response.json()) as Record<string, unknown>;
      done = true;
      return { status: response.status, body, ms: performance.now() - started };
    });
    let answered = 0;
    let slowest = 0;
    while (!done) {
      const t = performance.now();
      const probe = await fetch(`${base}/healthz`);
      expect(probe.status).toBe(200);
      await probe.arrayBuffer();
      if (!done) {
        answered++;
        slowest = Math.max(slowest, performance.now() - t);
      }
    }
    const { status, body, ms } = await query;
    expect(status).toBe(200);
    return { answered, slowest, queryMs: ms, body };
  } finally {
    await server.close();
    await store.close();
  }
}

const QUERIES = [
  ['an unindexed payload filter (bounded scan)', '/api/dead-letters?payload.lines[39].sku=none'],
  ['top failures over a search too short for the text index', '/api/dead-letters/top-failures?q=9'],
] as const;

describe('/healthz while dashboard queries run', () => {
  for (const [name, url] of QUERIES) {
    it(`answers during ${name}`, async () => {
      const result = await probesDuring(true, url);
      // The query took long enough for several probes, and every probe answered meanwhile.
      expect(result.answered).toBeGreaterThanOrEqual(3);
      expect(result.slowest).toBeLessThan(result.queryMs);
    }, 60_000);
  }

  it('is blocked by the same query when reads run on the event loop (what the thread prevents)', async () => {
    const result = await probesDuring(false, QUERIES[0][1]);
    expect(result.answered).toBeLessThanOrEqual(1);
    expect(result.body).toMatchObject({ total: 0, scan: { examined: ROWS, complete: true } });
  }, 60_000);
});
