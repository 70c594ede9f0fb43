/**
 * The dead-letter page's layout and behaviour in Chromium: the list on the first screen at
 * 1440x900, facets and top failures fetched once per filter (a stale fetch cancelled), facets
 * that follow the search, top failures that say what identifies them, the entry's group, honest
 * failure banners, a batch-replay preview of exactly what runs, no Replay where a replay cannot
 * work, badges that fit 6-digit counts, the skip link, the focus ring's contrast and a 390 px
 * layout without sideways scrolling. Screenshots go to test-artifacts/.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayRegistry } from '../../src/index.js';
import {
  artifactsDir,
  chromiumAvailability,
  type DashboardServer,
  launchChromium,
  startDashboardServer,
  TOKENS,
  until,
} from './support.js';

const availability = chromiumAvailability();
if (!availability.ok && !availability.mustFail) {
  console.warn(`\n[dead-letter page browser tests] SKIPPED: ${availability.reason}\n`);
}

/** Safety nets only: every wait ends on its condition (a loaded machine is slower, not red). */
const WAIT = 60_000;

/** WCAG contrast ratio of two CSS colours (`rgb(...)`), computed in the page. */
const CONTRAST = `(a, b) => {
  const lum = (c) => {
    const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}`;

describe.skipIf(!availability.ok && !availability.mustFail)(
  'dead-letter page in Chromium',
  { timeout: 4 * WAIT },
  () => {
    let server: DashboardServer;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    let unreplayable: string;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      if (!availability.ok) throw new Error(`${availability.reason} (CI=true: the browser tests must run)`);
      // Webhook replays fail (the partner still answers 502); ledger entries have no handler.
      const handlers = new ReplayRegistry().forDomain('webhook', async () => {
        throw new Error('partner still answers 502');
      });
      [server, browser] = await Promise.all([
        startDashboardServer({ replayHandlers: handlers }),
        launchChromium(),
      ]);
      unreplayable = (
        await server.dlq.store({
          domain: 'ledger',
          failureType: 'BALANCE_MISMATCH',
          error: new Error('ledger balance off by 12 cents'),
          payload: { account: 'acc_1' },
        })
      ).id!;
    }, WAIT);

    afterAll(async () => {
      for (const c of contexts) await c.close().catch(() => {});
      await browser?.close();
      await server?.close();
    });

    async function open(route: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
      const context = await browser.newContext({ viewport, reducedMotion: 'reduce' });
      contexts.push(context);
      context.setDefaultTimeout(WAIT);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.url}#token=${TOKENS.admin.token}`);
      await page.getByTestId('identity').waitFor();
      await goTo(page, route);
      return page;
    }

    /** Waits until no region is loading. */
    const settled = (page: Page) =>
      until(
        'the page to finish loading',
        async () => (await page.locator('[aria-busy="true"]').count()) === 0,
        WAIT,
      );
    const goTo = (page: Page, route: string) =>
      page.evaluate(`location.hash = ${JSON.stringify(`#${route}`)}`);
    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(artifactsDir(), `dead-letter-page-${name}.png`), fullPage: true });
    const rows = (page: Page) => page.getByTestId('dead-letter-table').locator('tbody tr');
    const resultCount = (page: Page) => page.getByTestId('result-count');
    const message = (page: Page) => page.locator('#messages .message').last();

    it('shows the list on the first screen at 1440x900, facets beside it', async () => {
      const page = await open('/dead-letters');
      await rows(page).first().waitFor();
      const first = (await rows(page).first().boundingBox())!;
      expect(first.y + first.height).toBeLessThanOrEqual(900);
      const aside = (await page.getByTestId('facets').boundingBox())!;
      expect(aside.x).toBeGreaterThan(first.x + first.width / 2);
      await shot(page, '1440');
    });

    it('fetches facets and top failures once per filter, cancels a stale fetch, follows the search', async () => {
      const page = await open('/');
      const seen: string[] = [];
      page.on('request', (r) => {
        const path = new URL(r.url()).pathname;
        if (path.startsWith('/api/dead-letters/')) seen.push(path.slice('/api/dead-letters/'.length));
      });
      await goTo(page, '/dead-letters');
      await rows(page).first().waitFor();
      await page.getByRole('tab', { name: 'Top failures' }).click();
      await page.getByTestId('top-failures').locator('li').first().waitFor();
      await page.getByRole('tab', { name: 'Entries' }).click();
      await page.getByLabel('Order').selectOption('oldest');
      await page.waitForURL(/order=oldest/);
      await page.getByLabel('Per page').selectOption('50');
      await page.waitForURL(/pageSize=50/);
      await page.getByRole('tab', { name: 'Top failures' }).click();
      await page.getByTestId('top-failures').locator('li').first().waitFor();
      // Paging and tabs fetch the list again, never the facets or the top failures.
      await settled(page);
      expect(seen.filter((p) => p === 'facets')).toHaveLength(1);
      expect(seen.filter((p) => p === 'top-failures')).toHaveLength(1);

      // A search whose facets answer late is overtaken by the next: its fetch is cancelled and
      // the chips count what the last search finds.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      await page.route('**/api/dead-letters/facets?*q=mailbox*', async (route) => {
        await held;
        await route.continue().catch(() => {});
      });
      const cancelled = page.waitForEvent('requestfailed', (r) => r.url().includes('q=mailbox'));
      await page.getByLabel('Search error messages').fill('mailbox');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/q=mailbox/);
      await page.getByLabel('Search error messages').fill('card declined');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await cancelled;
      release();
      const facets = page.getByTestId('facets');
      await facets.getByRole('button', { name: /^email / }).waitFor({ state: 'detached' });
      await facets.getByRole('button', { name: `payment ${server.seeded.paymentDeclined}` }).waitFor();
      expect(await facets.getByRole('button', { name: /^pending / }).textContent()).toMatch(
        new RegExp(`${server.seeded.paymentDeclined}$`),
      );
      await shot(page, 'facets-follow-search');
    });

    it('lines up the status x domain columns with their headers', async () => {
      const page = await open('/dead-letters?tab=matrix');
      const table = page.getByTestId('matrix');
      await table.locator('tbody tr').first().waitFor();
      const headers = table.locator('thead th');
      const columns = await headers.count();
      expect(columns).toBeGreaterThan(2);
      for (let c = 1; c < columns; c++) {
        const head = (await headers.nth(c).boundingBox())!;
        for (const cell of await table.locator(`tbody tr > :nth-child(${c + 1})`).all()) {
          const box = (await cell.boundingBox())!;
          expect(Math.abs(box.x - head.x)).toBeLessThanOrEqual(1);
          expect(Math.abs(box.width - head.width)).toBeLessThanOrEqual(1);
          const content = cell.locator('button, span').first();
          const inner = (await content.boundingBox())!;
          // Right-aligned like the header's text: the count ends where the column does.
          expect(head.x + head.width - (inner.x + inner.width)).toBeLessThan(12);
        }
      }
      await shot(page, 'matrix');
    });

    it('shows what identifies each top failure, every domain it spans, and links to its entries', async () => {
      const page = await open('/dead-letters?tab=top');
      const group = page.locator('.failure-group').filter({ hasText: 'mailbox unavailable' });
      await group.waitFor();
      expect(await group.locator('.failure-message').textContent()).toBe(
        'PermanentError: mailbox unavailable: <n> <n> user unknown',
      );
      expect(await group.locator('.failure-frame').textContent()).toMatch(
        /^at \S+ \(test\/browser\/support\.ts\)$/,
      );
      expect(await group.locator('.failure-domains').textContent()).toMatch(/^Domain email \(\d+\)/);
      await group.getByRole('link', { name: /^Show its \d+ entries$/ }).click();
      await page.waitForURL(/fingerprint=/);
      await resultCount(page)
        .filter({ hasText: new RegExp(`^${server.seeded.emailPermanent} dead letters match`) })
        .waitFor();
      for (const text of await rows(page).allInnerTexts()) expect(text).toMatch(/mailbox unavailable/);

      // The entry says which group it is in and how many others share it.
      const count = await rows(page).count();
      await rows(page).first().getByRole('link').first().click();
      const fact = page.getByTestId('failure-group');
      await fact.waitFor();
      expect(await fact.textContent()).toMatch(/PermanentError: mailbox unavailable: <n> <n> user unknown/);
      const others = await server.dlq.list({
        fingerprint: (await server.dlq.get(await idOf(page)))!.fingerprint,
      });
      expect(await fact.textContent()).toContain(`${others.totalCount - 1} other dead letters share it`);
      expect(others.totalCount).toBeGreaterThanOrEqual(count);
      await shot(page, 'entry-group');
    });

    async function idOf(page: Page): Promise<string> {
      return decodeURIComponent(new URL(page.url()).hash.replace(/^#\/dead-letters\//, ''));
    }

    it('reports a failed replay as a failure, and offers no Replay where a replay cannot work', async () => {
      const failing = (
        await server.dlq.list(
          { domain: 'webhook', status: 'pending', failureType: 'HTTP_5XX' },
          { pageSize: 1 },
        )
      ).results[0]!;
      const page = await open(`/dead-letters/${failing.id}`);
      await page.getByRole('button', { name: 'Replay', exact: true }).click();
      await message(page).filter({ hasText: 'the replay failed (partner still answers 502)' }).waitFor();
      expect(await message(page).getAttribute('class')).toContain('message-error');
      await shot(page, 'failed-replay');

      await goTo(page, `/dead-letters/${unreplayable}`);
      await page.getByTestId('no-replay').waitFor();
      expect(await page.getByTestId('no-replay').textContent()).toMatch(/no replay handler .* ledger/);
      expect(await page.getByRole('button', { name: 'Replay', exact: true }).count()).toBe(0);
      await page.getByRole('button', { name: 'Resolve', exact: true }).waitFor();
    });

    it('previews the batch replay it will run (oldest first) and runs it on the first click after an edit', async () => {
      const pending = await server.dlq.list(
        { domain: 'email', status: 'pending' },
        { order: 'oldest', pageSize: 10 },
      );
      expect(pending.totalCount).toBeGreaterThan(3);
      const page = await open('/dead-letters?domain=email');
      await rows(page).first().waitFor();
      await page.getByRole('button', { name: 'Replay matching…' }).click();
      const panel = page.getByTestId('bulk-panel');
      await panel
        .getByTestId('preview-count')
        .filter({ hasText: String(pending.totalCount) })
        .waitFor();
      const sampleIds = async () =>
        (await panel.locator('tbody tr td:first-child').allInnerTexts()).map((t) => t.trim());
      expect(await sampleIds()).toEqual(pending.results.map((d) => d.id));
      expect(await panel.locator('caption').textContent()).toMatch(
        /in the order the run takes them \(oldest first\)/,
      );
      await shot(page, 'replay-preview');

      // Edit the count and click at once: the click is not lost, and two entries run.
      await panel.getByLabel(/Entries in this run/).fill('2');
      await panel.getByRole('button', { name: 'Replay them' }).click();
      await message(page)
        .filter({ hasText: /^Replayed 2: 2 succeeded, 0 failed/ })
        .waitFor();
      expect(await message(page).getAttribute('class')).toContain('message-success');
      for (const d of pending.results.slice(0, 2))
        expect((await server.dlq.get(d.id))!.status).toBe('resolved');
      expect((await server.dlq.get(pending.results[2]!.id))!.status).toBe('pending');

      // A run whose replays all fail is a failure, not a success.
      await goTo(page, '/dead-letters?domain=webhook');
      await rows(page).first().waitFor();
      await page.getByRole('button', { name: 'Replay matching…' }).click();
      await panel
        .getByTestId('preview-count')
        .filter({ hasText: /^[1-9]/ })
        .waitFor();
      await panel.getByRole('button', { name: 'Replay them' }).click();
      await message(page)
        .filter({ hasText: /^Replayed \d+: 0 succeeded, [1-9]\d* failed/ })
        .waitFor();
      expect(await message(page).getAttribute('class')).toContain('message-error');
    });

    it('fits 6-digit counts in the badges and chips', async () => {
      const page = await open('/dead-letters');
      const big = (n: number) => n * 100_000 + 23_456;
      await page.route('**/api/dead-letters/facets*', async (route) => {
        const body = await (await route.fetch()).json();
        for (const k of Object.keys(body.byStatus)) body.byStatus[k] = big(9);
        for (const k of Object.keys(body.byDomain)) body.byDomain[k] = big(8);
        await route.fulfill({ json: body });
      });
      await page.route('**/api/dead-letters/top-failures*', async (route) => {
        const body = await (await route.fetch()).json();
        for (const g of body.items) g.count = big(7);
        await route.fulfill({ json: body });
      });
      await goTo(page, '/dead-letters?tab=top&q=e');
      await page.locator('.count-badge').first().filter({ hasText: '723,456' }).waitFor();
      await page.getByTestId('facets').getByText('923,456').first().waitFor();
      const spills = await page.evaluate(`[...document.querySelectorAll('.count-badge, .chip')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1 ||
          [...el.querySelectorAll('.count')].some((c) => c.getBoundingClientRect().right > el.getBoundingClientRect().right))
        .map((el) => el.textContent)`);
      expect(spills).toEqual([]);
      await shot(page, 'big-counts');
    });

    it('takes a keyboard user to the first row in two key presses, with a focus ring of 3:1', async () => {
      const page = await open('/dead-letters');
      await rows(page).first().waitFor();
      // From the top of the document (as after a reload that focused nothing).
      const fromTop = `(() => { document.activeElement.blur(); document.body.tabIndex = -1;
        document.body.focus(); document.body.removeAttribute('tabindex'); })()`;
      await page.evaluate(fromTop);
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to the first dead letter');
      await page.keyboard.press('Enter');
      const firstId = await rows(page).first().getAttribute('data-id');
      expect(await page.evaluate('document.activeElement.closest("tr")?.dataset.id')).toBe(firstId);

      // Without the skip link, Tab reaches the first row in a few stops, not dozens.
      await page.evaluate(fromTop);
      let stops = 0;
      while (stops < 40) {
        await page.keyboard.press('Tab');
        stops++;
        if (await page.evaluate('document.activeElement.hasAttribute("data-skip-target")')) break;
      }
      expect(stops).toBeLessThanOrEqual(25);

      // The focus ring against what is behind it: the page, and the panel of the filter bar.
      await page.getByLabel('Search error messages').focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      const ratios = await page.evaluate(`(() => {
        const contrast = ${CONTRAST};
        const el = document.activeElement;
        const ring = getComputedStyle(el).outlineColor;
        const bg = (node) => {
          for (let n = node; n; n = n.parentElement) {
            const c = getComputedStyle(n).backgroundColor;
            if (c && !c.endsWith(', 0)') && c !== 'transparent') return c;
          }
          return 'rgb(255, 255, 255)';
        };
        return [getComputedStyle(el).outlineStyle, contrast(ring, bg(el.parentElement)), contrast(ring, bg(document.body))];
      })()`);
      const [style, onPanel, onPage] = ratios as [string, number, number];
      expect(style).toBe('solid');
      expect(onPanel).toBeGreaterThanOrEqual(3);
      expect(onPage).toBeGreaterThanOrEqual(3);
    });

    it('has no sideways page scroll at 390 px on any page', async () => {
      const entry = (await server.dlq.list({ domain: 'webhook' }, { pageSize: 1 })).results[0]!;
      const page = await open('/dead-letters', { width: 390, height: 844 });
      await rows(page).first().waitFor();
      const routes = [
        '/dead-letters',
        '/dead-letters?tab=top',
        '/dead-letters?tab=matrix',
        `/dead-letters/${entry.id}`,
        '/',
        '/audit',
      ];
      for (const route of routes) {
        await goTo(page, route);
        await page.locator('main h2').first().waitFor();
        await settled(page);
        const width = await page.evaluate('document.documentElement.scrollWidth');
        expect(width, route).toBeLessThanOrEqual(390);
        await shot(
          page,
          `390-${route.startsWith('/dead-letters/') ? 'entry' : route.replace(/[^a-z]+/g, '-')}`,
        );
      }
      expect(pageErrors).toEqual([]);
    });
  },
);
