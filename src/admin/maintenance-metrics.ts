/**
 * Prometheus gauges of the store's maintenance, read from the store's leadership lease at scrape
 * time (so any process serving /metrics shows them, leader or not): who leads, under which epoch,
 * until when, and when each maintenance service last ran.
 */
import { Gauge, type Registry } from 'prom-client';
import type { LeaderLease } from '../store/leader-store.js';
import type { Store } from '../store/store.js';

/** Registers the maintenance gauges on `registry`. */
export function registerMaintenanceMetrics(registry: Registry, store: Store, now: () => number): void {
  const registers = [registry];
  // One lease read per scrape, however many gauges ask (they collect concurrently).
  let pending: Promise<LeaderLease | null> | undefined;
  const lease = (): Promise<LeaderLease | null> => {
    pending ??= store
      .getLeader({ now: now() })
      .catch(() => null)
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  new Gauge({
    name: 'redrive_maintenance_leader',
    help: "1 for the candidate holding the store's maintenance lease (none while nobody leads)",
    labelNames: ['holder'],
    registers,
    async collect() {
      this.reset();
      const l = await lease();
      if (l) this.set({ holder: l.holder }, 1);
    },
  });
  new Gauge({
    name: 'redrive_maintenance_leader_epoch',
    help: 'Fencing epoch of the maintenance lease (0 while nobody leads)',
    registers,
    async collect() {
      this.set((await lease())?.epoch ?? 0);
    },
  });
  new Gauge({
    name: 'redrive_maintenance_lease_expires_timestamp_seconds',
    help: 'When the maintenance lease ends unless renewed (0 while nobody leads)',
    registers,
    async collect() {
      const l = await lease();
      this.set(l ? l.expiresAt / 1000 : 0);
    },
  });
  new Gauge({
    name: 'redrive_maintenance_service_last_run_timestamp_seconds',
    help: 'When each maintenance service last finished a run, as the leader last reported',
    labelNames: ['service'],
    registers,
    async collect() {
      this.reset();
      const runs = (await lease())?.serviceRuns ?? {};
      for (const [service, at] of Object.entries(runs)) this.set({ service }, at / 1000);
    },
  });
}
