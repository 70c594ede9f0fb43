/**
 * The jobs a worker claimed and has not started yet, in claim order (which is also start order:
 * start sequence numbers rise along it). An array with a moving head, so taking a job is O(1).
 */
import type { RunningJob } from './active-job.js';

/** Claimed jobs waiting for a free slot. */
export class JobBuffer<Payload = unknown> {
  private jobs: RunningJob<Payload>[] = [];
  private head = 0;

  /** Jobs waiting. */
  get size(): number {
    return this.jobs.length - this.head;
  }

  /** Adds a claimed job at the end. */
  push(job: RunningJob<Payload>): void {
    this.jobs.push(job);
  }

  /** The next job to start, without taking it. */
  peek(): RunningJob<Payload> | undefined {
    return this.head < this.jobs.length ? this.jobs[this.head] : undefined;
  }

  /** Takes the next job; the caller checked that one waits. */
  shift(): RunningJob<Payload> {
    return this.jobs[this.head++]!;
  }

  /** Gives back the job just taken (it could not start after all). */
  putBack(): void {
    this.head--;
  }

  /** The start sequence number of the next job, if one waits. */
  nextSeq(): number | undefined {
    return this.head < this.jobs.length ? this.jobs[this.head]!.seq : undefined;
  }

  /** Drops started jobs from the array so they can be collected. */
  compact(): void {
    if (this.head === this.jobs.length && this.head > 0) {
      this.jobs = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.jobs.length) {
      // A worker that claims again before its buffer empties would otherwise keep every job it
      // ever started reachable from the array.
      this.jobs = this.jobs.slice(this.head);
      this.head = 0;
    }
  }

  /** Empties the buffer; returns the jobs that were waiting. */
  drain(): RunningJob<Payload>[] {
    const waiting = this.jobs.slice(this.head);
    this.jobs = [];
    this.head = 0;
    return waiting;
  }
}
