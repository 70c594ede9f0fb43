/**
 * The maintainer: a candidate for its store's leadership that runs the maintenance services
 * while it leads. Every process may run one; the store's lease (see store/leader-store.ts) makes
 * exactly one of them the leader, so housekeeping runs once per store instead of once per worker.
 *
 * - A candidate tries for the lease at start and every `renewIntervalMs` (default a third of the
 *   lease); a standby retries as soon as the holder's lease ends, so a leader that dies is
 *   replaced within one lease.
 * - The leader renews every `renewIntervalMs`, and renews once more (the epoch check) right before
 *   each service run: a deposed leader learns it before its next write and stops every service.
 * - `close()` stops the services, waits for a run in flight, and resigns, so a standby takes over
 *   at once instead of after the lease.
 */
import { type Clock, type Random, systemClock, systemRandom, type TimerHandle } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { TypedEmitter } from '../events.js';
import type { LeaderLease } from '../store/leader-store.js';
import type { Store } from '../store/store.js';
import type { MaintainerEvents } from './events.js';
import { intervalOption, type MaintenanceService, type ServiceReport } from './service.js';

/** Options of {@link Maintainer}. */
export interface MaintainerOptions {
  store: Store;
  /** The services to run while leading (see createMaintenanceServices). */
  services: readonly MaintenanceService[];
  /** This candidate's id in the lease. Default host-independent random id. */
  candidate?: string;
  /** Leadership lease. Default 15 000 ms. */
  leaseMs?: number;
  /** How often the leader renews and a standby tries. Default a third of `leaseMs`. */
  renewIntervalMs?: number;
  clock?: Clock;
  random?: Random;
}

/** One service as {@link Maintainer.status} reports it. */
export interface ServiceStatus {
  name: string;
  intervalMs: number;
  /** When it last finished a run in this process (null: never). */
  lastRunAt: number | null;
  lastReport: ServiceReport | null;
  lastError: string | null;
  runs: number;
}

/** What {@link Maintainer.status} reports. */
export interface MaintainerStatus {
  candidate: string;
  state: 'idle' | 'running' | 'closed';
  /** Whether this process leads now, and under which epoch. */
  leading: boolean;
  epoch: number | null;
  /** The lease as last seen (held by this process or another), or null when nobody leads. */
  leader: LeaderLease | null;
  services: ServiceStatus[];
}

interface Slot {
  service: MaintenanceService;
  status: ServiceStatus;
  timer: TimerHandle | undefined;
}

/** Elects one process per store and runs the maintenance services there. */
export class Maintainer {
  readonly candidate: string;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly renewIntervalMs: number;
  private readonly emitter = new TypedEmitter<MaintainerEvents>();
  private readonly slots: Slot[];
  private state: MaintainerStatus['state'] = 'idle';
  private epoch: number | null = null;
  private leader: LeaderLease | null = null;
  private electionTimer: TimerHandle | undefined;
  private inFlight = new Set<Promise<unknown>>();

  constructor(options: MaintainerOptions) {
    if (!options || typeof options.store?.acquireLeadership !== 'function') {
      throw new ValidationError('store', 'a Store is required');
    }
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandom;
    this.candidate = options.candidate ?? `maintainer:${random.id(6)}`;
    this.leaseMs = intervalOption('leaseMs', options.leaseMs, 15_000);
    this.renewIntervalMs = intervalOption(
      'renewIntervalMs',
      options.renewIntervalMs,
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    if (this.renewIntervalMs >= this.leaseMs) {
      throw new ValidationError('renewIntervalMs', `must be shorter than leaseMs (${this.leaseMs})`);
    }
    const names = new Set<string>();
    this.slots = options.services.map((service) => {
      if (names.has(service.name))
        throw new ValidationError('services', `two services are named ${service.name}`);
      names.add(service.name);
      const status: ServiceStatus = {
        name: service.name,
        intervalMs: service.intervalMs,
        lastRunAt: null,
        lastReport: null,
        lastError: null,
        runs: 0,
      };
      return { service, status, timer: undefined };
    });
  }

  /** Listens to the maintainer's events; returns a function that removes the listener. */
  on<E extends keyof MaintainerEvents>(
    event: E,
    listener: (payload: MaintainerEvents[E]) => void,
  ): () => void {
    return this.emitter.on(event, listener);
  }

  /** Reports a job the lease rescuer recovered or dead-lettered (called by the rescuer). */
  emitStalled(event: MaintainerEvents['job.stalled']): void {
    this.emitter.emit('job.stalled', event);
  }

  /** Whether this process leads now. */
  get leading(): boolean {
    return this.epoch !== null;
  }

  /** Starts campaigning (at once) and, once elected, the services. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    void this.track(this.campaign());
  }

  /** Leadership, the lease as last seen, and when each service last ran. */
  status(): MaintainerStatus {
    return {
      candidate: this.candidate,
      state: this.state,
      leading: this.leading,
      epoch: this.epoch,
      leader: this.leader,
      services: this.slots.map((s) => ({ ...s.status })),
    };
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  private scheduleElection(delay: number): void {
    if (this.electionTimer) this.clock.clearTimeout(this.electionTimer);
    this.electionTimer = this.clock.setTimeout(() => {
      this.electionTimer = undefined;
      void this.track(this.campaign());
    }, delay);
  }

  /** Takes or renews the lease; starts or stops the services accordingly; schedules the next try. */
  private async campaign(): Promise<void> {
    if (this.state !== 'running') return;
    let next = this.renewIntervalMs;
    try {
      const now = this.clock.now();
      if (this.epoch !== null) {
        await this.renew(now);
      } else {
        const result = await this.store.acquireLeadership({
          candidate: this.candidate,
          leaseMs: this.leaseMs,
          now,
        });
        if (result.leader) await this.gained(result.lease);
        else {
          this.leader = result.current;
          // Try again the moment the holder's lease ends, if that is sooner than the next round.
          if (result.current) next = Math.max(1, Math.min(next, result.current.expiresAt - now));
        }
      }
    } catch (error) {
      this.emitter.emit('error', { error: error as Error });
    }
    if (this.state === 'running') this.scheduleElection(next);
  }

  /** Renews under the current epoch; on refusal, steps down. Returns whether still leading. */
  private async renew(now: number): Promise<boolean> {
    const epoch = this.epoch;
    if (epoch === null) return false;
    const serviceRuns: Record<string, number> = {};
    for (const { status } of this.slots)
      if (status.lastRunAt !== null) serviceRuns[status.name] = status.lastRunAt;
    const result = await this.store.renewLeadership({
      candidate: this.candidate,
      epoch,
      leaseMs: this.leaseMs,
      now,
      serviceRuns,
    });
    if (this.epoch !== epoch) return false;
    if (result.leader) {
      this.leader = result.lease;
      return true;
    }
    this.leader = result.current;
    await this.lost('deposed');
    return false;
  }

  private async gained(lease: LeaderLease): Promise<void> {
    this.epoch = lease.epoch;
    this.leader = lease;
    this.emitter.emit('leadership.gained', { candidate: this.candidate, epoch: lease.epoch });
    for (const slot of this.slots) {
      try {
        await slot.service.leadershipChanged?.(true);
      } catch (error) {
        this.emitter.emit('error', { error: error as Error, service: slot.service.name });
      }
      void this.track(this.runService(slot));
    }
  }

  private async lost(reason: 'deposed' | 'closed'): Promise<void> {
    const epoch = this.epoch;
    if (epoch === null) return;
    this.epoch = null;
    for (const slot of this.slots) {
      if (slot.timer) this.clock.clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    for (const slot of this.slots) {
      try {
        await slot.service.leadershipChanged?.(false);
      } catch (error) {
        this.emitter.emit('error', { error: error as Error, service: slot.service.name });
      }
    }
    this.emitter.emit('leadership.lost', { candidate: this.candidate, epoch, reason });
  }

  private scheduleService(slot: Slot, delay: number): void {
    slot.timer = this.clock.setTimeout(() => {
      slot.timer = undefined;
      void this.track(this.runService(slot));
    }, delay);
  }

  private async runService(slot: Slot): Promise<void> {
    if (this.state !== 'running' || this.epoch === null) return;
    const epoch = this.epoch;
    try {
      // The fencing check: a leader deposed while paused stops here, before writing anything.
      if (!(await this.renew(this.clock.now()))) return;
      const report = await slot.service.run({ now: this.clock.now(), clock: this.clock });
      slot.status.lastRunAt = this.clock.now();
      slot.status.lastReport = report;
      slot.status.lastError = null;
      slot.status.runs++;
      this.emitter.emit('maintenance.ran', { service: slot.service.name, epoch, report });
    } catch (error) {
      slot.status.lastError = (error as Error).message;
      this.emitter.emit('error', { error: error as Error, service: slot.service.name });
    }
    if (this.state === 'running' && this.epoch === epoch) {
      const { intervalMs } = slot.service;
      const wanted = slot.service.nextRunInMs?.() ?? intervalMs;
      this.scheduleService(slot, Math.min(intervalMs, Math.max(1, wanted)));
    }
  }

  /** Stops the services, waits for work in flight, and resigns the lease. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.electionTimer) this.clock.clearTimeout(this.electionTimer);
    this.electionTimer = undefined;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const epoch = this.epoch;
    await this.lost('closed');
    if (epoch !== null) {
      try {
        await this.store.resignLeadership({ candidate: this.candidate, epoch });
      } catch (error) {
        // The lease then simply runs out; a standby takes over after it.
        this.emitter.emit('error', { error: error as Error });
      }
    }
  }
}
