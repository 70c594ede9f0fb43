/**
 * Dashboard render benchmark (standalone, not a test):
 * `npx tsx bench/dashboard-render.ts [--rows 1000000] [--repeat 5] [--keep <dir>]`.
 *
 * Fills a SQLite file with dead letters (the records of bench/dead-letter-records.ts, with the
 * status mix of bench/dlq.ts), serves it with the admin server (reads on its reader thread, as in
 * production), and measures in Debian's Chromium (playwright-core, /usr/bin/chromium) how long the
 * dead-letter page takes from navigation to its rows on screen:
 * - opening the page (from the overview);
 * - the next page, a facet click (one domain), a search, and the top-failures tab.
 * Times are taken in the page (performance.now() at the navigation, a MutationObserver at the
 * render), so the browser automation's polling is not counted. Target: list < 500 ms at 1M.
 * With `--keep <dir>` the filled database is kept there and reused by the next run.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Page } from 'playwright-core';
import { createAdminServer } from '../src/admin/server.js';
import { DeadLetterQueue, SqliteStore } from '../src/index.js';
import { makeDeadLetter } from './dead-letter-records.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROWS = Number(option('rows') ?? 1_000_000);
const REPEAT = Number(option('repeat') ?? 5);
const KEEP = option('keep');
const CHROMIUM = process.env.REDRIVE_CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = 'bench-admin-token-0123456789';

async function fill(path: string): Promise<void> {
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  const start = performance.now();
  for (let first = 0; first < ROWS; first += 10_000) {
    const n = Math.min(10_000, ROWS - first);
    await store.insertDeadLetters({
      deadLetters: Array.from({ length: n }, (_, k) => makeDeadLetter(first + k)),
      now: Date.UTC(2026, 0, 1),
    });
  }
  await store.close();
  const raw = new Database(path);
  raw.exec(
    `UPDATE redrive_dead_letters SET status = 'resolved', resolved_at = dead_lettered_at WHERE rowid % 20 IN (1, 2, 3, 4);
     UPDATE redrive_dead_letters SET status = 'archived', archived_at = dead_lettered_at WHERE rowid % 20 IN (5, 6);
     UPDATE redrive_dead_letters SET status = 'requires_review' WHERE rowid % 20 = 7;
     PRAGMA wal_checkpoint(TRUNCATE);`,
  );
  raw.close();
  console.log(
    `filled ${ROWS.toLocaleString('en')} dead letters in ${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
}

/**
 * Navigates (by `act`, run in the page) and resolves with the milliseconds until `selector` is in
 * the page with content different from before and no region is loading.
 */
async function measure(page: Page, act: string, selector: string): Promise<number> {
  return page.evaluate(`new Promise((resolve) => {
    const before = document.querySelector(${JSON.stringify(selector)})?.textContent ?? null;
    const ready = () => {
      const el = document.querySelector(${JSON.stringify(selector)});
      return el && el.textContent !== before && !document.querySelector('[data-testid="dead-letter-table"][aria-busy="true"]');
    };
    const start = performance.now();
    const observer = new MutationObserver(() => {
      if (!ready()) return;
      observer.disconnect();
      resolve(performance.now() - start);
    });
    observer.observe(document.body, { childList: true, subtree: true, attributes: true, characterData: true });
    ${act};
  })`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 10) / 10;
}

async function main(): Promise<void> {
  const dir = KEEP ?? mkdtempSync(join(tmpdir(), 'redrive-bench-dashboard-'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'dashboard.db');
  if (!existsSync(path)) await fill(path);
  const store = new SqliteStore({ path, pollIntervalMs: 0 });
  const dlq = new DeadLetterQueue({ store, fallbackPath: join(dir, 'fallback.jsonl') });
  const admin = createAdminServer({
    store,
    deadLetterQueue: dlq,
    tokens: [{ token: TOKEN, role: 'admin', actor: 'bench' }],
    logger: false,
    processMetrics: false,
  });
  const { url } = await admin.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const results: Record<string, number[]> = {};
  const record = (name: string, ms: number) => {
    results[name] = [...(results[name] ?? []), ms];
  };
  const firstRow = '[data-testid="dead-letter-table"] tbody tr';
  try {
    for (let run = 0; run < REPEAT; run++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${url}#token=${TOKEN}`);
      await page.locator('[data-testid="identity"]').waitFor();
      await page.locator('[data-testid="queues"] table, [data-testid="queues"] p').first().waitFor();
      record('open the dead-letter page', await measure(page, `location.hash = '#/dead-letters'`, firstRow));
      record(
        'next page',
        await measure(page, `document.querySelector('button[aria-label="Next page"]').click()`, firstRow),
      );
      record(
        'facet: one domain',
        await measure(page, `location.hash = '#/dead-letters?domain=email'`, firstRow),
      );
      record(
        'search "order 4242"',
        await measure(page, `location.hash = '#/dead-letters?q=order%204242'`, firstRow),
      );
      record(
        'top failures tab',
        await measure(page, `location.hash = '#/dead-letters?tab=top'`, '[data-testid="top-failures"] li'),
      );
      await context.close();
    }
  } finally {
    await browser.close();
    await admin.close();
    await dlq.close();
    await store.close();
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
  }
  let chromiumVersion = '';
  try {
    chromiumVersion = execSync(`${CHROMIUM} --version`, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {}
  console.log(
    `dashboard render at ${ROWS.toLocaleString('en')} dead letters, ${chromiumVersion}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log('ms from navigation to rendered (median / min / max of', REPEAT, 'runs)');
  for (const [name, xs] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(28)} ${median(xs)} / ${Math.min(...xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`,
    );
  }
}

await main();
