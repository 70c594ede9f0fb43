import { describe, expect, it } from 'vitest';
import { DeadLetterCounterBackfillService } from '../../src/maintenance/dead-letter-counter-backfill.js';
import type { CounterBackfillProgress } from '../../src/store/dead-letter-store.js';

describe('DeadLetterCounterBackfillService', () => {
  it('asks the store again after a finished walk, so work that appears later (a path declared by a newer process) is done', async () => {
    const answers: CounterBackfillProgress[] = [
      { counted: 3, examined: 3, uncounted: 0, done: true },
      { counted: 0, examined: 250, uncounted: 0, done: false },
      { counted: 0, examined: 40, uncounted: 0, done: true },
    ];
    const steps: number[] = [];
    const service = new DeadLetterCounterBackfillService({
      store: {
        async backfillDeadLetterCounters({ maxSteps }) {
          steps.push(maxSteps);
          const answer = answers.shift();
          if (!answer) throw new Error('asked more often than expected');
          return answer;
        },
      },
      maxSteps: 7,
    });
    expect(await service.run()).toEqual({ counted: 3, examined: 3, uncounted: 0 });
    expect(await service.run()).toEqual({ counted: 0, examined: 250, uncounted: 0 });
    expect(await service.run()).toEqual({ counted: 0, examined: 40, uncounted: 0 });
    expect(steps).toEqual([7, 7, 7]);
  });
});
