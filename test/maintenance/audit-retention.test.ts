/**
 * Audit-trail retention on a FakeClock: entries older than the retention period (default 90
 * days) go on its interval; newer ones stay.
 */
import { describe, expect, it } from 'vitest';
import { AuditRetention, DEFAULT_AUDIT_RETENTION_MS } from '../../src/maintenance/audit-retention.js';
import { auditEntry } from '../../src/store/conformance/fixtures.js';
import { advance, useFixture } from './helpers.js';

const DAY = 86_400_000;

describe('AuditRetention', () => {
  const t = useFixture();

  it('keeps 90 days by default and deletes older entries on its interval', async () => {
    const fx = t.fx();
    const { store, clock } = fx;
    const t0 = clock.now();
    await store.appendAudit({
      entries: [auditEntry('old', t0 - 91 * DAY), auditEntry('new', t0 - 89.5 * DAY)],
    });
    const retention = new AuditRetention({ store, intervalMs: DAY });
    expect(DEFAULT_AUDIT_RETENTION_MS).toBe(90 * DAY);
    const m = await t.run([retention], 3 * DAY);
    expect((await store.listAudit({ limit: 10 })).items.map((e) => e.actor)).toEqual(['new']);
    // 'new' passes 90 days within the day: the next daily run takes it.
    await advance(clock, DAY - 1000, 60_000);
    expect((await store.listAudit({ limit: 10 })).items).toHaveLength(1);
    await advance(clock, 1000 + 60_000, 60_000);
    expect((await store.listAudit({ limit: 10 })).items).toHaveLength(0);
    expect(m.status().services[0]).toMatchObject({
      name: 'audit-retention',
      runs: 2,
      lastReport: { deleted: 1 },
    });
  });
});
