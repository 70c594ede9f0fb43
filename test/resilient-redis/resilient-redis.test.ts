import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { CircuitOpenError, ValidationError } from '../../src/core/errors.js';
import {
  AmbiguousOutcomeError,
  NonIdempotentWriteRejectedError,
  WriteBufferFullError,
} from '../../src/resilient-redis/errors.js';
import { BufferedReply, type ResilientRedisEvents } from '../../src/resilient-redis/events.js';
import type { ResilientRedisOptions } from '../../src/resilient-redis/options.js';
import { ResilientRedis } from '../../src/resilient-redis/resilient-redis.js';
import { FakeRedis, ReplyError } from './fake-redis.js';

/** Lets pending promise callbacks run (no time passes). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(options: ResilientRedisOptions = {}) {
  const clock = new FakeClock();
  const redis = new FakeRedis();
  const rr = new ResilientRedis(redis, {
    clock,
    commandTimeoutMs: 100,
    probeTimeoutMs: 50,
    breaker: { failureThreshold: 2, recoveryTimeoutMs: 1000 },
    replay: { ratePerSecond: 1000, burst: 1000 },
    ...options,
  });
  const events: { type: keyof ResilientRedisEvents; e: unknown }[] = [];
  for (const type of [
    'state',
    'fallback',
    'buffer.added',
    'buffer.rejected',
    'buffer.replayed',
    'buffer.replay_error',
    'buffer.replay_failed',
    'buffer.drained',
    'buffer.discarded',
    'ambiguous',
    'probe',
  ] as const) {
    rr.on(type, (e) => events.push({ type, e }));
  }
  const of = (type: keyof ResilientRedisEvents) => events.filter((x) => x.type === type).map((x) => x.e);
  /** Advances the fake clock in steps, letting promise callbacks run between them. */
  const advance = async (ms: number, step = 10) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(Math.min(step, ms - t));
      await flush();
    }
  };
  /** Opens the circuit: Redis goes down and two writes fail to send (they are buffered). */
  const goDown = async () => {
    redis.mode = 'down';
    await rr.call('SET', 'down1', '1');
    await flush();
    expect(rr.stats().state).toBe('open');
  };
  return { clock, redis, rr, events, of, advance, goDown };
}

describe('ResilientRedis: closed circuit', () => {
  it('passes commands through and returns replies', async () => {
    const { rr, redis } = setup();
    expect(await rr.set('k', 'v')).toBe('OK');
    expect(await rr.get('k')).toBe('v');
    expect(await rr.call('hset', 'h', 'a', '1')).toBe(1);
    expect(await rr.hgetall('h')).toEqual({ a: '1' });
    expect(redis.log.map((e) => e.cmd[0])).toEqual(['SET', 'GET', 'HSET', 'HGETALL']);
    expect(rr.stats().counters.calls).toBe(4);
  });

  it("rethrows Redis's error replies without counting them against the breaker", async () => {
    const { rr } = setup();
    await rr.rpush('list', 'a');
    for (let i = 0; i < 5; i++) await expect(rr.get('list')).rejects.toBeInstanceOf(ReplyError);
    expect(rr.stats().state).toBe('closed');
    expect(rr.stats().breaker.failures).toBe(0);
  });

  it('refuses connection-state commands with a ValidationError naming them', async () => {
    const { rr } = setup();
    for (const cmd of ['SELECT', 'multi', 'SUBSCRIBE', 'BLPOP', 'XREADGROUP', 'WATCH']) {
      await expect(rr.call(cmd, '1')).rejects.toThrow(ValidationError);
    }
    await expect(rr.transaction([['SET', 'a', '1'], ['EXEC']])).rejects.toThrow(/commands\[1\]/);
  });

  it('a read that fails to send returns its fallback and counts against the breaker', async () => {
    const { rr, redis, of } = setup();
    redis.mode = 'down';
    expect(await rr.get('k')).toBeNull();
    expect(rr.stats().breaker.failures).toBe(1);
    expect(of('fallback')).toEqual([expect.objectContaining({ command: 'GET', reason: 'failed' })]);
  });
});

describe('ResilientRedis: open circuit', () => {
  it('reads return their declared neutral fallbacks without touching Redis', async () => {
    const { rr, redis, goDown } = setup();
    await goDown();
    const sent = redis.log.length;
    expect(await rr.get('k')).toBeNull();
    expect(await rr.mget('a', 'b', 'c')).toEqual([null, null, null]);
    expect(await rr.exists('a', 'b')).toBe(0);
    expect(await rr.hgetall('h')).toEqual({});
    expect(await rr.call('HMGET', 'h', 'f1', 'f2')).toEqual([null, null]);
    expect(await rr.call('LRANGE', 'l', 0, -1)).toEqual([]);
    expect(await rr.call('ttl', 'k')).toBe(-2);
    expect(redis.log.length).toBe(sent);
    expect(rr.stats().counters.fallbacks).toBe(7);
  });

  it('fallback values are fresh copies (a caller mutating one does not change the next)', async () => {
    const { rr, goDown } = setup();
    await goDown();
    const h = await rr.hgetall('h');
    h.x = 'y';
    expect(await rr.hgetall('h')).toEqual({});
  });

  it('reads without a fallback and unknown commands are refused with CircuitOpenError', async () => {
    const { rr, goDown } = setup();
    await goDown();
    await expect(rr.call('PING')).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(rr.call('FT.SEARCH', 'idx', '*')).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('idempotent writes are buffered in FIFO order and resolve to a BufferedReply', async () => {
    const { rr, goDown, of } = setup();
    await goDown();
    const r1 = await rr.set('a', '1');
    const r2 = await rr.del('b');
    const r3 = await rr.call('XADD', 's', '5-1', 'f', 'v');
    expect(r1).toBeInstanceOf(BufferedReply);
    expect([r1, r2, r3].map((r) => (r as BufferedReply).id)).toEqual([2, 3, 4]);
    expect(rr.bufferedWrites().map((e) => e.commands[0]?.[0])).toEqual(['SET', 'SET', 'DEL', 'XADD']);
    expect(of('buffer.added')).toHaveLength(4);
    expect(rr.stats().buffer.entries).toBe(4);
  });

  it('non-idempotent writes are refused by default, and nothing is sent', async () => {
    const { rr, redis, goDown, of } = setup();
    await goDown();
    await expect(rr.incr('n')).rejects.toBeInstanceOf(NonIdempotentWriteRejectedError);
    await expect(rr.rpush('l', 'x')).rejects.toBeInstanceOf(NonIdempotentWriteRejectedError);
    await expect(rr.call('XADD', 's', '*', 'f', 'v')).rejects.toMatchObject({
      code: 'NON_IDEMPOTENT_REJECTED',
    });
    expect(redis.sent('INCR')).toEqual([]);
    expect(rr.stats().counters.nonIdempotentRejected).toBe(3);
    expect(of('buffer.rejected')).toHaveLength(3);
  });

  it('with bufferNonIdempotent, non-idempotent writes are buffered and marked at-most-once', async () => {
    const { rr, goDown } = setup({ bufferNonIdempotent: true });
    await goDown();
    const reply = (await rr.incr('n')) as BufferedReply;
    expect(reply.atMostOnce).toBe(true);
    expect(rr.bufferedWrites().at(-1)).toMatchObject({ atMostOnce: true, kind: 'command' });
  });

  it('the buffer is bounded by entries and by bytes, and refuses explicitly when full', async () => {
    const { rr, goDown, of } = setup({ buffer: { maxEntries: 3, maxBytes: 10_000 } });
    await goDown();
    await rr.set('a', '1');
    await rr.set('b', '2');
    const full = await rr.set('c', '3').catch((e: unknown) => e);
    expect(full).toBeInstanceOf(WriteBufferFullError);
    expect(full).toMatchObject({ code: 'WRITE_BUFFER_FULL', limit: 'entries', status: 503 });
    expect(rr.stats().buffer.entries).toBe(3);
    expect(of('buffer.rejected')).toEqual([expect.objectContaining({ reason: 'full' })]);

    const small = setup({ buffer: { maxEntries: 100, maxBytes: 400 } });
    await small.goDown();
    await expect(small.rr.set('big', 'x'.repeat(500))).rejects.toMatchObject({ limit: 'bytes' });
    expect(await small.rr.set('ok', 'y')).toBeInstanceOf(BufferedReply);
    expect(small.rr.stats().counters.bufferFull).toBe(1);
  });
});

describe('ResilientRedis: recovery', () => {
  it('recovers only after a PING probe in half-open, then replays the buffer in order', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    await rr.set('a', '1');
    await rr.set('a', '2');
    await rr.del('b');
    redis.mode = 'up';
    await advance(990);
    expect(redis.sent('PING')).toEqual([]);
    expect(rr.stats().state).toBe('open');
    await advance(20);
    expect(redis.sent('PING')).toHaveLength(1);
    expect(rr.stats().state).toBe('closed');
    await advance(10);
    const writes = redis.log.filter((e) => e.cmd[0] !== 'PING').map((e) => e.cmd.join(' '));
    expect(writes).toEqual(['SET down1 1', 'SET a 1', 'SET a 2', 'DEL b']);
    expect(redis.value('a')).toBe('2');
    expect(rr.stats().buffer.entries).toBe(0);
    expect(of('buffer.drained')).toEqual([{ replayed: 4 }]);
    expect(of('state').map((c) => (c as { to: { name: string } }).to.name)).toEqual([
      'open',
      'half_open',
      'closed',
    ]);
  });

  it('a probe that never answers times out, the circuit reopens, and nothing is replayed', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    redis.mode = 'hang';
    await advance(1000);
    expect(redis.hanging.map((h) => h.cmd[0])).toEqual(['PING']);
    await advance(60);
    expect(rr.stats().state).toBe('open');
    expect(of('probe')).toEqual([expect.objectContaining({ ok: false })]);
    // A stuck connection is reset (RST, not a graceful close that lets its unsent bytes reach
    // Redis later) so that ioredis reconnects.
    expect([redis.resets, redis.destroys, redis.disconnects]).toEqual([1, 0, 0]);
    expect(redis.sent('SET')).toEqual([]);
    redis.mode = 'up';
    await advance(1100);
    expect(rr.stats().state).toBe('closed');
    expect(redis.sent('SET')).toEqual([['SET', 'down1', '1']]);
  });

  it('replay is rate-limited by a token bucket', async () => {
    const { rr, redis, goDown, advance } = setup({ replay: { ratePerSecond: 10, burst: 1 } });
    await goDown();
    for (let i = 0; i < 4; i++) await rr.set(`k${i}`, String(i));
    redis.mode = 'up';
    await advance(1010);
    const count = () => redis.sent('SET').length;
    const afterProbe = count();
    expect(afterProbe).toBeLessThanOrEqual(1);
    await advance(250);
    expect(count()).toBeGreaterThanOrEqual(afterProbe + 2);
    expect(count()).toBeLessThanOrEqual(afterProbe + 3);
    await advance(300);
    expect(count()).toBe(5);
  });

  it('replay stops at the first failure, keeps that write at the front, reopens, and resumes in order', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    for (let i = 1; i <= 4; i++) await rr.set('k', String(i));
    redis.mode = 'up';
    let n = 0;
    const realCall = redis.call.bind(redis);
    redis.call = (command, ...args) => {
      if (command === 'set' && args[1] === '2' && n++ === 0) {
        return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
      }
      return realCall(command, ...args);
    };
    await advance(1020);
    expect(rr.stats().state).toBe('open');
    expect(rr.bufferedWrites().map((e) => e.commands[0]?.[2])).toEqual(['2', '3', '4']);
    // the first failure is goDown's own replay attempt; the second is SET k 2
    expect(of('buffer.replay_failed').at(-1)).toMatchObject({ kept: true, command: 'SET' });
    expect(redis.value('k')).toBe('1');
    await advance(1100);
    expect(rr.stats().state).toBe('closed');
    expect(redis.sent('SET').map((c) => `${c[1]}=${c[2]}`)).toEqual(['down1=1', 'k=1', 'k=2', 'k=3', 'k=4']);
    expect(redis.value('k')).toBe('4');
  });

  it('writes made while the buffer replays queue behind it (nothing overtakes)', async () => {
    const { rr, redis, goDown, advance } = setup({ replay: { ratePerSecond: 10, burst: 1 } });
    await goDown();
    await rr.set('k', 'old');
    redis.mode = 'up';
    await advance(1010);
    expect(rr.stats().state).toBe('closed');
    expect(rr.stats().buffer.entries).toBeGreaterThan(0);
    const reply = await rr.set('k', 'new');
    expect(reply).toBeInstanceOf(BufferedReply);
    await expect(rr.incr('n')).rejects.toMatchObject({ details: { reason: 'buffer_draining' } });
    await advance(500);
    expect(redis.value('k')).toBe('new');
    expect(rr.stats().buffer.entries).toBe(0);
    expect(await rr.set('k', 'live')).toBe('OK');
  });

  it('an error reply to a replayed write removes it (reported), and replay continues', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    await rr.call('GET', 'x'); // a read: fallback, not buffered
    await rr.call('SET', 'a', '1');
    redis.mode = 'up';
    redis.modeFor = {};
    const realCall = redis.call.bind(redis);
    redis.call = (command, ...args) =>
      command === 'set' && args[0] === 'a'
        ? Promise.reject(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))
        : realCall(command, ...args);
    await advance(1020);
    expect(of('buffer.replay_error')).toHaveLength(1);
    expect(rr.stats().counters.replayErrors).toBe(1);
    expect(rr.stats().buffer.entries).toBe(0);
    expect(rr.stats().state).toBe('closed');
  });
});

describe('ResilientRedis: ambiguous outcomes', () => {
  it('a live write whose connection drops before the reply rejects with AmbiguousOutcomeError and is not resent', async () => {
    const { rr, redis, of, advance } = setup({ bufferNonIdempotent: true });
    redis.mode = 'lost';
    const error = await rr.incr('n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousOutcomeError);
    expect(error).toMatchObject({ code: 'AMBIGUOUS_OUTCOME', details: { source: 'live', timedOut: false } });
    redis.mode = 'up';
    await advance(3000);
    expect(redis.sent('INCR')).toHaveLength(1);
    expect(redis.value('n')).toBe('1');
    expect(of('ambiguous')).toEqual([expect.objectContaining({ source: 'live', willResend: false })]);
  });

  it('a live write that times out settles at commandTimeoutMs as ambiguous', async () => {
    const { rr, redis, advance } = setup();
    redis.mode = 'hang';
    let settled: unknown;
    rr.set('k', 'v').then(
      (v) => {
        settled = v;
      },
      (e: unknown) => {
        settled = e;
      },
    );
    await advance(90);
    expect(settled).toBeUndefined();
    await advance(20);
    expect(settled).toBeInstanceOf(AmbiguousOutcomeError);
    expect(settled).toMatchObject({ details: { timedOut: true } });
    expect(rr.stats().counters.timeouts).toBe(1);
  });

  it('a non-idempotent buffered write whose replay is ambiguous is dropped and reported, never resent', async () => {
    const { rr, redis, goDown, advance, of } = setup({ bufferNonIdempotent: true });
    await goDown();
    await rr.incr('n');
    await rr.set('after', 'x');
    redis.mode = 'up';
    redis.modeFor = { INCR: 'lost' };
    await advance(1020);
    expect(redis.sent('INCR')).toHaveLength(1);
    expect(of('ambiguous')).toEqual([expect.objectContaining({ source: 'replay', willResend: false })]);
    expect(rr.bufferedWrites().map((e) => e.commands[0]?.[0])).toEqual(['SET']);
    redis.modeFor = {};
    await advance(1100);
    expect(redis.sent('INCR')).toHaveLength(1);
    expect(redis.value('n')).toBe('1');
    expect(redis.value('after')).toBe('x');
    expect(rr.stats().counters.ambiguous).toBe(1);
  });

  it('an idempotent buffered write whose replay is ambiguous stays at the front (reported) and is resent', async () => {
    const { rr, redis, goDown, advance, of } = setup();
    await goDown();
    await rr.set('k', 'v');
    redis.mode = 'up';
    redis.modeFor = { SET: 'lost_unapplied' };
    await advance(1020);
    expect(of('ambiguous')).toEqual([expect.objectContaining({ source: 'replay', willResend: true })]);
    expect(rr.stats().buffer.entries).toBe(2);
    redis.modeFor = {};
    await advance(1100);
    expect(redis.value('k')).toBe('v');
    expect(rr.stats().buffer.entries).toBe(0);
  });
});

describe('ResilientRedis: transactions and the selected database', () => {
  it('a MULTI/EXEC buffered while open replays as one unit', async () => {
    const { rr, redis, goDown, advance } = setup({ bufferNonIdempotent: true });
    await goDown();
    const reply = await rr.transaction([
      ['SET', 'a', '1'],
      ['INCR', 'n'],
    ]);
    expect(reply).toMatchObject({ buffered: true, command: 'MULTI(SET,INCR)', atMostOnce: true });
    redis.mode = 'up';
    await advance(1020);
    const cmds = redis.log.map((e) => e.cmd[0]);
    const m = cmds.indexOf('MULTI');
    expect(cmds.slice(m, m + 4)).toEqual(['MULTI', 'SET', 'INCR', 'EXEC']);
    expect(redis.value('n')).toBe('1');
  });

  it('live transactions return per-command results; read-only ones answer with fallbacks while open', async () => {
    const { rr, goDown } = setup();
    expect(
      await rr.transaction([
        ['SET', 'a', '1'],
        ['GET', 'a'],
      ]),
    ).toEqual([
      [null, 'OK'],
      [null, '1'],
    ]);
    await goDown();
    expect(
      await rr.transaction([
        ['GET', 'a'],
        ['EXISTS', 'a'],
      ]),
    ).toEqual([
      [null, null],
      [null, 0],
    ]);
    await expect(rr.transaction([['PING']])).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('select() during an outage is replayed in order with the writes around it', async () => {
    const { rr, redis, goDown, advance } = setup();
    await rr.select(3);
    await rr.set('before', '1');
    await goDown();
    await rr.set('x', 'in3');
    expect(await rr.select(5)).toBeInstanceOf(BufferedReply);
    await rr.set('y', 'in5');
    redis.mode = 'up';
    await advance(1020);
    expect(redis.value('before', 3)).toBe('1');
    expect(redis.value('x', 3)).toBe('in3');
    expect(redis.value('y', 5)).toBe('in5');
    expect(redis.value('y', 3)).toBeUndefined();
    await rr.set('z', 'live');
    expect(redis.value('z', 5)).toBe('live');
  });
});

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
    expect(() => new ResilientRedis(redis, { replay: { ratePerSecond: 0 } })).toThrow(/replay.ratePerSecond/);
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

  it('close() returns the writes never replayed, reports them, and later calls are refused', async () => {
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
      replayed: 2,
      probes: 1,
      probeFailures: 0,
      stateChanges: 3,
    });
    expect(buffer).toMatchObject({ entries: 0, bytes: 0, maxEntries: 10_000 });
    expect(breaker.state).toBe('closed');
  });
});
