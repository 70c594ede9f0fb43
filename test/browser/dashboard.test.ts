/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against the real
 * admin server on a seeded SQLite store: sign in, overview, filter dead letters, open one, replay
 * it and see it resolved, a stale-generation 409, bulk resolve with a preview, the audit trail,
 * and which actions each role sees. A screenshot of each page goes to test-artifacts/.
 *
 * Without /usr/bin/chromium the suite is skipped with a warning, except under CI=true where it
 * fails (.ci/run installs Chromium when test/browser exists).
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/admin/server.js';
import { Queue, Worker } from '../../src/index.js';
import {
  artifactsDir,
  chromiumAvailability,
  type DashboardServer,
  launchChromium,
  type RoleName,
  startDashboardServer,
  TOKENS,
  until,
} from './support.js';

const availability = chromiumAvailability();
if (!availability.ok && !availability.mustFail) {
  console.warn(`\n[dashboard browser tests] SKIPPED: ${availability.reason}\n`);
}

/**
 * Form controls and buttons without an accessible name (label, aria-label, aria-labelledby or
 * text), as a script evaluated in the page.
 */
const UNLABELLED_CONTROLS = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.type !== 'hidden' && !el.closest('[hidden]'))
  .filter((el) => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') ||
    (el.labels && el.labels.length > 0) || (el.tagName === 'BUTTON' && el.textContent.trim())))
  .map((el) => el.outerHTML.slice(0, 120))`;

/**
 * Playwright's waits in this suite; nothing sleeps. A wait ends when its condition holds: the bound
 * is only a safety net, as long as a busy machine may need (the tests' own timeout is longer), so
 * that a slow machine makes the suite slower, never red.
 */
const WAIT = 60_000;
const TEST_TIMEOUT = 4 * WAIT;

describe.skipIf(!availability.ok && !availability.mustFail)(
  'dashboard in Chromium',
  { timeout: TEST_TIMEOUT },
  () => {
    let server: DashboardServer;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    /** Requests that tried to leave the server (there must be none). */
    const external: string[] = [];
    /** Uncaught page errors and unexpected console errors. */
    const pageErrors: string[] = [];
    /** Every API request the dashboard made. */
    const apiRequests: URL[] = [];

    beforeAll(async () => {
      if (!availability.ok) throw new Error(`${availability.reason} (CI=true: the browser tests must run)`);
      [server, browser] = await Promise.all([startDashboardServer(), launchChromium()]);
    }, 60_000);

    afterAll(async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser?.close();
      await server?.close();
    });

    async function openAs(role: RoleName | null, route = '/'): Promise<Page> {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        reducedMotion: 'reduce',
      });
      contexts.push(context);
      context.setDefaultTimeout(WAIT);
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(`${server.url}api/`)) apiRequests.push(new URL(url));
        if (url.startsWith(server.url) || url.startsWith('data:')) return route.continue();
        external.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        // Answers the app handles (401 at sign-in, 409 on a stale action) are logged by Chromium.
        if (message.type() === 'error' && !/status of (401|409)/.test(message.text())) {
          pageErrors.push(`console: ${message.text()}`);
        }
      });
      const hash = role ? `#token=${TOKENS[role].token}` : '';
      await page.goto(`${server.url}${hash}`);
      if (role) {
        await page.getByTestId('identity').filter({ hasText: TOKENS[role].actor }).waitFor();
        if (route !== '/') await goTo(page, route);
      }
      return page;
    }

    /** Follows an in-app route (the hash router), as a link would. */
    async function goTo(page: Page, route: string): Promise<void> {
      await page.evaluate(`location.hash = ${JSON.stringify(`#${route}`)}`);
    }

    /** Takes a screenshot of the page, and checks on the way that every control has a name. */
    async function shot(page: Page, name: string): Promise<void> {
      await page.screenshot({ path: join(artifactsDir(), `dashboard-${name}.png`), fullPage: true });
      expect(await page.evaluate(UNLABELLED_CONTROLS), `unlabelled controls on ${name}`).toEqual([]);
    }

    /** Waits until the locator's text matches. */
    async function textOf(locator: Locator, pattern: RegExp): Promise<string> {
      await locator.filter({ hasText: pattern }).first().waitFor();
      return ((await locator.first().textContent()) ?? '').trim();
    }

    const message = (page: Page) => page.locator('#messages .message');
    const resultCount = (page: Page) => page.getByTestId('result-count');
    const rows = (page: Page) => page.getByTestId('dead-letter-table').locator('tbody tr');

    it('signs in with the login box and refuses a wrong token', async () => {
      const page = await openAs(null);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Access token').fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await textOf(page.locator('#login-error'), /not accepted/);
      await shot(page, 'login');
      await page.getByLabel('Access token').fill(TOKENS.viewer.token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      expect(await page.evaluate("sessionStorage.getItem('redrive.token')")).toBe(TOKENS.viewer.token);
      // The token does not stay in the address bar.
      await page.reload();
      await page.getByTestId('identity').filter({ hasText: 'vera' }).waitFor();
      expect(page.url()).not.toContain('token=');
    });

    it('shows queues with live counts, the throughput chart, breakers and the replay queue', async () => {
      const page = await openAs('admin');
      const emails = page.getByTestId('queues').locator('tr[data-queue="emails"]');
      await emails.waitFor();
      expect(await emails.locator('td[data-state="completed"]').textContent()).toBe('12');
      expect(await emails.locator('td[data-dead-letters]').textContent()).toBe('10');
      await page.getByTestId('throughput-chart').waitFor();
      expect(await page.locator('svg.chart title').textContent()).toMatch(/Throughput of queue emails/);
      await textOf(page.getByTestId('breakers'), /partner-webhooks\s*open/);
      await textOf(page.getByTestId('replay-queue'), /85 \/ 100/);
      await textOf(
        page.getByTestId('dead-letter-summary'),
        new RegExp(`${server.seeded.total - 2} open of ${server.seeded.total}`),
      );

      // Live: a job added now shows up by the next poll (every 2 s), without a reload.
      const reports = page.getByTestId('queues').locator('tr[data-queue="reports"] td[data-state="waiting"]');
      expect(await reports.textContent()).toBe('5');
      await new Queue('reports', { store: server.store }).add('monthly', { month: '2024-06' });
      await reports.filter({ hasText: /^6$/ }).waitFor();

      // The chart draws what the server sampled: 5 jobs completed after a baseline sample.
      await server.admin.throughput.sample();
      const emailsQueue = new Queue('emails', { store: server.store });
      await emailsQueue.addBulk(
        Array.from({ length: 5 }, (_, i) => ({
          name: 'welcome',
          payload: { to: `late${i}@example.com`, mode: 'ok' },
        })),
      );
      const worker = new Worker('emails', async () => ({ sent: true }), {
        store: server.store,
        pollIntervalMs: 5,
      });
      try {
        await until(
          'the 5 new jobs to complete',
          async () => (await emailsQueue.getCounts()).completed === 17,
          WAIT,
        );
      } finally {
        await worker.close();
      }
      await server.admin.throughput.sample();
      await page
        .locator('svg.chart title')
        .filter({ hasText: /: 5 completed, 0 failed/ })
        .waitFor({ state: 'attached' });
      await page.locator('svg.chart polyline.completed').waitFor({ state: 'attached' });

      // Operators pause and resume queues.
      await page.getByRole('button', { name: 'Pause queue reports' }).click();
      await textOf(message(page), /Queue reports paused/);
      await page.getByRole('button', { name: 'Resume queue reports' }).waitFor();
      await shot(page, 'overview');
      await page.getByRole('button', { name: 'Resume queue reports' }).click();
      await page.getByRole('button', { name: 'Pause queue reports' }).waitFor();
    });

    it('filters dead letters with facets and search, opens one, retries it and sees it resolved', async () => {
      const page = await openAs('admin', '/dead-letters');
      await textOf(resultCount(page), new RegExp(`^${server.seeded.total} dead letters match`));
      await shot(page, 'dead-letters');
      await page.getByRole('tab', { name: 'Top failures' }).click();
      await page.getByTestId('top-failures').locator('li').first().waitFor();
      await page.getByRole('tab', { name: 'Entries' }).click();

      // A facet chip narrows to one domain ...
      await page
        .getByTestId('facets')
        .getByRole('button', { name: /^email \d+$/ })
        .click();
      const emailTotal = server.seeded.emailPermanent + server.seeded.emailExhausted;
      await textOf(resultCount(page), new RegExp(`^${emailTotal} dead letters match`));
      expect(page.url()).toContain('domain=email');
      // ... and the search box to an error message.
      await page.getByLabel('Search error messages').fill('mailbox unavailable');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await textOf(resultCount(page), new RegExp(`^${server.seeded.emailPermanent} dead letters match`));
      expect(await rows(page).count()).toBe(server.seeded.emailPermanent);
      for (const text of await rows(page).allInnerTexts()) expect(text).toMatch(/mailbox unavailable/);
      // A payload field condition, behind "More filters".
      await page.getByRole('button', { name: 'More filters' }).click();
      await page.getByLabel('Payload field').fill('customer.id');
      await page.getByLabel('equals', { exact: true }).fill('103');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await textOf(resultCount(page), /^1 dead letter matches/);
      await shot(page, 'dead-letters-filtered');

      // Open it: attempts, stack and data.
      const row = rows(page).first();
      const id = (await row.getAttribute('data-id'))!;
      await row.getByRole('link').first().click();
      await page.getByRole('heading', { name: /Dead letter/ }).waitFor();
      expect(page.url()).toContain(`#/dead-letters/${id}`);
      await page.getByRole('heading', { name: 'Attempts (1)' }).waitFor();
      await textOf(page.locator('.attempt'), /PermanentError: mailbox unavailable/);
      await textOf(page.locator('.attempt'), /mail-worker-1/);
      await textOf(page.locator('pre.json').first(), /"id": 103/);
      const stack = page.locator('.attempt details').first();
      expect(await stack.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
      await stack.locator('summary').click();
      await stack.locator('pre.stack').waitFor();
      await shot(page, 'dead-letter-detail');

      // Replay: the default replay re-enqueues the job; the entry is resolved.
      await page.getByRole('button', { name: 'Replay', exact: true }).click();
      await textOf(message(page), /replay succeeded.*now resolved/);
      await page.locator('.detail-head .status-resolved').waitFor();
      await textOf(page.getByTestId('loaded-generation'), /generation [2-9]/);
      expect((await server.dlq.get(id))?.status).toBe('resolved');
      await textOf(page.locator('.section-audit'), /ada\s*replay/);
      await shot(page, 'dead-letter-resolved');
      // Nothing is left to do on a resolved entry.
      expect(await page.getByRole('button', { name: 'Replay', exact: true }).count()).toBe(0);
      await textOf(page.getByTestId('actions'), /No actions/);

      // Back to the list, with the filters kept.
      await page.getByRole('link', { name: '← Back to dead letters' }).click();
      await textOf(resultCount(page), /^1 dead letter matches/);
      await rows(page).first().locator('.status-resolved').waitFor();
    });

    it('refuses an action on an entry that changed since it was loaded (409) and offers a reload', async () => {
      const open = await server.dlq.list({ domain: 'payment', status: 'pending' }, { pageSize: 1 });
      const entry = open.results[0]!;
      const page = await openAs('operator', `/dead-letters/${entry.id}`);
      await page.getByRole('button', { name: 'Replay', exact: true }).waitFor();
      // Someone else resolves it meanwhile.
      await server.dlq.resolve(entry.id, { actor: 'someone-else', expectedGeneration: entry.generation });
      await page.getByRole('button', { name: 'Replay', exact: true }).click();
      await textOf(message(page), /changed since you loaded it — reload/);
      await shot(page, 'dead-letter-stale');
      await message(page).getByRole('button', { name: 'Reload' }).click();
      await page.locator('.detail-head .status-resolved').waitFor();
      await textOf(page.locator('.section-audit'), /someone-else/);
    });

    it('resolves selected entries in bulk after a preview of what they touch', async () => {
      const page = await openAs('operator', '/dead-letters?domain=payment&status=pending');
      const before = server.seeded.paymentDeclined - 1;
      await textOf(resultCount(page), new RegExp(`^${before} dead letters match`));
      await page
        .getByRole('checkbox', { name: /^Select dead letter / })
        .nth(0)
        .check();
      await page
        .getByRole('checkbox', { name: /^Select dead letter / })
        .nth(1)
        .check();
      await page.getByRole('button', { name: 'Resolve selected (2)' }).click();
      const panel = page.getByTestId('bulk-panel');
      await textOf(panel.getByTestId('preview-count'), /^2$/);
      expect(await panel.locator('tbody tr').count()).toBe(2);
      await panel.getByLabel('Note for the audit trail').fill('refunded by hand');
      await shot(page, 'bulk-preview');
      await panel.getByRole('button', { name: 'Resolve them' }).click();
      await textOf(message(page), /Resolved 2 dead letters/);
      await textOf(resultCount(page), new RegExp(`^${before - 2} dead letter`));

      // Resolve-all-matching previews the count before doing anything.
      await page.getByRole('button', { name: 'Resolve all matching…' }).click();
      await textOf(page.getByTestId('preview-count'), new RegExp(`^${before - 2}$`));
      await page.getByRole('button', { name: 'Cancel' }).click();
      expect(await page.getByTestId('bulk-panel').count()).toBe(0);
      await textOf(resultCount(page), new RegExp(`^${before - 2} dead letter`));
    });

    it('shows the audit trail', async () => {
      const page = await openAs('viewer', '/audit');
      const table = page.getByTestId('audit-table');
      await textOf(table, /otto/);
      await textOf(table, /refunded by hand|resolve/);
      await textOf(table, /ada/);
      await page.getByLabel('Actor').fill('ada');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/actor=ada/);
      await table.locator('tbody tr').first().waitFor();
      for (const text of await table.locator('tbody tr td:nth-child(2)').allInnerTexts())
        expect(text).toBe('ada');
      await shot(page, 'audit');
    });

    it('shows each role only the actions it may use', async () => {
      const pending = (await server.dlq.list({ domain: 'email', status: 'pending' }, { pageSize: 1 }))
        .results[0]!;
      const detail = `/dead-letters/${pending.id}`;

      // viewer: nothing to click.
      const viewer = await openAs('viewer', detail);
      await viewer.getByTestId('read-only').waitFor();
      for (const name of ['Replay', 'Resolve', 'Force replay']) {
        expect(await viewer.getByRole('button', { name, exact: true }).count()).toBe(0);
      }
      await shot(viewer, 'dead-letter-viewer');
      await goTo(viewer, '/dead-letters');
      await rows(viewer).first().waitFor();
      expect(await viewer.getByRole('checkbox').count()).toBe(0);
      expect(await viewer.getByRole('group', { name: 'Bulk actions' }).count()).toBe(0);
      await goTo(viewer, '/');
      await viewer.getByTestId('queues').locator('tr[data-queue="emails"]').waitFor();
      expect(await viewer.getByRole('button', { name: /^Pause queue/ }).count()).toBe(0);

      // operator: replay and resolve, no force-replay, no purge.
      const operator = await openAs('operator', detail);
      await operator.getByRole('button', { name: 'Replay', exact: true }).waitFor();
      await operator.getByRole('button', { name: 'Resolve', exact: true }).waitFor();
      expect(await operator.getByRole('button', { name: 'Force replay' }).count()).toBe(0);
      await goTo(operator, '/dead-letters');
      await operator.getByRole('group', { name: 'Bulk actions' }).waitFor();
      expect(await operator.getByRole('button', { name: 'Purge archived…' }).count()).toBe(0);

      // admin: everything, and force-replay asks for a reason.
      const admin = await openAs('admin', detail);
      await admin.getByRole('button', { name: 'Force replay' }).waitFor();
      await admin.getByLabel('Reason').fill('fixed the MX record');
      await admin.getByLabel('Ticket').fill('OPS-42');
      await shot(admin, 'dead-letter-admin');
      await admin.getByRole('button', { name: 'Force replay' }).click();
      await textOf(message(admin), /Force-replayed .* succeeded/);
      await textOf(admin.locator('.section-audit'), /fixed the MX record/);
      await goTo(admin, '/dead-letters');
      await admin.getByRole('button', { name: 'Purge archived…' }).click();
      await textOf(admin.getByTestId('preview-count'), /^0$/);
      expect(await admin.getByRole('button', { name: 'Purge them' }).isDisabled()).toBe(true);
      await shot(admin, 'purge-preview');
    });

    it('replays matching entries in bulk after a dry-run preview', async () => {
      const pending = (await server.dlq.list({ domain: 'email', status: 'pending' }, { pageSize: 1 }))
        .totalCount;
      expect(pending).toBeGreaterThan(0);
      const page = await openAs('operator', '/dead-letters?domain=email&status=pending');
      await textOf(resultCount(page), new RegExp(`^${pending} dead letter`));
      await page.getByRole('button', { name: 'Replay matching…' }).click();
      const panel = page.getByTestId('bulk-panel');
      await textOf(panel.getByTestId('preview-count'), new RegExp(`^${pending}$`));
      await textOf(panel, /ignores: status/);
      await shot(page, 'replay-preview');
      await panel.getByRole('button', { name: 'Replay them' }).click();
      await textOf(message(page), new RegExp(`Replayed ${pending}: ${pending} succeeded, 0 failed`));
      await textOf(resultCount(page), /^No dead letters match/);
      expect(
        (await server.dlq.list({ domain: 'email', status: 'pending' }, { pageSize: 1 })).totalCount,
      ).toBe(0);
    });

    it('lets every local caller in as admin when the server has no tokens (loopback only)', async () => {
      const open = createAdminServer({ store: server.store, logger: false, processMetrics: false });
      const { url } = await open.listen({ host: '127.0.0.1', port: 0 });
      try {
        const context = await browser.newContext();
        contexts.push(context);
        const page = await context.newPage();
        await page.goto(url);
        await page
          .getByTestId('identity')
          .filter({ hasText: /local\s*admin/ })
          .waitFor({ timeout: WAIT });
        await page.getByRole('heading', { name: 'Overview' }).waitFor({ timeout: WAIT });
      } finally {
        await open.close();
      }
    });

    it('asked for one page at a time, made no request outside the server and raised no page errors', () => {
      const lists = apiRequests.filter((u) => u.pathname === '/api/dead-letters');
      expect(lists.length).toBeGreaterThan(5);
      for (const u of lists) expect(Number(u.searchParams.get('pageSize'))).toBeLessThanOrEqual(100);
      expect(external).toEqual([]);
      expect(pageErrors).toEqual([]);
    });
  },
);
