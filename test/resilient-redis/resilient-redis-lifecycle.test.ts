/**
 * ResilientRedis: lifecycle (first connection, close, settle), client and option validation, and
 * stats.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { BufferedReply } from '../../src/resilient-redis/events.js';
import { ResilientRedis } from '../../src/resilient-redis/resilient-redis.js';
import { FakeRedis } from './fake-redis.js';
import { flush, setup } from './resilient-redis-setup.js';

describe('ResilientRedis: lifecycle, validation and stats', () => {
  it('while the first connection is being made, commands wait for it (in order, up to commandTimeoutMs)', async () => {
    const clock = new FakeClock();
    const redis = new FakeRedis();
    redis.status = 'connecting';
    redis.mode = 'down';
    const rr = new ResilientRedis(redis, { clock, commandTimeoutMs: 100 });
    const first = rr.set('k', '1');
    const second = rr.set('k', '2');
    await flush();
    clock.advance(50);
    redis.becomeReady();
    expect(await first).toBe('OK');
    expect(await second).toBe('OK');
    expect(redis.value('k')).toBe('2');
    expect(clock.pendingTimers).toBe(0);

    const never = new FakeRedis();
    never.status = 'connecting';
    never.mode = 'down';
    const late = new ResilientRedis(never, { clock, commandTimeoutMs: 100 });
    const read = late.get('k');
    await flush();
    clock.advance(100);
    expect(await read).toBeNull(); // not sent: the fallback
    expect(late.stats().breaker.failures).toBe(1);
  });

  it('refuses a client that would queue or resend commands behind its back', () => {
    const offline = new FakeRedis();
    offline.options.enableOfflineQueue = undefined;
    expect(() => new ResilientRedis(offline)).toThrow(/client.options.enableOfflineQueue/);
    const resend = new FakeRedis();
    resend.options.autoResendUnfulfilledCommands = true;
    expect(() => new ResilientRedis(resend)).toThrow(/client.options.autoResendUnfulfilledCommands/);
  });

  it('validates options and command overrides, naming the field', () => {
    const redis = new FakeRedis();
    expect(() => new ResilientRedis(redis, { commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
    expect(() => new ResilientRedis(redis, { buffer: { maxEntries: -1 } })).toThrow(/buffer.maxEntries/);
    expect(() => new ResilientRedis(redis, { flush: { ratePerSecond: 0 } })).toThrow(/flush.ratePerSecond/);
    expect(() => new ResilientRedis(redis, { commands: { MYCMD: { kind: 'nope' } as never } })).toThrow(
      /commands.MYCMD.kind/,
    );
  });

  it('command overrides declare fallbacks and idempotency for custom commands', async () => {
    const { rr, goDown } = setup({
      commands: {
        'JSON.GET': { kind: 'read', fallback: () => 'null' },
        'JSON.SET': { kind: 'write', idempotent: true },
      },
    });
    await goDown();
    expect(await rr.call('json.get', 'doc')).toBe('null');
    expect(await rr.call('JSON.SET', 'doc', '$', '{}')).toBeInstanceOf(BufferedReply);
  });

  it('close() returns the writes never flushed, reports them, and later calls are refused', async () => {
    const { rr, goDown, of, clock } = setup();
    await goDown();
    await rr.set('a', '1');
    const left = await rr.close();
    expect(left.map((e) => e.commands[0]?.join(' '))).toEqual(['SET down1 1', 'SET a 1']);
    expect(of('buffer.discarded')).toHaveLength(1);
    expect(rr.stats().counters.discarded).toBe(2);
    await expect(rr.get('a')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('close() can wait for the buffer to drain first', async () => {
    const { rr, redis, goDown, clock } = setup();
    await goDown();
    redis.mode = 'up';
    let left: unknown;
    void rr.close({ drainTimeoutMs: 5000 }).then((l) => {
      left = l;
    });
    for (let i = 0; i < 300 && left === undefined; i++) {
      clock.advance(10);
      await flush();
    }
    expect(left).toEqual([]);
    expect(redis.value('down1')).toBe('1');
  });

  it('settle(timeoutMs) gives up after timeoutMs of elapsed time, even across a wall-clock step back', async () => {
    const { rr, goDown, clock } = setup();
    await goDown();
    let settled: boolean | undefined;
    void rr.settle(500).then((v) => {
      settled = v;
    });
    // Stepped while settle() waits (between two of its sleeps: FakeClock timers run on wall time).
    clock.advance(10);
    clock.stepWallClock(-3_600_000);
    await flush();
    for (let i = 0; i < 60 && settled === undefined; i++) {
      clock.advance(10);
      await flush();
    }
    expect(settled).toBe(false);
  });

  it('counts state changes, probes and buffer activity', async () => {
    const { rr, redis, goDown, advance } = setup();
    await goDown();
    await rr.set('a', '1');
    redis.mode = 'up';
    await advance(1020);
    const { counters, buffer, breaker } = rr.stats();
    expect(counters).toMatchObject({
      buffered: 2,
      flushed: 2,
      probes: 1,
      probeFailures: 0,
      stateChanges: 3,
    });
    expect(buffer).toMatchObject({ entries: 0, bytes: 0, maxEntries: 10_000 });
    expect(breaker.state).toBe('closed');
  });

  it('keeps the write buffer names from before "flush" working, deprecated, beside the new ones', async () => {
    const redis = new FakeRedis();
    expect(() => new ResilientRedis(redis, { replay: { ratePerSecond: 0 } })).toThrow(/flush.ratePerSecond/);
    const {
      rr,
      redis: fake,
      goDown,
      advance,
    } = setup({ flush: undefined, replay: { ratePerSecond: 1, burst: 1 } });
    const old: string[] = [];
    rr.on('buffer.replayed', (e) => old.push(`replayed ${e.command}`));
    rr.on('buffer.replay_failed', (e) => old.push(`replay_failed ${e.command}`));
    rr.on('buffer.drained', (e) => old.push(`drained ${e.replayed}`));
    await goDown();
    await rr.set('a', '1');
    fake.mode = 'up';
    await advance(1020);
    // The `replay` rate applies: one write per second after a burst of one.
    expect(rr.stats().counters).toMatchObject({ flushed: 1, replayed: 1 });
    expect(rr.stats()).toMatchObject({ flushing: true, replaying: true });
    await advance(1000);
    // The first failure is goDown's own flush attempt, while Redis was still down.
    expect(old).toEqual(['replay_failed SET', 'replayed SET', 'replayed SET', 'drained 2']);
    expect(rr.stats().counters).toMatchObject({
      flushed: 2,
      replayed: 2,
      flushFailures: 1,
      replayFailures: 1,
    });
  });
});
