/**
 * The shared parts of dead-letter filtering: JSON-path parsing and checking, the status set and
 * its SQL, and the keyset cursor codec every store's pages use.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import {
  countableFromCounts,
  likeEscape,
  statusCondition,
} from '../../../src/store/shared/dead-letter-filter.js';
import { checkJsonFilter, parseJsonPath } from '../../../src/store/shared/json-filter.js';
import { decodeCursor, encodeCursor, isSequence } from '../../../src/store/shared/keyset-cursor.js';

describe('JSON paths', () => {
  it('split dotted keys and array indexes', () => {
    expect(parseJsonPath('customer.id')).toEqual(['customer', 'id']);
    expect(parseJsonPath('items[0].sku')).toEqual(['items', 0, 'sku']);
    expect(parseJsonPath('matrix[1][2]')).toEqual(['matrix', 1, 2]);
  });

  it.each(['', '.a', 'a.', 'a[0].', 'a..b', "a'b", 'a b', 'x'.repeat(201)])('refuse %j', (path) => {
    expect(() => parseJsonPath(path)).toThrow(ValidationError);
  });

  it('check field, operator and value, defaulting to eq', () => {
    expect(checkJsonFilter({ field: 'requestData', path: 'a[1]', value: 2 })).toEqual({
      field: 'requestData',
      column: 'request_data',
      segments: ['a', 1],
      op: 'eq',
      value: 2,
    });
    const bad = [
      { field: 'toString', path: 'a' },
      { field: 'payload', path: 'a', op: 'like' },
      { field: 'payload', path: 'a', value: { nested: true } },
    ];
    for (const filter of bad) expect(() => checkJsonFilter(filter as never)).toThrow(ValidationError);
    expect(checkJsonFilter({ field: 'payload', path: 'a', op: 'exists' }).value).toBeNull();
  });
});

describe('status filters', () => {
  it('write the statuses in lifecycle order, refusing unknown ones', () => {
    expect(statusCondition(['expired', 'resolved'])).toBe("status IN ('resolved', 'expired')");
    expect(statusCondition(['archived'])).toBe("status = 'archived'");
    expect(() => statusCondition(['gone'])).toThrow(ValidationError);
  });

  it('are answered by the counts only when nothing but statuses and domains is named', () => {
    expect(countableFromCounts({ statuses: ['pending'], domains: ['billing'], json: [] })).toBe(true);
    expect(countableFromCounts({ statuses: ['pending'], queue: 'q' })).toBe(false);
    expect(countableFromCounts({ belowReplayCap: true })).toBe(false);
  });

  it('escape LIKE wildcards', () => {
    expect(likeEscape('50%_off\\')).toBe('50\\%\\_off\\\\');
  });
});

describe('keyset cursors', () => {
  it('round-trip and refuse a cursor with another tiebreak or a forged one', () => {
    const text = encodeCursor({ at: 1_700_000_000_000, tiebreak: 42, order: 'oldest' });
    expect(decodeCursor(text, isSequence)).toEqual({ at: 1_700_000_000_000, tiebreak: 42, order: 'oldest' });
    const member = encodeCursor({ at: 5, tiebreak: '0000000000000001:x', order: 'newest' });
    expect(() => decodeCursor(member, isSequence)).toThrow(ValidationError);
    expect(() => decodeCursor('not-a-cursor', isSequence)).toThrow(
      'is not a cursor returned by a previous page',
    );
    const fractional = Buffer.from(JSON.stringify([1.5, 1, 'n'])).toString('base64url');
    expect(() => decodeCursor(fractional, isSequence)).toThrow(ValidationError);
  });
});
