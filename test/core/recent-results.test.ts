/**
 * The bounded memo behind message parameterization and fingerprints: a recent key's result comes
 * back without computing it again, a key longer than the bound is computed every time, and the
 * memo never holds more than its bound of keys.
 */
import { describe, expect, it } from 'vitest';
import { RecentResults } from '../../src/core/recent-results.js';

describe('RecentResults', () => {
  it('computes a recent key once and a key past the length bound every time', () => {
    const memo = new RecentResults<string>(10, 5);
    const computed: string[] = [];
    const upper = (key: string) => {
      computed.push(key);
      return key.toUpperCase();
    };
    expect(memo.get('abc', upper)).toBe('ABC');
    expect(memo.get('abc', upper)).toBe('ABC');
    expect(memo.get('abcdef', upper)).toBe('ABCDEF');
    expect(memo.get('abcdef', upper)).toBe('ABCDEF');
    expect(computed).toEqual(['abc', 'abcdef', 'abcdef']);
  });

  it('empties itself when full, so it holds at most its bound of keys', () => {
    const memo = new RecentResults<number>(2, 100);
    let calls = 0;
    const length = (key: string) => {
      calls += 1;
      return key.length;
    };
    memo.get('a', length);
    memo.get('bb', length);
    memo.get('ccc', length); // full: emptied, then 'ccc' kept
    expect(calls).toBe(3);
    memo.get('ccc', length);
    expect(calls).toBe(3);
    memo.get('a', length); // dropped with the rest
    expect(calls).toBe(4);
  });
});
