/**
 * Tests that pass only on an idle machine wait a fixed real time for something to happen. Behaviour
 * in time is tested on a FakeClock, and tests on real processes and sockets wait for a condition
 * (waitFor), polling in steps of at most 50 ms. This keeps every fixed real sleep written in the
 * tests, the conformance suite and their fixtures at 50 ms or less: a `setTimeout` promise, a
 * `setTimeout` of node:timers/promises, or a sleep/pause/delay helper, each with a literal duration.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAX_SLEEP_MS = 50;
const DIRS = ['test', 'src/store/conformance'];

/** A duration literal: `250`, `1_000`, `1e3`. */
const MS = String.raw`(\d[\d_]*(?:\.\d+)?(?:e\d+)?)`;
const SLEEPS = [
  // new Promise((resolve) => setTimeout(resolve, 250))
  new RegExp(String.raw`new Promise[^;]*?\bsetTimeout\(\s*\w+\s*,\s*${MS}\s*\)`, 'g'),
  // await setTimeout(250) from node:timers/promises
  new RegExp(String.raw`await\s+setTimeout\(\s*${MS}\s*[,)]`, 'g'),
  // await sleep(250), pause(250), delay(250), wait(250); not a method such as task.delay(250)
  new RegExp(String.raw`(?<![.\w])(?:sleep|pause|delay|wait)\(\s*${MS}\s*\)`, 'g'),
];

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every fixed sleep longer than the limit in `source`, as `line: text`. */
function longSleeps(source: string): string[] {
  const found: string[] = [];
  for (const pattern of SLEEPS) {
    for (const match of source.matchAll(pattern)) {
      const ms = Number(match[1]!.replaceAll('_', ''));
      if (ms <= MAX_SLEEP_MS) continue;
      const line = source.slice(0, match.index).split('\n').length;
      found.push(`${line}: ${match[0]}`);
    }
  }
  return found;
}

it('no test waits a fixed real time longer than 50 ms', () => {
  // This file's own samples are the only long sleeps allowed.
  const self = relative(root, fileURLToPath(import.meta.url));
  const checked = DIRS.flatMap(files).filter((file) => file !== self);
  expect(checked.length).toBeGreaterThan(100);
  const offenders = checked.flatMap((file) =>
    longSleeps(readFileSync(join(root, file), 'utf8')).map(
      (hit) => `${relative(root, join(root, file))}:${hit}`,
    ),
  );
  expect(offenders).toEqual([]);
});

it('finds every form of a long sleep, and leaves short ones and fake time alone (the check can fail)', () => {
  expect(longSleeps('await new Promise((r) => setTimeout(r, 250));')).toHaveLength(1);
  expect(longSleeps('await new Promise((resolve) => setTimeout(resolve, 1_000));')).toHaveLength(1);
  expect(longSleeps("import { setTimeout } from 'node:timers/promises';\nawait setTimeout(100);")).toEqual([
    '2: await setTimeout(100)',
  ]);
  expect(longSleeps('await sleep(60); await pause(1e3); await delay(51);')).toHaveLength(3);
  expect(longSleeps('await new Promise((r) => setTimeout(r, 50)); await pause(20);')).toEqual([]);
  expect(longSleeps('clock.advance(60_000); await task.delay(5000); vi.advanceTimersByTime(900);')).toEqual(
    [],
  );
});
