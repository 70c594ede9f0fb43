/**
 * Leader election on Redis: the lease is one key under the store's prefix tag (store-wide, not
 * per queue), taken with `SET NX` (and `PX` in 'server' clock mode) and renewed or given up by
 * scripts that check holder and epoch (lua/*-leadership.lua). See leader-store.ts for the contract.
 */
import type { RedisClient } from '../../redis/client-options.js';
import {
  assertCandidate,
  assertEpoch,
  assertLeaseMs,
  assertNow,
  parseServiceRuns,
  serviceRunsJson,
} from '../leader-params.js';
import type {
  AcquireLeadershipParams,
  LeaderLease,
  LeadershipResult,
  RenewLeadershipParams,
  ResignLeadershipParams,
} from '../leader-store.js';
import type { RedisKeys } from './keys.js';
import { runScript, type ScriptName } from './scripts.js';

/** The lease as the scripts store it. */
interface StoredLease {
  h: string;
  e: number;
  a: number;
  x: number;
  r: string;
}

function leaseFromJson(json: string): LeaderLease {
  const l = JSON.parse(json) as StoredLease;
  return { holder: l.h, epoch: l.e, acquiredAt: l.a, expiresAt: l.x, serviceRuns: parseServiceRuns(l.r) };
}

function answer(reply: unknown): LeadershipResult {
  const [held, json] = reply as [number, string | undefined];
  if (held === 1) return { leader: true, lease: leaseFromJson(json as string) };
  return { leader: false, current: json ? leaseFromJson(json) : null };
}

/** What the lease operations need from the store. */
export interface RedisLeadershipDeps {
  client: RedisClient;
  keys: RedisKeys;
  clockMode: 'server' | 'caller';
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

/** The lease operations of one store. */
export class RedisLeadership {
  constructor(private readonly d: RedisLeadershipDeps) {}

  private run(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    const keys = [this.d.keys.leader, this.d.keys.leaderEpoch];
    return this.d.call(
      name,
      () => runScript(this.d.client, name, keys, [this.d.keys.base, ...args]) as Promise<unknown>,
    );
  }

  async acquire(params: AcquireLeadershipParams): Promise<LeadershipResult> {
    const candidate = assertCandidate(params.candidate);
    const now = assertNow(params.now);
    const leaseMs = assertLeaseMs(params.leaseMs);
    return answer(await this.run('acquire-leadership', [this.d.clockMode, now, candidate, leaseMs]));
  }

  async renew(params: RenewLeadershipParams): Promise<LeadershipResult> {
    const candidate = assertCandidate(params.candidate);
    const epoch = assertEpoch(params.epoch);
    const now = assertNow(params.now);
    const leaseMs = assertLeaseMs(params.leaseMs);
    const runs = serviceRunsJson(params.serviceRuns) ?? '';
    const args = [this.d.clockMode, now, candidate, epoch, leaseMs, runs];
    return answer(await this.run('renew-leadership', args));
  }

  async resign(params: ResignLeadershipParams): Promise<boolean> {
    const candidate = assertCandidate(params.candidate);
    const epoch = assertEpoch(params.epoch);
    return (await this.run('resign-leadership', [candidate, epoch])) === 1;
  }

  async get(params: { now: number }): Promise<LeaderLease | null> {
    const now = assertNow(params.now);
    const json = await this.d.call('get-leader', () => this.d.client.get(this.d.keys.leader));
    if (!json) return null;
    const lease = leaseFromJson(json);
    // In 'server' mode the key expires with the lease (PX): present means unexpired.
    return this.d.clockMode === 'server' || lease.expiresAt > now ? lease : null;
  }
}
