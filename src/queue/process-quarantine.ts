/**
 * Quarantine is a rule about a process, not about one Worker: a suspect (a job whose process died
 * while it may have been running) runs with no other job of its process beside it — of any Worker,
 * queue or store in that process — so that the process's next death can only be its doing. The
 * Workers of a process therefore share one gate:
 * - a Worker claims alone (a claim that may return a suspect) only when no job is held anywhere in
 *   the process and no other claim is in flight, and holds the gate from that claim until its
 *   suspect settles (or the claim returns no suspect);
 * - while a Worker's recovery sweep has found suspects it wants quarantine: the other Workers stop
 *   claiming, the process drains, and it claims alone.
 * The gate is the process's one shared object by design (the rule is about the process); it holds
 * nothing but which Workers of the process are running and what each holds.
 */

/** What the gate needs from a Worker of the process. */
export interface QuarantineMember {
  /** Jobs this Worker holds (running and prefetched), plus one while a claim is in flight. */
  held(): number;
  /** Asks the Worker to claim again (the gate may have opened). */
  wake(): void;
}

/** The quarantine gate shared by the Workers of one process. */
export class ProcessQuarantine {
  private readonly members = new Set<QuarantineMember>();
  private readonly wanting = new Set<QuarantineMember>();
  private owner: QuarantineMember | undefined;

  /** A Worker starts running in this process. */
  join(member: QuarantineMember): void {
    this.members.add(member);
  }

  /** A Worker stops: it no longer holds the gate nor waits for it. */
  leave(member: QuarantineMember): void {
    this.members.delete(member);
    const changed = this.wanting.delete(member) || this.owner === member;
    if (this.owner === member) this.owner = undefined;
    if (changed) this.wakeOthers(member);
  }

  /**
   * `member`'s recovery sweep found suspects: the process drains so that it can claim alone. A
   * Worker that is not running (a sweep-only one) claims nothing and holds nobody up; the running
   * Workers take the suspects when the process is idle.
   */
  want(member: QuarantineMember): void {
    if (this.members.has(member)) this.wanting.add(member);
  }

  /** `member`'s claim alone found no suspect: it no longer holds up the process. */
  satisfied(member: QuarantineMember): void {
    if (this.wanting.delete(member) && this.wanting.size === 0) this.wakeOthers(member);
  }

  /** Whether `member` must not claim now: another holds the gate, or the process drains for one. */
  blocks(member: QuarantineMember): boolean {
    if (this.owner !== undefined) return this.owner !== member;
    return this.wanting.size > 0 && !this.wanting.has(member);
  }

  /** Whether `member` wants quarantine (it claims nothing beside its held jobs until it has it). */
  wants(member: QuarantineMember): boolean {
    return this.wanting.has(member);
  }

  /**
   * Takes the gate for a claim alone when `member` holds nothing and no other Worker of the process
   * holds a job or has a claim in flight. Returns whether it did.
   */
  tryTake(member: QuarantineMember, heldByMember: number): boolean {
    if (this.owner !== undefined || heldByMember > 0) return false;
    for (const other of this.members) if (other !== member && other.held() > 0) return false;
    this.owner = member;
    return true;
  }

  /** `member` gives the gate back (its claim returned no suspect, or its suspect settled). */
  release(member: QuarantineMember): void {
    if (this.owner !== member) return;
    this.owner = undefined;
    this.wakeOthers(member);
  }

  /** `member` holds nothing now: a Worker waiting for the process to drain may claim alone. */
  idle(member: QuarantineMember): void {
    if (this.wanting.size > 0 && this.owner === undefined && member.held() === 0) this.wakeOthers(member);
  }

  private wakeOthers(member: QuarantineMember): void {
    for (const other of this.members) if (other !== member) other.wake();
  }
}

let shared: ProcessQuarantine | undefined;

/** The gate of this process (created on first use). */
export function processQuarantine(): ProcessQuarantine {
  shared ??= new ProcessQuarantine();
  return shared;
}
