/**
 * `npm start`'s admin server: the next free port when the first is taken, a working admin token,
 * and replays of demo dead letters that re-enqueue the job (usually with the failure gone).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoReplayHandler, startDemoAdmin } from '../../demo/admin.js';
import { DEMO_QUEUES, type DemoPayload } from '../../demo/scenarios.js';
import { Queue, SqliteStore } from '../../src/index.js';

let dir: string;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-demo-admin-'));
  store = new SqliteStore({ path: join(dir, 'demo.db') });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

describe('demo admin server', () => {
  it('takes the next free port, prints a signed-in URL, and retries demo dead letters', async () => {
    const blocker = createServer();
    const taken = await listen(blocker, 0);
    const admin = await startDemoAdmin({ store, queues: DEMO_QUEUES, workers: [], port: taken });
    try {
      expect(admin.url).not.toBe(`http://127.0.0.1:${taken}/`);
      expect(admin.dashboardUrl).toBe(`${admin.url}#token=${admin.token}`);
      const auth = { authorization: `Bearer ${admin.token}` };
      expect(await (await fetch(`${admin.url}api/whoami`, { headers: auth })).json()).toEqual({
        actor: 'demo-admin',
        role: 'admin',
      });
      expect((await fetch(`${admin.url}`)).status).toBeLessThan(600);

      // A permanently failing demo job, dead-lettered, then retried from the API.
      const emails = new Queue<DemoPayload>('emails', { store });
      const job = await emails.add('send-welcome', {
        to: 'a@example.com',
        behaviour: { kind: 'invalid', error: 'permanent' },
      });
      const [claimed] = await store.claimJobs({
        queue: 'emails',
        workerId: 'w',
        limit: 1,
        leaseMs: 60_000,
        now: Date.now(),
        claimId: 'c',
      });
      await store.failJob({
        id: job.id,
        token: claimed!.token,
        now: Date.now(),
        attempt: {
          attempt: 1,
          outcome: 'failed',
          startedAt: Date.now(),
          endedAt: Date.now(),
          workerId: 'w',
          message: 'no such record',
        },
        outcome: {
          kind: 'dead_letter',
          deadLetter: {
            id: 'dl_demo_1',
            domain: 'emails',
            failureType: 'permanent',
            entityType: null,
            entityId: null,
            userId: null,
            errorClass: 'PermanentError',
            errorCode: null,
            errorMessage: 'no such record',
            errorStack: null,
            fingerprint: 'fp',
            fingerprintVersion: 1,
            snapshot: null,
            requestData: null,
            responseData: null,
            metadata: {},
            nextActionHint: null,
            recommendedAction: null,
            workerId: 'w',
            handlerVersion: 'demo',
            maxReplays: 2,
            firstFailedAt: Date.now(),
            deadLetteredAt: Date.now(),
            expiresAt: null,
          },
        },
      });
      const entry = await admin.deadLetterQueue.mustGet('dl_demo_1');
      const retried = await fetch(`${admin.url}api/dead-letters/dl_demo_1/retry`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ generation: entry.generation }),
      });
      const result = (await retried.json()) as {
        success: boolean;
        status: string;
        handler: string;
        jobId: string;
      };
      expect(result).toMatchObject({ success: true, status: 'resolved', handler: 'queue:emails' });
      const replayed = await store.getJob({ id: result.jobId });
      expect(replayed).toMatchObject({
        queue: 'emails',
        name: 'send-welcome',
        replayOf: 'dl_demo_1',
        state: 'waiting',
      });
      await emails.close();
    } finally {
      await admin.close();
      blocker.close();
    }
  });

  it('replays usually with the failure gone, sometimes as it was', async () => {
    const emails = DEMO_QUEUES.find((q) => q.name === 'emails')!;
    const q = new Queue<DemoPayload>('emails', { store });
    const job = await q.add('send-receipt', { to: 'b@example.com', behaviour: { kind: 'down' } });
    const entry = {
      id: 'dl_x',
      jobId: job.id,
      jobName: 'send-receipt',
      payload: null,
      replayCount: 0,
    } as unknown as Parameters<ReturnType<typeof demoReplayHandler>>[0];
    const ctx = {
      store,
      clock: { now: () => Date.now() },
      actor: 't',
      forced: false,
    } as unknown as Parameters<ReturnType<typeof demoReplayHandler>>[1];
    const fixed = await demoReplayHandler(emails, () => 0.1)(entry, ctx);
    const kept = await demoReplayHandler(emails, () => 0.95)({ ...entry, replayCount: 1 }, ctx);
    expect((await store.getJob({ id: fixed!.jobId! }))!.payload).toMatchObject({ behaviour: { kind: 'ok' } });
    expect((await store.getJob({ id: kept!.jobId! }))!.payload).toMatchObject({
      behaviour: { kind: 'down' },
    });
    await q.close();
  });
});
