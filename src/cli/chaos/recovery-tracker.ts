/**
 * Follows the workers' reports through a chaos run: which jobs each worker is running, how many
 * times each job started, and for the jobs a killed worker was running, how long they took to be
 * recovered (returned to waiting by another worker's sweep) and to run again.
 */
import type { ChaosWorkerMessage } from './worker-process.js';

/** Percentiles of a set of durations. */
export interface DurationSummary {
  count: number;
  p50Ms: number | null;
  maxMs: number | null;
}

function summarize(values: readonly number[]): DurationSummary {
  if (values.length === 0) return { count: 0, p50Ms: null, maxMs: null };
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!),
    maxMs: Math.round(sorted[sorted.length - 1]!),
  };
}

/** The workers' reports, folded. */
export class RecoveryTracker {
  private readonly running = new Map<string, Set<string>>();
  private readonly starts = new Map<string, number>();
  private readonly completions = new Map<string, number>();
  /** Jobs a killed worker was running: when it was killed, and by whom. */
  private readonly orphans = new Map<string, { killedAt: number; victim: string }>();
  private readonly awaitingRecovery = new Map<string, number>();
  private readonly recoveredMs: { killedAt: number; ms: number }[] = [];
  private readonly rerunMs: number[] = [];
  private executions = 0;
  /** Distinct worker errors (a cut makes every worker report the same few), with their counts. */
  private readonly errors = new Map<string, number>();

  /** Folds one message of worker `workerId`. */
  record(message: ChaosWorkerMessage, workerId: string): void {
    switch (message.t) {
      case 'start': {
        this.executions++;
        this.starts.set(message.id, (this.starts.get(message.id) ?? 0) + 1);
        this.runningOf(workerId).add(message.id);
        const orphan = this.orphans.get(message.id);
        if (orphan && workerId !== orphan.victim && message.at >= orphan.killedAt) {
          this.orphans.delete(message.id);
          this.rerunMs.push(message.at - orphan.killedAt);
        }
        return;
      }
      case 'completed':
        this.completions.set(message.id, (this.completions.get(message.id) ?? 0) + 1);
        this.runningOf(workerId).delete(message.id);
        return;
      case 'dead':
        this.runningOf(workerId).delete(message.id);
        return;
      case 'recovered': {
        const killedAt = this.awaitingRecovery.get(message.id);
        if (killedAt !== undefined && message.at >= killedAt) {
          this.awaitingRecovery.delete(message.id);
          this.recoveredMs.push({ killedAt, ms: message.at - killedAt });
        }
        return;
      }
      case 'error':
        this.errors.set(message.message, (this.errors.get(message.message) ?? 0) + 1);
        return;
      case 'ready':
        return;
    }
  }

  /** Worker `workerId` was SIGKILLed at `at`: the jobs it was running are orphans from then on. */
  killed(workerId: string, at: number): number {
    const running = this.running.get(workerId) ?? new Set<string>();
    this.running.delete(workerId);
    for (const id of running) {
      this.orphans.set(id, { killedAt: at, victim: workerId });
      this.awaitingRecovery.set(id, at);
    }
    return running.size;
  }

  /** Acknowledged completions per job, as reported. */
  completionReports(): ReadonlyMap<string, number> {
    return this.completions;
  }

  /**
   * What the reports show. `cuts` are the windows when the workers' store connections were cut: a
   * recovery that overlaps one waited for the survivors to reach the store again, so only the
   * others are held to the lease + heartbeat bound (`recoveredOutsideCuts`).
   */
  summary(cuts: readonly { from: number; to: number }[] = []): {
    executions: number;
    reExecutions: number;
    recovered: DurationSummary;
    recoveredOutsideCuts: DurationSummary;
    rerun: DurationSummary;
    workerErrors: { message: string; count: number }[];
  } {
    return {
      executions: this.executions,
      reExecutions: this.executions - this.starts.size,
      recovered: summarize(this.recoveredMs.map((r) => r.ms)),
      recoveredOutsideCuts: summarize(
        this.recoveredMs
          .filter((r) => !cuts.some((c) => c.from <= r.killedAt + r.ms && c.to >= r.killedAt))
          .map((r) => r.ms),
      ),
      rerun: summarize(this.rerunMs),
      workerErrors: [...this.errors]
        .map(([message, count]) => ({ message, count }))
        .sort((a, b) => b.count - a.count)
        .slice(0, 10),
    };
  }

  private runningOf(workerId: string): Set<string> {
    let set = this.running.get(workerId);
    if (!set) {
      set = new Set();
      this.running.set(workerId, set);
    }
    return set;
  }
}
