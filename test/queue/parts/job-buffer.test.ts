/**
 * The worker's buffer of claimed jobs: order, give-back, drain, and that started jobs do not stay
 * reachable from it.
 */
import { describe, expect, it } from 'vitest';
import { JobBuffer } from '../../../src/queue/job-buffer.js';
import { runningJob } from './fakes.js';

describe('JobBuffer', () => {
  it('hands jobs out in claim order; a job given back comes out next', () => {
    const buffer = new JobBuffer();
    const jobs = [runningJob(), runningJob(), runningJob()];
    jobs.forEach((job, i) => {
      job.seq = 10 + i;
      buffer.push(job);
    });
    expect(buffer.nextSeq()).toBe(10);
    expect(buffer.shift()).toBe(jobs[0]);
    expect(buffer.shift()).toBe(jobs[1]);
    buffer.putBack();
    expect(buffer.size).toBe(2);
    expect(buffer.peek()).toBe(jobs[1]);
    expect(buffer.drain()).toEqual([jobs[1], jobs[2]]);
    expect(buffer.size).toBe(0);
    expect(buffer.peek()).toBeUndefined();
    expect(buffer.nextSeq()).toBeUndefined();
  });

  it('compaction drops started jobs and keeps the waiting ones in order', () => {
    const buffer = new JobBuffer();
    const jobs = Array.from({ length: 3000 }, () => runningJob());
    for (const job of jobs) buffer.push(job);
    for (let i = 0; i < 2000; i++) buffer.shift();
    buffer.compact();
    expect(buffer.size).toBe(1000);
    expect(buffer.drain()).toEqual(jobs.slice(2000));
  });
});
