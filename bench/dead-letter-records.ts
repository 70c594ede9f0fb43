/**
 * Plausible dead-letter records for the benchmarks that need a large dead-letter queue stored
 * beforehand: spread over five domains, forty fingerprints, ten records per millisecond.
 */
import type { NewDeadLetter } from '../src/index.js';

const DOMAINS = ['payment', 'email', 'webhook', 'inventory', 'shipping'];
const T0 = Date.UTC(2026, 0, 1);

/** The domains the records are spread over. */
export const DEAD_LETTER_DOMAINS: readonly string[] = DOMAINS;

/** The `i`-th record (ids `dl_00000000` onwards; no job). */
export function makeDeadLetter(i: number): NewDeadLetter {
  const domain = DOMAINS[i % DOMAINS.length]!;
  return {
    id: `dl_${String(i).padStart(8, '0')}`,
    queue: domain,
    jobId: null,
    jobName: 'process',
    domain,
    failureType: i % 7 === 0 ? 'permanent' : 'retries_exhausted',
    entityType: 'order',
    entityId: `order-${i}`,
    userId: `user-${i % 5000}`,
    errorClass: 'UpstreamError',
    errorCode: 'E503',
    errorMessage: `upstream returned 503 for order ${i}`,
    errorStack: `UpstreamError: upstream returned 503 for order ${i}\n    at call (client.ts:41:11)\n    at handler (jobs/${domain}.ts:17:5)`,
    fingerprint: `fp-${i % 40}`,
    fingerprintVersion: 1,
    payload: {
      orderId: i,
      customerId: i % 5000,
      amount: (i % 997) + 0.5,
      items: [{ sku: `sku-${i % 300}`, qty: 1 }],
    },
    attempts: [
      { attempt: 1, outcome: 'failed', startedAt: T0, endedAt: T0 + 5, workerId: 'w1', message: '503' },
    ],
    snapshot: null,
    requestData: null,
    responseData: { status: 503 },
    metadata: { region: i % 2 ? 'eu' : 'us' },
    nextActionHint: 'check the upstream, then replay',
    recommendedAction: 'replay_when_healthy',
    workerId: 'w1',
    handlerVersion: 'v1',
    maxReplays: 2,
    firstFailedAt: T0 + i * 10,
    // Ten rows per millisecond: plenty of ties for the ordering to get right.
    deadLetteredAt: T0 + Math.floor(i / 10),
    expiresAt: T0 + Math.floor(i / 10) + 72 * 3_600_000,
  };
}
