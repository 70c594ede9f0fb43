import { describe, expect, it } from 'vitest';
import { withFinalAttemptStack } from '../../src/core/attempt-stack.js';
import type { AttemptRecord } from '../../src/core/job.js';

const attempt = (n: number, extra: Partial<AttemptRecord> = {}): AttemptRecord => ({
  attempt: n,
  outcome: 'failed',
  startedAt: n * 10,
  endedAt: n * 10 + 5,
  workerId: 'w',
  ...extra,
});

describe('withFinalAttemptStack', () => {
  it("puts the dead letter's errorStack on a final failed attempt stored without one", () => {
    const attempts = [attempt(1, { stack: 'first' }), attempt(2)];
    expect(withFinalAttemptStack(attempts, 'Error: boom\n    at x')).toEqual([
      attempt(1, { stack: 'first' }),
      attempt(2, { stack: 'Error: boom\n    at x' }),
    ]);
  });

  it('leaves a final attempt that has a stack, an orphaned one, and a record without errorStack', () => {
    expect(withFinalAttemptStack([attempt(1, { stack: 'own' })], 'other')).toEqual([
      attempt(1, { stack: 'own' }),
    ]);
    const orphaned = attempt(1, { outcome: 'orphaned', orphanedWhile: 'quarantine' });
    expect(withFinalAttemptStack([orphaned], 'PoisonPillError')).toEqual([orphaned]);
    expect(withFinalAttemptStack([attempt(1)], null)).toEqual([attempt(1)]);
    expect(withFinalAttemptStack([], 'x')).toEqual([]);
  });
});
