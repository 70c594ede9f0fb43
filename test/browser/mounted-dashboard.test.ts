/**
 * The dashboard mounted under a path of a host app (Express, Fastify, Hono), in Chromium: the bare
 * mount redirects to its slash, the page loads its assets and calls the API below the mount, and
 * the identity the host's own auth decided is shown.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { hosts, MOUNT } from '../adapters/hosts.js';
import { createAdminHarness } from '../admin/helpers.js';
import { chromiumAvailability, launchChromium } from './support.js';

const availability = chromiumAvailability();

describe.skipIf(!availability.ok && !availability.mustFail)('the dashboard under a prefix', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!availability.ok) throw new Error(`${availability.reason} (CI=true: the browser tests must run)`);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it.each(Object.keys(hosts))(
    'in %s',
    async (framework) => {
      // The adapters serve the committed dashboard bundle (the default web root).
      const h = createAdminHarness();
      const queue = new Queue<{ sku: string }>('orders', { store: h.store });
      await queue.add('order', { sku: 'a-1' });
      const host = await hosts[framework]!(h, queue);
      const context = await browser.newContext({ extraHTTPHeaders: { 'x-session': 's-operator' } });
      try {
        const requested: string[] = [];
        const errors: string[] = [];
        const page = await context.newPage();
        page.on('request', (request) => requested.push(new URL(request.url()).pathname));
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(`${host.url}${MOUNT}`);
        expect(new URL(page.url()).pathname).toBe(`${MOUNT}/`);
        await page
          .getByTestId('identity')
          .filter({ hasText: 'ola@example.com' })
          .waitFor({ timeout: 15_000 });
        await page.getByRole('heading', { name: 'Overview' }).waitFor({ timeout: 15_000 });
        await page.getByText('orders').first().waitFor({ timeout: 15_000 });
        expect(requested).toContain(`${MOUNT}/assets/app.js`);
        const api = requested.filter((p) => p.includes('/api/'));
        expect(api.length).toBeGreaterThan(0);
        expect(api.filter((p) => !p.startsWith(`${MOUNT}/api/`))).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await host.close();
        await h.close();
      }
    },
    60_000,
  );
});
