/**
 * The dashboard's overview lists the running jobs with the progress their handlers reported
 * (`job.updateProgress`): a number as a bar with its percentage, anything else as JSON. In a real
 * Chromium, with the dashboard mounted in an Express host.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { hosts, MOUNT } from '../adapters/hosts.js';
import { createAdminHarness } from '../admin/helpers.js';
import { chromiumAvailability, launchChromium } from './support.js';

const availability = chromiumAvailability();

describe.skipIf(!availability.ok && !availability.mustFail)('active jobs and their progress', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!availability.ok) throw new Error(`${availability.reason} (CI=true: the browser tests must run)`);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('shows each running job with its progress', async () => {
    const h = createAdminHarness();
    const queue = new Queue<{ sku: string }>('uploads', { store: h.store });
    await queue.addBulk([
      { name: 'resize', payload: { sku: 'a.png' } },
      { name: 'resize', payload: { sku: 'b.png' } },
    ]);
    const now = Date.now();
    const [a, b] = await h.store.claimJobs({
      queue: 'uploads',
      workerId: 'worker-7',
      limit: 2,
      leaseMs: 60_000,
      now,
      claimId: 'c1',
    });
    await h.store.updateJobProgress({ id: a!.id, token: a!.token, progressJson: '40', now });
    const step = JSON.stringify({ step: 'upload', done: 3, of: 10 });
    await h.store.updateJobProgress({ id: b!.id, token: b!.token, progressJson: step, now });
    const host = await hosts.express!(h, queue);
    const context = await browser.newContext({ extraHTTPHeaders: { 'x-session': 's-operator' } });
    try {
      const errors: string[] = [];
      const page = await context.newPage();
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${host.url}${MOUNT}`);
      const region = page.getByTestId('active-jobs');
      await region.getByText('40%').waitFor({ timeout: 15_000 });
      await region.getByText(step).waitFor({ timeout: 15_000 });
      expect(await region.locator(`tr[data-job-id="${a!.id}"]`).textContent()).toContain('worker-7');
      expect(await region.locator('progress').getAttribute('value')).toBe('40');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await host.close();
      await h.close();
    }
  }, 60_000);
});
