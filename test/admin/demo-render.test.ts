import { describe, expect, it } from 'vitest';
import { plainLines } from '../../demo/render.js';
import type { QueueSnapshot } from '../../demo/stats.js';
import { emptyJobCounts } from '../../src/core/job.js';

function snapshot(queue: string, deadLetteredInStore: number, deadLetteredThisRun: number): QueueSnapshot {
  return {
    queue,
    counts: {
      ...emptyJobCounts(),
      waiting: 3,
      scheduled: 1,
      active: 2,
      completed: 120,
      dead_lettered: deadLetteredInStore,
    },
    counters: {
      added: 130,
      completed: 120,
      retried: 5,
      rateLimited: 2,
      timedOut: 1,
      deadLettered: deadLetteredThisRun,
      stalled: 0,
      leasesLost: 0,
    },
    rate: 10.46,
  };
}

describe('the demo off a terminal', () => {
  it('prints one short, labelled line per queue, with units, and each number once', () => {
    const lines = plainLines(12_000, [snapshot('emails', 9, 4), snapshot('webhooks', 0, 0)]);
    expect(lines).toEqual([
      '[12 s] emails: 3 waiting, 1 scheduled, 2 active, 120 completed, 9 dead-lettered; this run: 10.5 completed/s, 7 retries',
      '[12 s] webhooks: 3 waiting, 1 scheduled, 2 active, 120 completed, 0 dead-lettered; this run: 10.5 completed/s, 7 retries',
    ]);
    for (const line of lines) {
      expect(line.length).toBeLessThan(140);
      expect(line).not.toMatch(/\w=\d/); // labels in words, not key=value
    }
  });
});
