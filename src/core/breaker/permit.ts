/** The permit handed out by the circuit breaker for one call. */

import type { TimerHandle } from '../clock.js';
import type { CircuitPermit } from './types.js';

/** How a permit was settled. */
export type PermitOutcome = { kind: 'success' } | { kind: 'failure'; error?: unknown } | { kind: 'release' };

/** Internal permit implementation; the breaker sees its bookkeeping fields, callers see {@link CircuitPermit}. */
export class Permit implements CircuitPermit {
  private done = false;
  /** Probe-timeout timer, for half-open permits. */
  timer: TimerHandle | undefined;
  /** Called once if the breaker gives up on this probe (probe timeout). */
  onTimeout: (() => void) | undefined;

  /**
   * @param id unique per breaker
   * @param issuedIn the state the permit was issued in
   * @param acquiredAt monotonic clock time of issue
   * @param episode the breaker's state episode at issue; outcomes from older episodes don't move the state
   * @param settle receives the outcome, once
   */
  constructor(
    readonly id: number,
    readonly issuedIn: 'closed' | 'half_open' | 'disabled',
    readonly acquiredAt: number,
    readonly episode: number,
    private readonly settle: (permit: Permit, outcome: PermitOutcome) => void,
  ) {}

  /** `true` once settled or expired. */
  get settled(): boolean {
    return this.done;
  }

  success(): void {
    this.finish({ kind: 'success' });
  }

  failure(error?: unknown): void {
    this.finish(error === undefined ? { kind: 'failure' } : { kind: 'failure', error });
  }

  release(): void {
    this.finish({ kind: 'release' });
  }

  /** Marks the permit settled without reporting; returns `false` if it already was. */
  claim(): boolean {
    if (this.done) return false;
    this.done = true;
    return true;
  }

  private finish(outcome: PermitOutcome): void {
    if (this.claim()) this.settle(this, outcome);
  }
}
