/**
 * Smoke test of examples/express-dashboard.ts: started as its own process, it serves the mounted
 * dashboard's API to a signed-in user (401 otherwise), enqueues an order that its worker
 * completes, and exits 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function firstLine(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    process.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    process.once('exit', (code) => reject(new Error(`exited ${code} before listening`)));
  });
}

it('the Express example serves the dashboard API, enqueues and completes an order, and stops on SIGTERM', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-example-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'examples/express-dashboard.ts'], {
    env: { ...process.env, PORT: '0', DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await firstLine(child);
  const base = /http:\/\/127\.0\.0\.1:\d+\//.exec(line)?.[0];
  expect(base, line).toBeDefined();
  const asAlice = { 'x-demo-user': 'alice' };

  expect((await fetch(`${base}ops/redrive/api/overview`)).status).toBe(401);
  const order = await fetch(`${base}orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'a-1' }),
  });
  expect(order.status).toBe(202);
  const { id } = (await order.json()) as { id: string };
  let state = '';
  for (let i = 0; i < 500 && state !== 'completed'; i++) {
    const job = await fetch(`${base}ops/redrive/api/jobs/${id}`, { headers: asAlice });
    expect(job.status).toBe(200);
    state = ((await job.json()) as { state: string }).state;
    if (state !== 'completed') await new Promise((r) => setTimeout(r, 20));
  }
  expect(state).toBe('completed');
  const me = await fetch(`${base}ops/redrive/api/whoami`, { headers: asAlice });
  expect(await me.json()).toEqual({ actor: 'alice', role: 'operator' });

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
}, 30_000);
