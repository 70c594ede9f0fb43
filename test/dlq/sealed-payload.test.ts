/**
 * Replayable payloads of `store()` entries (`sealedPayloads`): every read shows the redacted
 * payload, the replay handler gets the original, keys rotate by id, and an entry whose key is
 * gone is refused before its replay spends budget. On SQLite, and on Redis and PostgreSQL when
 * they are reachable.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/admin/server.js';
import { PayloadSealer, SEALED_PAYLOAD_KEY } from '../../src/dlq/sealed-payload.js';
import {
  type DeadLetter,
  DeadLetterQueue,
  FakeClock,
  REDACTED,
  RedisStore,
  ReplayError,
  ReplayRegistry,
  SqliteStore,
  type Store,
  ValidationError,
} from '../../src/index.js';
import { PostgresTestSchema } from '../support/postgres.js';
import { postgresService, redisService, uniqueKeyPrefix } from '../support/services.js';

const redis = await redisService();
const postgres = await postgresService();
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const CARD = 'tok_4242_secret';

const pgSchema = postgres.available ? new PostgresTestSchema(postgres.url, 'sealed') : undefined;
afterAll(() => pgSchema?.drop());

interface StoreCase {
  name: string;
  available: boolean;
  open(): Promise<{ store: Store; close(): Promise<void> }>;
}

const STORES: StoreCase[] = [
  {
    name: 'SQLite',
    available: true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'redrive-sealed-'));
      const store = new SqliteStore({ path: join(dir, 'dlq.db'), pollIntervalMs: 0 });
      return {
        store,
        close: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'Redis',
    available: redis.available,
    async open() {
      const store = new RedisStore({ url: redis.url, prefix: uniqueKeyPrefix('sealed').slice(0, -1) });
      return { store, close: () => store.close() };
    },
  },
  {
    name: 'PostgreSQL',
    available: postgres.available,
    async open() {
      const store = await pgSchema!.freshStore();
      return { store, close: () => store.close() };
    },
  },
];

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe.each(STORES)('sealed payloads of store() entries on $name', (c) => {
  async function setup(keys: Record<string, Buffer>, currentKeyId: string) {
    const { store, close } = await c.open();
    closers.push(close);
    const replayed: unknown[] = [];
    const make = (k: Record<string, Buffer> | null, current = currentKeyId) =>
      new DeadLetterQueue({
        store,
        clock: new FakeClock(),
        fallbackPath: false,
        replayHandlers: new ReplayRegistry().forDomain('payment', async (entry) => {
          replayed.push(entry.payload);
        }),
        ...(k ? { sealedPayloads: { keys: k, currentKeyId: current } } : {}),
      });
    return { store, dlq: make(keys), make, replayed };
  }

  async function storeCharge(dlq: DeadLetterQueue): Promise<string> {
    const { id } = await dlq.store({
      domain: 'payment',
      failureType: 'PG_TIMEOUT',
      entityId: 'o-1',
      error: new Error('gateway timed out'),
      payload: { orderId: 'o-1', amount: 4200, card: { token: CARD } },
      metadata: { region: 'eu' },
    });
    return id!;
  }

  const redacted = { orderId: 'o-1', amount: 4200, card: { token: REDACTED } };

  it.skipIf(!c.available)(
    'reads show the redacted payload; the replay handler gets the original',
    async () => {
      const { store, dlq, replayed } = await setup({ k1 }, 'k1');
      const id = await storeCharge(dlq);
      const shown: DeadLetter[] = [
        (await dlq.get(id))!,
        await dlq.mustGet(id),
        ...(await dlq.list()).results,
        ...(await dlq.pending()),
        ...(await dlq.replayable()),
      ];
      for (const entry of shown) {
        expect(entry.payload).toEqual(redacted);
        expect(entry.metadata).toEqual({ region: 'eu' });
        expect(JSON.stringify(entry)).not.toContain(CARD);
      }
      // What the store holds: the redacted payload and a ciphertext, never the secret in clear.
      const raw = await store.getDeadLetter({ id });
      expect(raw?.payload).toEqual(redacted);
      expect(String(raw?.metadata[SEALED_PAYLOAD_KEY])).toMatch(/^rdv1\.k1\./);
      expect(JSON.stringify(raw)).not.toContain(CARD);

      const result = await dlq.retry(id, { actor: 'ann' });
      expect(result.status).toBe('resolved');
      expect(replayed).toEqual([{ orderId: 'o-1', amount: 4200, card: { token: CARD } }]);
    },
  );

  it.skipIf(!c.available)(
    'keys rotate by id; an entry whose key is gone is refused before it spends budget',
    async () => {
      const { dlq, make, replayed } = await setup({ k1 }, 'k1');
      const old = await storeCharge(dlq);
      const rotated = make({ k1, k2 }, 'k2');
      const fresh = await storeCharge(rotated);
      expect(
        String((await rotated.backing.getDeadLetter({ id: fresh }))?.metadata[SEALED_PAYLOAD_KEY]),
      ).toMatch(/^rdv1\.k2\./);

      const withoutK1 = make({ k2 }, 'k2');
      await expect(withoutK1.retry(old, { actor: 'ann' })).rejects.toThrow(/sealed with key k1/);
      await expect(make(null).retry(old, { actor: 'ann' })).rejects.toBeInstanceOf(ReplayError);
      expect(await withoutK1.mustGet(old)).toMatchObject({ status: 'pending', replayCount: 0 });
      expect(replayed).toEqual([]);

      expect((await rotated.retry(old, { actor: 'ann' })).status).toBe('resolved');
      expect((await withoutK1.retry(fresh, { actor: 'ann' })).status).toBe('resolved');
      expect(replayed).toEqual([
        { orderId: 'o-1', amount: 4200, card: { token: CARD } },
        { orderId: 'o-1', amount: 4200, card: { token: CARD } },
      ]);
    },
  );
});

describe('sealed payloads on the read surfaces and at the boundary', () => {
  it('the admin API shows the redacted payload and no sealed text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redrive-sealed-admin-'));
    const store = new SqliteStore({ path: join(dir, 'dlq.db'), pollIntervalMs: 0 });
    const dlq = new DeadLetterQueue({
      store,
      fallbackPath: false,
      sealedPayloads: { keys: { k1 }, currentKeyId: 'k1' },
    });
    const server = createAdminServer({
      store,
      deadLetterQueue: dlq,
      tokens: [{ token: 'viewer-token-0001', role: 'viewer', actor: 'vera' }],
      logger: false,
      sampleThroughput: false,
      processMetrics: false,
    });
    try {
      const { id } = await dlq.store({
        domain: 'payment',
        failureType: 'X',
        payload: { card: { token: CARD } },
      });
      const headers = { authorization: 'Bearer viewer-token-0001' };
      for (const url of [`/api/dead-letters/${id}`, '/api/dead-letters']) {
        const response = await server.app.inject({ method: 'GET', url, headers });
        expect(response.statusCode).toBe(200);
        // The detail holds the redacted payload; the list shows no payloads at all.
        if (url.endsWith(id!)) expect(response.body).toContain(REDACTED);
        expect(response.body).not.toContain(CARD);
        expect(response.body).not.toContain(SEALED_PAYLOAD_KEY);
      }
    } finally {
      await server.app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses keys that are not 32 bytes, and a current key id that names no key', () => {
    const store = new SqliteStore({ path: ':memory:' });
    const options = (keys: Record<string, Buffer | string>, currentKeyId: string) => ({
      store,
      fallbackPath: false as const,
      sealedPayloads: { keys, currentKeyId },
    });
    expect(() => new DeadLetterQueue(options({ k1: randomBytes(16) }, 'k1'))).toThrow(
      /keys\.k1: must be 32 bytes/,
    );
    expect(() => new DeadLetterQueue(options({ k1 }, 'k9'))).toThrow(ValidationError);
    expect(() => new DeadLetterQueue(options({ k1: k1.toString('base64') }, 'k1'))).not.toThrow();
  });

  it('a sealed payload does not open for another entry, nor once altered', () => {
    const sealer = new PayloadSealer({ keys: { k1 }, currentKeyId: 'k1' });
    const sealed = sealer.seal('dl-a', { card: CARD });
    expect(sealed).not.toContain(CARD);
    expect(sealer.open('dl-a', sealed)).toEqual({ card: CARD });
    expect(() => sealer.open('dl-b', sealed)).toThrow(/does not open/);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('{"card":"other"}').toString('base64url');
    expect(() => sealer.open('dl-a', parts.join('.'))).toThrow(ReplayError);
  });
});
