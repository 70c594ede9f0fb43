import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { ValidationError } from '../../src/core/errors.js';
import { commandBytes } from '../../src/resilient-redis/command-classes.js';
import { WriteBufferFullError } from '../../src/resilient-redis/errors.js';
import { describeCommands, WriteBuffer } from '../../src/resilient-redis/write-buffer.js';

describe('WriteBuffer', () => {
  it('keeps FIFO order with increasing ids, and removes only the head', () => {
    const buf = new WriteBuffer({ clock: new FakeClock() });
    const a = buf.push('command', [['SET', 'a', '1']], false);
    const b = buf.push(
      'transaction',
      [
        ['SET', 'b', '1'],
        ['INCR', 'n'],
      ],
      true,
    );
    const c = buf.push('select', [['SELECT', 2]], false);
    expect([a.id, b.id, c.id]).toEqual([1, 2, 3]);
    expect(buf.peek()).toBe(a);
    expect(buf.shift(b.id)).toBeUndefined(); // not the head: nothing removed
    expect(buf.shift(a.id)).toBe(a);
    expect(buf.entries().map((e) => e.id)).toEqual([2, 3]);
    expect(buf.size).toBe(2);
  });

  it('copies the commands it stores (a caller mutating its array changes nothing)', () => {
    const buf = new WriteBuffer();
    const cmd: [string, ...string[]] = ['SET', 'a', '1'];
    buf.push('command', [cmd], false);
    cmd[2] = 'changed';
    expect(buf.peek()?.commands[0]).toEqual(['SET', 'a', '1']);
  });

  it('refuses by entry count without changing anything', () => {
    const buf = new WriteBuffer({ maxEntries: 2, clock: new FakeClock() });
    buf.push('command', [['SET', 'a', '1']], false);
    buf.push('command', [['SET', 'b', '1']], false);
    const before = buf.stats();
    const error = (() => {
      try {
        buf.push('command', [['SET', 'c', '1']], false);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(WriteBufferFullError);
    expect(error).toMatchObject({ limit: 'entries', details: { entries: 2, maxEntries: 2 } });
    expect(buf.stats()).toEqual(before);
  });

  it('refuses by bytes, counting every argument, and frees bytes on shift', () => {
    const one = commandBytes(['SET', 'k', 'x'.repeat(100)]);
    const buf = new WriteBuffer({ maxEntries: 100, maxBytes: one * 2 });
    buf.push('command', [['SET', 'k', 'x'.repeat(100)]], false);
    buf.push('command', [['SET', 'k', 'x'.repeat(100)]], false);
    expect(() => buf.push('command', [['SET', 'k', 'x']], false)).toThrow(WriteBufferFullError);
    expect(buf.bytes).toBe(one * 2);
    buf.shift();
    expect(buf.bytes).toBe(one);
    expect(buf.push('command', [['SET', 'k', 'x']], false).id).toBe(3);
  });

  it('counts Buffer arguments by length and multi-byte strings by UTF-8 bytes', () => {
    expect(commandBytes(['SET', 'k', Buffer.alloc(1000)]) - commandBytes(['SET', 'k', ''])).toBe(1000);
    expect(commandBytes(['SET', 'k', 'é']) - commandBytes(['SET', 'k', ''])).toBe(2);
  });

  it('reports the age of the oldest entry on the injected clock', () => {
    const clock = new FakeClock();
    const buf = new WriteBuffer({ clock });
    expect(buf.stats().oldestAgeMs).toBe(0);
    buf.push('command', [['DEL', 'a']], false);
    clock.advance(250);
    buf.push('command', [['DEL', 'b']], false);
    clock.advance(50);
    expect(buf.stats()).toMatchObject({ entries: 2, oldestAgeMs: 300 });
  });

  it('takeAll empties it in order; compaction keeps order across many shifts', () => {
    const buf = new WriteBuffer({ maxEntries: 5000 });
    for (let i = 0; i < 3000; i++) buf.push('command', [['SET', `k${i}`, '1']], false);
    for (let i = 0; i < 2500; i++) expect(buf.shift()?.id).toBe(i + 1);
    expect(buf.peek()?.id).toBe(2501);
    const all = buf.takeAll();
    expect(all.map((e) => e.id)).toEqual(Array.from({ length: 500 }, (_, i) => 2501 + i));
    expect(buf.size).toBe(0);
    expect(buf.bytes).toBe(0);
  });

  it('validates its bounds and refuses empty entries', () => {
    expect(() => new WriteBuffer({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new WriteBuffer({ maxBytes: 1.5 })).toThrow(/maxBytes/);
    expect(() => new WriteBuffer().push('command', [], false)).toThrow(ValidationError);
  });

  it('describes entries for events and errors', () => {
    expect(describeCommands('command', [['set', 'a', '1']])).toBe('SET');
    expect(
      describeCommands('transaction', [
        ['SET', 'a'],
        ['incr', 'b'],
      ]),
    ).toBe('MULTI(SET,INCR)');
    expect(describeCommands('select', [['SELECT', 4]])).toBe('SELECT 4');
  });
});
