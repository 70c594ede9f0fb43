/**
 * Smoke test of examples/cron-task.ts: started as its own process, its scheduler enqueues a report
 * every second and its worker runs them (two runs, for two different slots), and it exits 0 on
 * SIGTERM.
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

it('the cron example enqueues a report per slot, runs them, and stops on SIGTERM', async () => {
  dir = mkdtempSync(join(tmpdir(), 'redrive-example-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'examples/cron-task.ts'], {
    env: { ...process.env, DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const twoReports = new Promise<void>((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const all = out.split('\n');
      out = all.pop() ?? '';
      lines.push(...all);
      if (lines.filter((l) => l.startsWith('report for slot')).length >= 2) resolve();
    });
    child!.once('exit', (code) => reject(new Error(`exited ${code} before two reports`)));
  });
  await twoReports;
  expect(lines[0]).toContain('scheduled every-second-report');
  const slots = lines.filter((l) => l.startsWith('report for slot')).map((l) => l.split(' ')[3]);
  expect(new Set(slots).size).toBe(slots.length);
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
}, 30_000);
