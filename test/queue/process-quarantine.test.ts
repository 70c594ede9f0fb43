import { describe, expect, it } from 'vitest';
import { ProcessQuarantine, type QuarantineMember } from '../../src/queue/process-quarantine.js';

function member() {
  const m = { holding: 0, wakes: 0, held: () => m.holding, wake: () => void m.wakes++ };
  return m satisfies QuarantineMember;
}

describe('ProcessQuarantine', () => {
  it('gives the gate for a claim alone only when nothing is held in the process', () => {
    const gate = new ProcessQuarantine();
    const a = member();
    const b = member();
    gate.join(a);
    gate.join(b);
    b.holding = 2;
    expect(gate.tryTake(a, 0)).toBe(false);
    b.holding = 0;
    expect(gate.tryTake(a, 1)).toBe(false);
    expect(gate.tryTake(a, 0)).toBe(true);
    // While a holds it, nobody else claims or takes it.
    expect(gate.blocks(b)).toBe(true);
    expect(gate.blocks(a)).toBe(false);
    expect(gate.tryTake(b, 0)).toBe(false);
    gate.release(a);
    expect(gate.blocks(b)).toBe(false);
    expect(b.wakes).toBe(1);
  });

  it("a running worker's want holds up the others until it is satisfied; a worker that is not running wants nothing", () => {
    const gate = new ProcessQuarantine();
    const a = member();
    const b = member();
    const sweepOnly = member();
    gate.join(a);
    gate.join(b);
    gate.want(sweepOnly);
    expect(gate.blocks(b)).toBe(false);
    gate.want(a);
    expect(gate.wants(a)).toBe(true);
    expect(gate.blocks(a)).toBe(false);
    expect(gate.blocks(b)).toBe(true);
    // b finishing its last job wakes a, which waits for the process to drain.
    gate.idle(b);
    expect(a.wakes).toBe(1);
    gate.satisfied(a);
    expect(gate.blocks(b)).toBe(false);
    expect(b.wakes).toBe(1);
  });

  it('a worker that leaves gives back the gate and its want', () => {
    const gate = new ProcessQuarantine();
    const a = member();
    const b = member();
    gate.join(a);
    gate.join(b);
    expect(gate.tryTake(a, 0)).toBe(true);
    gate.leave(a);
    expect(gate.blocks(b)).toBe(false);
    gate.join(a);
    gate.want(a);
    gate.leave(a);
    expect(gate.blocks(b)).toBe(false);
  });
});
