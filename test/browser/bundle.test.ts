/**
 * The dashboard's files without a browser: the committed app.js is what the sources build to,
 * nothing refers to another origin, and the URL round trip of the list filters agrees with how the
 * API reads field values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM build script without type declarations
import { buildDashboard } from '../../scripts/build-dashboard.mjs';
import {
  coerceValue,
  encodeValue,
  type ListState,
  parseListState,
  serializeListState,
  toFilter,
} from '../../src/admin/web/src/filters.js';
import { jsonFilterValue } from '../../src/dlq/json-filter.js';

const web = join(process.cwd(), 'src', 'admin', 'web');

describe('dashboard bundle', () => {
  it('committed app.js is up to date with src/admin/web/src (run npm run build:dashboard)', async () => {
    const built: string = await buildDashboard();
    expect(readFileSync(join(web, 'app.js'), 'utf8') === built).toBe(true);
  }, 30_000);

  it('loads nothing from another origin: no CDN, no external fonts', () => {
    const html = readFileSync(join(web, 'index.html'), 'utf8');
    const css = readFileSync(join(web, 'app.css'), 'utf8');
    const js = readFileSync(join(web, 'app.js'), 'utf8');
    expect(html).not.toMatch(/(src|href)=["'](https?:)?\/\//);
    expect(html).not.toMatch(/<script(?![^>]*src=)[^>]*>/); // no inline scripts (CSP script-src 'self')
    expect(css).not.toMatch(/url\(|@import|@font-face/);
    // The only absolute URL in the bundle is the SVG namespace.
    expect(js.match(/https?:\/\/[^\s'"`]+/g) ?? []).toEqual(['http://www.w3.org/2000/svg']);
  });
});

describe('dashboard list filters', () => {
  const base = parseListState(new URLSearchParams());

  it('round-trips through the URL', () => {
    const state: ListState = {
      ...base,
      status: ['pending', 'requires_review'],
      domain: 'payment',
      q: 'card declined',
      from: 1_700_000_000_000,
      payloadPath: 'customer.id',
      payloadValue: '42',
      page: 3,
      pageSize: 50,
      order: 'oldest',
      cursor: 'abc',
      tab: 'top',
    };
    expect(parseListState(new URLSearchParams(serializeListState(state)))).toEqual(state);
    expect(parseListState(new URLSearchParams('status=bogus,pending&pageSize=7&page=-2'))).toMatchObject({
      status: ['pending'],
      pageSize: 25,
      page: 1,
    });
  });

  it('sends field values the way the API reads them back', () => {
    for (const raw of ['42', 'true', 'null', '"00123"', '00123', 'abc', '"42"', '', ' 7 ', '{"a":1}']) {
      const value = coerceValue(raw);
      expect(value).toEqual(jsonFilterValue(raw));
      expect(jsonFilterValue(encodeValue(value))).toEqual(value);
    }
    expect(toFilter({ ...base, payloadPath: 'customer.id', payloadValue: '42' }).where).toEqual([
      { path: 'payload.customer.id', value: 42 },
    ]);
  });
});
