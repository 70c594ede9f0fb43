/**
 * Regrouping and described failure groups: entries fingerprinted by version 1 (which split one bug
 * by the async glue at the bottom of its stack) join the version 2 group of the same bug.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DeadLetterQueue, FakeClock, FINGERPRINT_VERSION, SqliteStore } from '../../src/index.js';
import { standaloneDeadLetter } from '../../src/store/conformance/dead-letter-fixtures.js';

const T0 = Date.UTC(2026, 11, 6);
const MESSAGE = 'duplicate key value violates unique constraint "users_email_key"';
const FRAMES = `error: ${MESSAGE}
    at /app/node_modules/pg/lib/client.js:545:17
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)
    at async insertUser (/app/src/users/repo.ts:31:5)
    at async signup (/app/src/jobs/signup.ts:14:3)`;

let store: SqliteStore;
let dlq: DeadLetterQueue;
const clock = new FakeClock(T0);

beforeEach(async () => {
  store = new SqliteStore({ path: ':memory:', pollIntervalMs: 0 });
  dlq = new DeadLetterQueue({ store, fallbackPath: false, clock });
  // Two version-1 records of one bug, split by the glue frame at the bottom of their stacks.
  const old = (id: string, fingerprint: string, glue: string) =>
    standaloneDeadLetter(id, T0 - 1000, {
      errorClass: 'error',
      errorCode: '23505',
      errorMessage: MESSAGE,
      errorStack: `${FRAMES}\n${glue}`,
      fingerprint,
      fingerprintVersion: 1,
      domain: 'users',
    });
  await store.insertDeadLetters({
    deadLetters: [
      old(
        'old-1',
        'v1-ticks',
        '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      ),
      old('old-2', 'v1-all', '    at async Promise.all (index 0)'),
      standaloneDeadLetter('other', T0 - 500, { fingerprint: 'v1-other', fingerprintVersion: 1 }),
    ],
    now: T0 - 1000,
  });
});

afterEach(async () => {
  await dlq.close();
  await store.close();
});

it('moves version 1 entries into the version 2 group of the same bug, audited', async () => {
  const fresh = Object.assign(new Error(MESSAGE), { name: 'error', code: '23505', stack: FRAMES });
  const stored = await dlq.store({ domain: 'users', failureType: 'permanent', error: fresh });
  expect((await dlq.get(stored.id!))?.fingerprintVersion).toBe(FINGERPRINT_VERSION);
  expect((await dlq.topFailures()).groups.map((g) => g.count)).toEqual([1, 1, 1, 1]);

  const dry = await dlq.regroup({ dryRun: true });
  expect(dry).toEqual({ version: 2, examined: 4, outdated: 3, changed: 3, dryRun: true });
  expect((await store.getDeadLetter({ id: 'old-1' }))?.fingerprint).toBe('v1-ticks');

  const pages: number[] = [];
  const result = await dlq.regroup({ batchSize: 2, actor: 'ops', onProgress: (p) => pages.push(p.examined) });
  expect(result).toEqual({ version: 2, examined: 4, outdated: 3, changed: 3, dryRun: false });
  expect(pages).toEqual([2, 4]);

  const top = (await dlq.topFailures()).groups;
  expect(top.map((g) => g.count)).toEqual([3, 1]);
  expect(top[0]).toMatchObject({
    fingerprint: (await dlq.get(stored.id!))?.fingerprint,
    fingerprintVersion: 2,
    signature: { errorClass: 'error', message: MESSAGE, frame: 'insertUser (src/users/repo.ts)' },
  });
  const audit = await dlq.audit({ action: 'regroup' });
  expect(audit.items).toMatchObject([{ actor: 'ops', deadLetterId: null, at: T0, details: { changed: 3 } }]);

  expect(await dlq.regroup()).toMatchObject({ examined: 4, outdated: 0, changed: 0 });
  expect(await dlq.regroup({ all: true })).toMatchObject({ examined: 4, outdated: 0, changed: 0 });
  expect((await dlq.audit({ action: 'regroup' })).items).toHaveLength(1);
});

it('describes a group whose sample is gone from what the group itself says', async () => {
  const { groups } = await dlq.topFailures({ limit: 1, domain: 'users' });
  await store.resolveDeadLetters({ ids: ['old-1', 'old-2'], now: T0, actor: 't' });
  await store.transitionDeadLetters({ action: 'archive', now: T0, before: T0 + 1, limit: 10 });
  await store.purgeDeadLetters({ limit: 10, now: T0 });
  const { describeFailureGroups } = await import('../../src/dlq/failure-groups.js');
  const [described] = await describeFailureGroups(store, groups);
  expect(described).toMatchObject({
    fingerprintVersion: null,
    signature: { errorClass: 'error', frame: null },
  });
});
