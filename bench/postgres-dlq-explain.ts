/**
 * Dead letters at scale on PostgreSQL: fills a fresh schema with N dead letters (default 1,000,000;
 * `--rows N`) server-side, then runs the store's queries (first page, a status page, error-text and
 * JSON-field filters, facets, stats, top failures), printing the time of each through the store and
 * the `EXPLAIN (ANALYZE, BUFFERS)` of the SQL it sent. The schema is dropped afterwards.
 *
 *   node --import tsx bench/postgres-dlq-explain.ts [--rows N]
 */
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { adminQuery, benchPostgresUrl, freshSchemaName } from './postgres-db.js';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_000_000;
const url = benchPostgresUrl();
const schema = freshSchemaName('dlq');
const pool = new pg.Pool({ connectionString: url, max: 4 });
const captured: { text: string; values: unknown[] }[] = [];
const originalQuery = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult>;
(pool as unknown as { query: (...args: unknown[]) => Promise<pg.QueryResult> }).query = (
  ...args: unknown[]
) => {
  const config = args[0] as { text?: string; values?: unknown[] };
  if (typeof config === 'object' && config?.text)
    captured.push({ text: config.text, values: config.values ?? [] });
  return originalQuery(...args);
};
const store = new PostgresStore({ pool, schema });

try {
  await store.ready();
  const s = `"${schema}"`;
  const t0 = performance.now();
  // Realistic spread: 5 domains, 6 statuses (mostly pending), 200 fingerprints (Zipf-like), a JSON payload.
  await adminQuery(`
    INSERT INTO ${s}.dead_letters (id, queue, job_id, job_name, domain, failure_type, error_class, error_message,
      fingerprint, payload, attempts, metadata, status, max_replays, first_failed_at, dead_lettered_at, updated_at)
    SELECT 'dl-' || g, 'q' || (g % 10), 'job-' || g, 'send', 'domain-' || (g % 5), 'permanent', 'HttpError',
           'upstream returned ' || (400 + g % 100) || ' for order ' || g,
           'fp-' || floor(200 * power(random(), 3))::int,
           jsonb_build_object('customerId', g % 50000, 'tier', CASE WHEN g % 7 = 0 THEN 'gold' ELSE 'basic' END),
           '[]'::jsonb, jsonb_build_object('region', CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END),
           (ARRAY['pending','pending','pending','pending','resolved','requires_review','expired','archived'])[1 + g % 8],
           3, 1767225600000 + g * 10, 1767225600000 + g * 10, 1767225600000 + g * 10
      FROM generate_series(1, ${ROWS}) AS g`);
  await adminQuery(`VACUUM ANALYZE ${s}.dead_letters`);
  process.stdout.write(
    `filled ${ROWS.toLocaleString('en-US')} dead letters in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`,
  );

  const cases: [string, () => Promise<unknown>][] = [
    ['first page (newest, 50, with total)', () => store.listDeadLetters({ limit: 50 })],
    [
      'status page (pending, 50, with total)',
      () => store.listDeadLetters({ limit: 50, statuses: ['pending'] }),
    ],
    [
      'domain + status page',
      () => store.listDeadLetters({ limit: 50, domain: 'domain-3', statuses: ['pending'] }),
    ],
    ['error text filter', () => store.listDeadLetters({ limit: 50, errorText: 'order 77777' })],
    [
      'JSON field filter',
      () =>
        store.listDeadLetters({ limit: 50, json: [{ field: 'payload', path: 'customerId', value: 4242 }] }),
    ],
    ['facets', () => store.facetDeadLetters({})],
    ['stats', () => store.getDeadLetterStats({ now: Date.now() })],
    ['top failures (10)', () => store.topDeadLetterFailures({ limit: 10 })],
  ];
  for (const [name, run] of cases) {
    await run(); // warm
    captured.length = 0;
    const start = performance.now();
    await run();
    const ms = performance.now() - start;
    process.stdout.write(`### ${name}: ${ms.toFixed(1)} ms through the store\n`);
    const client = await pool.connect();
    try {
      for (const q of captured) {
        const plan = await client.query({ text: `EXPLAIN (ANALYZE, BUFFERS) ${q.text}`, values: q.values });
        process.stdout.write(
          `${q.text.replace(/\s+/g, ' ').slice(0, 300)}\n${plan.rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}\n\n`,
        );
      }
    } finally {
      client.release();
    }
  }
} finally {
  await store.close();
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}
