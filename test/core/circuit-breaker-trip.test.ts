import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitStateChange } from '../../src/core/circuit-breaker.js';
import { FakeClock } from '../../src/core/clock.js';

function setup() {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ clock, recoveryTimeoutMs: 1000 });
  const events: CircuitStateChange[] = [];
  breaker.onStateChange((e) => events.push(e));
  return { clock, breaker, events, t0: clock.now() };
}

describe('CircuitBreaker.trip', () => {
  it('opens a closed circuit with the reason, then recovers through half-open', async () => {
    const { clock, breaker, events, t0 } = setup();
    breaker.trip('replay_failed');
    expect(breaker.state).toEqual({ name: 'open', openedAt: t0, reopenAt: t0 + 1000 });
    expect(events.at(-1)?.reason).toBe('replay_failed');
    clock.advance(1000);
    expect(breaker.state.name).toBe('half_open');
    await breaker.execute(async () => 'ok');
    expect(breaker.state.name).toBe('closed');
  });

  it('reopens a half-open circuit and drops its probes', () => {
    const { clock, breaker, events } = setup();
    breaker.trip();
    clock.advance(1000);
    const probe = breaker.tryAcquire();
    expect(probe).not.toBe(false);
    breaker.trip();
    expect(breaker.state.name).toBe('open');
    expect(events.at(-1)?.reason).toBe('tripped');
    if (probe) probe.success(); // an outcome from an older episode does not close it
    expect(breaker.state.name).toBe('open');
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves open, forced-open and disabled circuits alone', () => {
    const { breaker, events, clock } = setup();
    breaker.trip();
    clock.advance(500);
    breaker.trip();
    expect(events).toHaveLength(1);
    breaker.forceOpen('ops');
    breaker.trip();
    expect(breaker.state).toEqual({ name: 'forced_open', reason: 'ops' });
    breaker.disable();
    breaker.trip();
    expect(breaker.state.name).toBe('disabled');
  });
});
