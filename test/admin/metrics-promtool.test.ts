/**
 * /metrics passes `promtool check metrics` (Prometheus's own linter) without a warning: with the
 * default Node process metrics on, every redrive family populated, and HTTP request metrics
 * recorded. Scrapers and recording rules rely on the naming rules it checks (counters end in
 * `_total`, gauges do not, units in base names, help text on every family).
 *
 * promtool comes from Debian's `prometheus` package (`.ci/run` installs it). Without it the test
 * is skipped with a warning locally and fails under CI.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, PermanentError, Queue, ReplayQueue, Worker } from '../../src/index.js';
import { underCi } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { type AdminHarness, createAdminHarness } from './helpers.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const promtoolAvailable = promtool.status === 0;
if (!promtoolAvailable) {
  const why = 'promtool is not installed (Debian package "prometheus")';
  if (underCi()) throw new Error(`${why}: the metrics lint test cannot run under CI`);
  process.stderr.write(`\n*** SKIPPING /metrics promtool check: ${why} ***\n\n`);
}

let h: AdminHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.skipIf(!promtoolAvailable)('/metrics under promtool check metrics', () => {
  it('has no problems, with process metrics and every redrive family populated', async () => {
    const breaker = new CircuitBreaker({ name: 'payments-api' });
    const replayQueue = new ReplayQueue({ maxDepth: 10 });
    const harness = createAdminHarness({ processMetrics: true, breakers: [breaker], replayQueue });
    h = harness;
    const queue = new Queue('emails', { store: harness.store });
    await queue.add('ok', {});
    await queue.add('bad', {});
    const worker = new Worker(
      'emails',
      async (job) => {
        if (job.name === 'bad') throw new PermanentError('bad job');
      },
      { store: harness.store, pollIntervalMs: 5 },
    );
    const detach = harness.server.attachWorker(worker);
    await waitFor(
      'the bad job dead-lettered',
      async () => (await harness.store.countJobs({ queue: 'emails' })).dead_lettered === 1,
      { timeoutMs: 20_000 },
    );
    await waitFor('the good job completed', () => worker.stats().completed === 1, { timeoutMs: 20_000 });
    await worker.close();
    detach();
    await harness.deadLetter({ domain: 'payment' });
    breaker.forceOpen('maintenance');
    replayQueue.enqueue({ id: 1 }, 'test');
    // Two scrapes: the second also carries the HTTP metrics of the first.
    await harness.call('viewer', 'GET', '/metrics');
    const text = (await harness.call('viewer', 'GET', '/metrics')).body;
    expect(text).toMatch(/^nodejs_active_handles\{/m);
    expect(text).toMatch(/^redrive_jobs_processed_total\{queue="emails"\} 1$/m);

    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
    await queue.close();
  });
});
