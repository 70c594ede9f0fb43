/**
 * Dead-letter retention on a FakeClock: on its interval, open entries past their TTL expire,
 * expired ones are archived and then purged after the retention period, and SLA breaches are
 * counted — using the dead-letter queue's own settings.
 */
import { describe, expect, it } from 'vitest';
import { DeadLetterQueue } from '../../src/dlq/dead-letter-queue.js';
import { DeadLetterRetention } from '../../src/maintenance/dead-letter-retention.js';
import { standaloneDeadLetter } from '../../src/store/conformance/fixtures.js';
import { advance, useFixture } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('DeadLetterRetention', () => {
  const t = useFixture();

  it('expires, archives and purges on its interval', async () => {
    const fx = t.fx();
    const { store, clock } = fx;
    const t0 = clock.now();
    // Expires in one hour (the fixture's TTL).
    await store.insertDeadLetters({ deadLetters: [standaloneDeadLetter('dl-1', t0)], now: t0 });
    const dlq = new DeadLetterQueue({ store, clock, retentionDays: 1, sla: { defaultMs: 30 * 60_000 } });
    const retention = new DeadLetterRetention({ deadLetters: dlq, intervalMs: HOUR });
    const m = await t.run([retention], 3 * DAY);
    expect(m.status().services[0]?.lastReport).toEqual({
      released: 0,
      expired: 0,
      archived: 0,
      purged: 0,
      slaBreaches: 0,
    });

    await advance(clock, HOUR, 60_000);
    // Past its SLA (30 min) at the first hourly run, and past its TTL: expired in the same run.
    expect((await store.getDeadLetter({ id: 'dl-1' }))?.status).toBe('expired');
    expect(m.status().services[0]?.lastReport).toMatchObject({ expired: 1, slaBreaches: 0 });

    await advance(clock, DAY + HOUR, 60_000);
    expect((await store.getDeadLetter({ id: 'dl-1' }))?.status).toBe('archived');
    await advance(clock, DAY + HOUR, 60_000);
    expect(await store.getDeadLetter({ id: 'dl-1' })).toBeNull();
    expect(m.status().services[0]?.runs).toBeGreaterThan(48);
  });

  it('counts open entries past their SLA', async () => {
    const fx = t.fx();
    const { store, clock } = fx;
    const t0 = clock.now();
    const entry = { ...standaloneDeadLetter('dl-2', t0), expiresAt: t0 + 10 * DAY };
    await store.insertDeadLetters({ deadLetters: [entry], now: t0 });
    const dlq = new DeadLetterQueue({ store, clock, sla: { defaultMs: 30 * 60_000 } });
    const m = await t.run([new DeadLetterRetention({ deadLetters: dlq, intervalMs: HOUR })], 3 * DAY);
    await advance(clock, HOUR, 60_000);
    expect(m.status().services[0]?.lastReport).toMatchObject({ expired: 0, slaBreaches: 1 });
  });
});
