/**
 * A redactor tells from a payload's JSON text when redacting it would change nothing (no secret
 * key, shallower than its depth bound), so a dead letter keeps the job's payload text as it is
 * instead of parsing, walking and writing it again. It never says so of a payload that redaction
 * changes.
 */
import { expect, it } from 'vitest';
import { createRedactor, type Redactor, redactSecrets } from '../../src/dead-letter-record/redact.js';

const mayRedactJson = (redactor: Redactor, json: string) => redactor.mayChangeJson?.(json) !== false;

const PAYLOADS = [
  { seq: 1, user: 'user-1', action: 'send-welcome-email', at: 1700000000000, pad: 'xxxxxxxxxx' },
  { orderId: 42, items: [{ sku: 'a', qty: 1 }], note: 'the password was reset' },
  { user: { apiKey: 'k-1', name: 'ada' } },
  { headers: { Authorization: 'Bearer x' } },
  { pin: 1234 },
  { shipping: { pinned: true } },
  { list: [[{ token: 'deep' }]] },
  { 'quote"d': 1, 'x\\y': 'z' },
  { '\u0074oken': 'escaped key' },
  { a: { b: { c: { d: 1 } } } },
  { text: '{"password": "inside a string"}' },
  {},
  [],
  'just a string',
  null,
];

it('keeps the text only when redaction would change nothing', () => {
  const shallow = createRedactor({ maxDepth: 3 });
  const custom = createRedactor({ keys: ['orderId'], patterns: [/^x-/i] });
  for (const redactor of [redactSecrets, shallow, custom]) {
    for (const payload of PAYLOADS) {
      const json = JSON.stringify(payload);
      if (!mayRedactJson(redactor, json)) expect(redactor(JSON.parse(json)), json).toEqual(JSON.parse(json));
    }
  }
  const keeps = (redactor: Redactor, payload: unknown) => !mayRedactJson(redactor, JSON.stringify(payload));
  expect(keeps(redactSecrets, PAYLOADS[0])).toBe(true);
  expect(keeps(redactSecrets, PAYLOADS[1])).toBe(true);
  expect(keeps(redactSecrets, { text: '{"password": "inside a string"}' })).toBe(false); // escaped quotes: checked in full
  for (const secret of [PAYLOADS[2], PAYLOADS[3], PAYLOADS[4], PAYLOADS[6]])
    expect(keeps(redactSecrets, secret)).toBe(false);
  expect(keeps(shallow, PAYLOADS[9])).toBe(false);
  expect(keeps(custom, PAYLOADS[1])).toBe(false);
  expect(keeps(custom, { 'X-Trace': 1 })).toBe(false);
  // A transform redrive did not build is always applied.
  expect(mayRedactJson((v) => v, '{"a":1}')).toBe(true);
});

it('reads keys as a string literal followed by optional whitespace and a colon, in any JSON layout', () => {
  // The reference reading: every `"…"` literal, a key when `\s*:` follows it.
  const literal = /"([^"]*)"(\s*:)?/g;
  const reference = (json: string) =>
    [...json.matchAll(literal)].some((m) => m[2] !== undefined && /token|secret/i.test(m[1]!));
  const redactor = createRedactor({ replaceDefaults: true, keys: ['token', 'secret'] });
  const texts = [
    '{"token":1}',
    '{"token" : 1}',
    '{"token"\n\t:1}',
    '{"token"\u00a0:1}',
    '{"token"\u2028:1}',
    '{"a":"token"}',
    '{"a":"token","b":2}',
    '["token", "secret"]',
    '{"a":{"b":[{"secret":null}]}}',
    '{"a":"x:y","token2":3}',
    '{"a":"","token":""}',
    '{"tok":"en","b":"secret" }',
    '"token"',
    '{"unterminated',
  ];
  for (const json of texts) expect(redactor.mayChangeJson?.(json), json).toBe(reference(json));
});
