/**
 * Smoke test of examples/worker-otel.ts: run as its own process, it prints one JSON line per span;
 * every span is in the request's trace, each attempt continues its enqueue's `send` span, and the
 * outcomes are completed, retried then completed, and dead-lettered.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PrintedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
  events: string[];
}

it('the OpenTelemetry example traces enqueue -> process for each job and exits 0', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-example-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/worker-otel.ts'], {
    env: { ...process.env, DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  const spans = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as PrintedSpan);
  const [request] = spans.filter((s) => s.name === 'POST /orders');
  const sends = spans.filter((s) => s.name === 'send orders');
  const processes = spans.filter((s) => s.name === 'process orders');
  expect(sends).toHaveLength(3);
  expect(processes).toHaveLength(4);
  expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([request!.traceId]));
  for (const send of sends) expect(send.parentSpanId).toBe(request!.spanId);
  const sendIds = new Set(sends.map((s) => s.spanId));
  for (const p of processes) expect(sendIds.has(p.parentSpanId!)).toBe(true);
  expect(processes.map((p) => p.attributes['redrive.job.outcome']).sort()).toEqual([
    'completed',
    'completed',
    'dead_lettered',
    'retried',
  ]);
  expect(processes.find((p) => p.attributes['redrive.job.outcome'] === 'dead_lettered')?.events).toContain(
    'redrive.dead_lettered',
  );
  for (const work of spans.filter((s) => s.name === 'reserve stock')) {
    expect(processes.some((p) => p.spanId === work.parentSpanId)).toBe(true);
  }
}, 30_000);
