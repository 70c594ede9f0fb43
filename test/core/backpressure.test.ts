import { describe, expect, it } from 'vitest';
import { BackpressureMonitor, computeBackpressure } from '../../src/core/backpressure.js';
import { BackpressureError, ValidationError } from '../../src/core/errors.js';

describe('BackpressureMonitor', () => {
  const monitor = new BackpressureMonitor({ maxDepth: 100 });

  it('is normal below 80 %, elevated from 80 %, critical at max', () => {
    expect(monitor.check(0)).toEqual({
      level: 'normal',
      depth: 0,
      maxDepth: 100,
      utilization: 0,
      shouldReject: false,
      threshold: 80,
    });
    expect(monitor.check(79).level).toBe('normal');
    expect(monitor.check(80)).toMatchObject({ level: 'elevated', utilization: 0.8, shouldReject: false });
    expect(monitor.check(99).level).toBe('elevated');
    expect(monitor.check(100)).toMatchObject({ level: 'critical', shouldReject: true, utilization: 1 });
    expect(monitor.check(150)).toMatchObject({ level: 'critical', utilization: 1.5 });
  });

  it('honours a configured start ratio without float surprises', () => {
    const m = new BackpressureMonitor({ maxDepth: 10, startRatio: 0.7 });
    expect(m.check(6).level).toBe('normal');
    expect(m.check(7)).toMatchObject({ level: 'elevated', threshold: 7 });
  });

  it('assertAccepting passes below max and throws BackpressureError (503) when full', () => {
    expect(monitor.assertAccepting(99).level).toBe('elevated');
    try {
      monitor.assertAccepting(100);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BackpressureError);
      expect((err as BackpressureError).status).toBe(503);
      expect((err as BackpressureError).details).toMatchObject({
        depth: 100,
        maxDepth: 100,
        level: 'critical',
      });
    }
  });

  it('assertAccepting considers a batch size', () => {
    expect(() => monitor.assertAccepting(95, 5)).not.toThrow();
    expect(() => monitor.assertAccepting(95, 6)).toThrow(BackpressureError);
  });

  it('validates options and depth', () => {
    expect(() => new BackpressureMonitor({ maxDepth: 0 })).toThrowError(
      expect.objectContaining({ field: 'maxDepth' }),
    );
    expect(() => new BackpressureMonitor({ maxDepth: 10, startRatio: 1.2 })).toThrowError(
      expect.objectContaining({ field: 'startRatio' }),
    );
    expect(() => monitor.check(-1)).toThrow(ValidationError);
    expect(() => monitor.check(Number.NaN)).toThrow(ValidationError);
  });

  it('treats an infinite maxDepth as never full', () => {
    expect(computeBackpressure(1e9, Number.POSITIVE_INFINITY, 0.8)).toMatchObject({
      level: 'normal',
      utilization: 0,
      shouldReject: false,
    });
  });
});
