/**
 * Test harness of the admin server: a SQLite store on a temp file, a dead-letter queue with replay
 * handlers per domain, tokens for each role, a trusted proxy address, and a small web root.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { type AdminServerOptions, createAdminServer } from '../../src/admin/server.js';
import {
  DeadLetterQueue,
  type FailureInput,
  PermanentError,
  ReplayRegistry,
  SqliteStore,
} from '../../src/index.js';

export const TOKENS = {
  viewer: 'viewer-token-0001',
  operator: 'operator-token-0001',
  admin: 'admin-token-0001',
} as const;

export type RoleName = keyof typeof TOKENS;

export const PROXY_ADDRESS = '10.0.0.5';

export function createAdminHarness(overrides: Partial<AdminServerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-admin-test-'));
  const path = join(dir, 'admin.db');
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  let slowMs = 50;
  const registry = new ReplayRegistry()
    .forDomain('payment', async () => ({ note: 'charged again' }))
    .forDomain('slow', async () => {
      await new Promise((r) => setTimeout(r, slowMs));
      return {};
    })
    .forDomain('broken', async () => {
      throw new PermanentError('still broken');
    });
  const dlq = new DeadLetterQueue({
    store,
    replayHandlers: registry,
    fallbackPath: join(dir, 'fallback.jsonl'),
  });
  const webRoot = join(dir, 'web');
  mkdirSync(webRoot);
  writeFileSync(
    join(webRoot, 'index.html'),
    '<!doctype html><title>redrive</title><script src="assets/app.js"></script>',
  );
  writeFileSync(join(webRoot, 'app.js'), 'console.log("dashboard");');
  writeFileSync(join(webRoot, 'app.css'), 'body { margin: 0 }');
  writeFileSync(join(webRoot, 'notes.txt'), 'not served');
  const server = createAdminServer({
    store,
    deadLetterQueue: dlq,
    tokens: [
      { token: TOKENS.viewer, role: 'viewer', actor: 'vera' },
      { token: TOKENS.operator, role: 'operator', actor: 'otto' },
      { token: TOKENS.admin, role: 'admin', actor: 'ada' },
    ],
    trustedProxies: {
      addresses: [PROXY_ADDRESS],
      userHeader: 'x-forwarded-user',
      roleHeader: 'x-forwarded-role',
    },
    logger: false,
    sampleThroughput: false,
    processMetrics: false,
    webRoot,
    ...overrides,
  });

  /** A request as `role` (or without credentials when `role` is null). */
  async function call(
    role: RoleName | null,
    method: InjectOptions['method'],
    url: string,
    payload?: unknown,
    extra: Partial<InjectOptions> = {},
  ): Promise<LightMyRequestResponse & { json<T = Record<string, unknown>>(): T }> {
    const headers: Record<string, string> = { ...((extra.headers as Record<string, string>) ?? {}) };
    if (role) headers.authorization = `Bearer ${TOKENS[role]}`;
    const response = await server.app.inject({
      method,
      url,
      ...extra,
      headers,
      ...(payload !== undefined ? { payload: payload as InjectOptions['payload'] } : {}),
    });
    return response as LightMyRequestResponse & { json<T = Record<string, unknown>>(): T };
  }

  /** Stores a dead letter through the dead-letter queue; returns its id. */
  async function deadLetter(input: Partial<FailureInput> = {}): Promise<string> {
    const result = await dlq.store({
      domain: 'payment',
      failureType: 'AMOUNT_MISMATCH',
      error: new Error('amount 10.00 does not match 12.00'),
      entityType: 'order',
      entityId: 'o-1',
      payload: { customer: { id: 42 }, amount: 10 },
      ...input,
    });
    return result.id!;
  }

  return {
    dir,
    store,
    dlq,
    server,
    registry,
    call,
    deadLetter,
    setSlowMs(ms: number) {
      slowMs = ms;
    },
    async close() {
      await server.close();
      await dlq.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type AdminHarness = ReturnType<typeof createAdminHarness>;
