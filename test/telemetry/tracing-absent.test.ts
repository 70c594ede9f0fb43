/**
 * Tracing on, but `@opentelemetry/api` is not installed (simulated: its import fails): one
 * process warning, and jobs are enqueued and processed as without tracing.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createHarness, type Harness } from '../queue/helpers.js';

vi.mock('@opentelemetry/api', () => {
  throw new Error("Cannot find package '@opentelemetry/api'");
});

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(async () => {
  await h.cleanup();
  vi.restoreAllMocks();
});

it('runs untraced, with one warning per component, when the API cannot be loaded', async () => {
  const warnings: string[] = [];
  vi.spyOn(process, 'emitWarning').mockImplementation((warning) => {
    warnings.push(String(warning));
  });
  const q = h.queue('absent', { telemetry: { tracing: true } });
  const { id } = await q.add('x', { n: 1 }, { headers: { tenant: 'acme' } });
  const [bulk] = await q.addBulk([{ name: 'y', payload: { n: 2 } }]);
  const seen: unknown[] = [];
  h.worker(
    'absent',
    async (job) => {
      seen.push(job.headers);
    },
    { telemetry: { tracing: true } },
  );
  await h.waitFor(async () => (await q.getCounts()).completed === 2, { what: 'both jobs done' });
  expect(seen).toEqual([{ tenant: 'acme' }, null]);
  expect((await q.getJob(id))?.headers).toEqual({ tenant: 'acme' });
  expect((await q.getJob(bulk!.id))?.headers).toBeNull();
  expect(warnings).toHaveLength(2);
  expect(warnings[0]).toMatch(/@opentelemetry\/api could not be loaded .*tracing stays off/);
});
