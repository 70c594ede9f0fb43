import { describe, expect, it } from 'vitest';
import { timeArg } from '../../src/cli/common.js';
import { parseTimeText } from '../../src/core/time-text.js';

describe('parseTimeText', () => {
  it('reads epoch milliseconds and ISO 8601 dates and date-times', () => {
    expect(parseTimeText('0')).toBe(0);
    expect(parseTimeText('1772841600000')).toBe(1772841600000);
    expect(parseTimeText('2026-03-07')).toBe(Date.UTC(2026, 2, 7));
    expect(parseTimeText('2026-03-07T10:00:00Z')).toBe(Date.UTC(2026, 2, 7, 10));
    expect(parseTimeText('2026-03-07T10:00:00.123+02:00')).toBe(Date.UTC(2026, 2, 7, 8, 0, 0, 123));
    expect(parseTimeText('2026-03-07T10:00+0200')).toBe(Date.UTC(2026, 2, 7, 8));
    expect(parseTimeText('2026-03-07 10:00Z')).toBe(Date.UTC(2026, 2, 7, 10));
    expect(parseTimeText('2026-03-07T10:00')).toBe(new Date(2026, 2, 7, 10).getTime());
    expect(parseTimeText('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it.each([
    'March 7',
    'Sat Mar 07 2026',
    '7/3/2026',
    '2026-02-30',
    '2025-02-29',
    '2026-13-01',
    '2026-03-07T24:00Z',
    '2026-03-07T10:60Z',
    '2026-03-07T10:00:61Z',
    '2026-03-07T10:00+25:00',
    ' 2026-03-07',
    '2026-03-07junk',
    '1e12',
    '-1',
    '',
  ])('refuses %j', (text) => {
    expect(parseTimeText(text)).toBeNull();
  });
});

describe('timeArg (the CLI)', () => {
  it('also takes ages, and refuses short numbers as a likely year or typo', () => {
    expect(timeArg('2026-03-07')).toBe(Date.UTC(2026, 2, 7));
    expect(timeArg('1772841600000')).toBe(1772841600000);
    const before = Date.now();
    const age = timeArg('2h');
    expect(age).toBeGreaterThanOrEqual(before - 7_200_000);
    expect(age).toBeLessThanOrEqual(Date.now() - 7_200_000);
    expect(() => timeArg('2026')).toThrow(/expected an ISO 8601 date/);
    expect(() => timeArg('March 7')).toThrow(/expected an ISO 8601 date/);
  });
});
