import { describe, expect, it } from 'vitest';
import { RedisTimeoutError } from '../../src/redis/timeout.js';
import { CommandClassifier, DEFAULT_COMMAND_CLASSES } from '../../src/resilient-redis/command-classes.js';
import { classifyFailure } from '../../src/resilient-redis/errors.js';

const c = new CommandClassifier();
const fallbackOf = (name: string, ...args: (string | number)[]) => {
  const cls = c.classify(name, args);
  if (cls.kind !== 'read' || !cls.fallback) throw new Error(`${name} has no fallback`);
  return cls.fallback(args);
};

describe('command classes', () => {
  it('declares neutral fallbacks for reads', () => {
    expect(fallbackOf('GET', 'k')).toBeNull();
    expect(fallbackOf('mget', 'a', 'b', 'c')).toEqual([null, null, null]);
    expect(fallbackOf('EXISTS', 'a', 'b')).toBe(0);
    expect(fallbackOf('HGETALL', 'h')).toEqual({});
    expect(fallbackOf('HMGET', 'h', 'f1', 'f2')).toEqual([null, null]);
    expect(fallbackOf('SMISMEMBER', 's', 'a', 'b')).toEqual([0, 0]);
    expect(fallbackOf('ZMSCORE', 'z', 'a')).toEqual([null]);
    expect(fallbackOf('SCAN', 0)).toEqual(['0', []]);
    expect(fallbackOf('TTL', 'k')).toBe(-2);
    expect(fallbackOf('TYPE', 'k')).toBe('none');
    expect(fallbackOf('SRANDMEMBER', 's')).toBeNull();
    expect(fallbackOf('SRANDMEMBER', 's', 3)).toEqual([]);
    expect(c.classify('PING', [])).toEqual({ kind: 'read', fallback: undefined });
  });

  it('tells idempotent from non-idempotent writes, by arguments where it matters', () => {
    const idem = (name: string, ...args: (string | number)[]) => {
      const cls = c.classify(name, args);
      if (cls.kind !== 'write') throw new Error(`${name} is not a write`);
      return cls.idempotent;
    };
    expect(idem('SET', 'k', 'v')).toBe(true);
    expect(idem('SET', 'k', 'v', 'NX', 'EX', 10)).toBe(true);
    expect(idem('SET', 'k', 'v', 'get')).toBe(false);
    expect(idem('INCR', 'k')).toBe(false);
    expect(idem('INCRBY', 'k', 2)).toBe(false);
    expect(idem('LPUSH', 'l', 'a')).toBe(false);
    expect(idem('RPUSH', 'l', 'a')).toBe(false);
    expect(idem('XADD', 's', '*', 'f', 'v')).toBe(false);
    expect(idem('XADD', 's', '1-1', 'f', 'v')).toBe(true);
    expect(idem('XADD', 's', 'MAXLEN', '~', 100, '*', 'f', 'v')).toBe(false);
    expect(idem('XADD', 's', 'NOMKSTREAM', 'MAXLEN', 100, '5-0', 'f', 'v')).toBe(true);
    expect(idem('XADD', 's', 'MINID', '=', '0-1', 'LIMIT', 10, '*', 'f', 'v')).toBe(false);
    expect(idem('ZADD', 'z', 1, 'a')).toBe(true);
    expect(idem('ZADD', 'z', 'INCR', 1, 'a')).toBe(false);
    expect(idem('LREM', 'l', 0, 'a')).toBe(true);
    expect(idem('LREM', 'l', 1, 'a')).toBe(false);
    expect(idem('DEL', 'a')).toBe(true);
    expect(idem('EVAL', 'return 1', 0)).toBe(false);
  });

  it('marks connection-state commands and leaves unknown ones unknown', () => {
    for (const name of ['SELECT', 'MULTI', 'EXEC', 'WATCH', 'SUBSCRIBE', 'BLPOP', 'XREADGROUP', 'QUIT']) {
      expect(c.classify(name, []).kind).toBe('connection');
    }
    expect(c.classify('FT.SEARCH', [])).toEqual({ kind: 'unknown' });
  });

  it('every built-in class is well formed', () => {
    for (const [name, cls] of Object.entries(DEFAULT_COMMAND_CLASSES)) {
      expect(name).toBe(name.toUpperCase());
      expect(['read', 'write', 'connection']).toContain(cls.kind);
    }
  });

  it('overrides replace built-in classes and are validated', () => {
    const custom = new CommandClassifier({
      get: { kind: 'read', fallback: () => 'cached' },
      INCR: { kind: 'write', idempotent: true },
    });
    const get = custom.classify('GET', ['k']);
    expect(get.kind === 'read' && get.fallback?.([])).toBe('cached');
    expect(custom.classify('incr', ['k'])).toEqual({ kind: 'write', idempotent: true });
    expect(() => new CommandClassifier({ 'bad name': { kind: 'read' } })).toThrow(/commands.bad name/);
    expect(() => new CommandClassifier({ X: { kind: 'write', idempotent: 'yes' as never } })).toThrow(
      /commands.X.idempotent/,
    );
    expect(() => new CommandClassifier({ X: { kind: 'read', fallback: 1 as never } })).toThrow(
      /commands.X.fallback/,
    );
  });
});

describe('classifyFailure', () => {
  const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
  it('reply errors: Redis answered', () => {
    expect(classifyFailure(reply('WRONGTYPE Operation against a key'))).toBe('reply');
    expect(classifyFailure(reply('ERR syntax error'))).toBe('reply');
  });
  it('unavailability replies: the command did not run', () => {
    for (const m of [
      'LOADING Redis is loading',
      'READONLY You',
      'OOM command not allowed',
      'BUSY Redis is busy',
      'MASTERDOWN x',
      'MISCONF x',
    ]) {
      expect(classifyFailure(reply(m))).toBe('unavailable');
    }
  });
  it('refused by the client: not sent', () => {
    expect(classifyFailure(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(
      'not_sent',
    );
    expect(classifyFailure(new Error('Connection is closed.'), 'end')).toBe('not_sent');
  });
  it('sent and unanswered: ambiguous', () => {
    expect(classifyFailure(new Error('Connection is closed.'), 'ready')).toBe('ambiguous');
    expect(classifyFailure(new Error('Command aborted due to connection close'))).toBe('ambiguous');
    expect(
      classifyFailure(
        Object.assign(new Error('Reached the max retries per request limit'), {
          name: 'MaxRetriesPerRequestError',
        }),
      ),
    ).toBe('ambiguous');
    expect(classifyFailure(new RedisTimeoutError(100))).toBe('ambiguous');
  });
});
