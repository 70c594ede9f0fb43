/**
 * serializePayload stringifies a plain payload without its checking replacer (the fast path) and
 * everything else with it: both must give the text JSON.stringify gives, whatever the payload's
 * shape and depth, and Dates must still become ISO strings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { serializePayload } from '../../src/queue/job-options.js';

const limits = { maxPayloadBytes: 1 << 20 };

describe('serializePayload', () => {
  it('gives exactly the JSON text of any plain JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(serializePayload(value, limits)).toBe(JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same text for payloads deeper than the fast path walks, and for Dates inside', () => {
    let deep: unknown = { leaf: [1, 'two', null] };
    for (let i = 0; i < 50; i++) deep = i % 2 ? { next: deep } : [deep];
    expect(serializePayload(deep, limits)).toBe(JSON.stringify(deep));
    const at = new Date(Date.UTC(2026, 0, 31, 9));
    const bare = Object.assign(Object.create(null) as object, { at, n: 1 });
    expect(serializePayload({ bare, list: [at] }, limits)).toBe(
      JSON.stringify({ bare: { at: at.toISOString(), n: 1 }, list: [at.toISOString()] }),
    );
  });

  it('still refuses, naming the place, what JSON would not keep deep inside a plain payload', () => {
    const refusal = (payload: unknown) => {
      try {
        serializePayload(payload, limits);
      } catch (error) {
        return (error as ValidationError).field;
      }
      throw new Error('accepted');
    };
    expect(refusal({ a: [{ b: 1 }, { c: Number.NaN }] })).toBe('payload.a.1.c');
    expect(refusal({ a: { toJSON: () => 1 } })).toBe('payload.a');
    // A toJSON the fast path's walk would not meet: on an array, not enumerable, inherited.
    expect(refusal({ a: Object.assign([1, 2], { toJSON: () => 'x' }) })).toBe('payload.a');
    expect(refusal(Object.defineProperty({ n: 1 }, 'toJSON', { value: () => 'x' }))).toBe('payload');
    class Tagged extends Array<number> {
      toJSON() {
        return 'tagged';
      }
    }
    expect(refusal({ list: Tagged.from([1]) })).toBe('payload.list');
    expect(refusal(Object.assign(new Array(3), { 0: 1, 2: 3 }))).toBe('payload.1');
    expect(() => serializePayload({ a: 1n }, limits)).toThrow(ValidationError);
  });
});
