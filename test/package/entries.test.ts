/**
 * The public entries: every subpath of package.json `exports` is built by tsup (code and
 * declarations) from a source entry that exists, the subpath entries load and export what their
 * documentation promises, and names that moved off the root still load from it (deprecated).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import tsupConfig from '../../tsup.config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; import: string }>;
};
const config = tsupConfig as unknown as { entry: Record<string, string>; dts: { entry: string[] } };

it('builds every exported subpath, code and declarations, from an existing source', () => {
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const name = target.import.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
    expect(target.types, subpath).toBe(`./dist/${name}.d.ts`);
    const source = config.entry[name];
    expect(source, `${subpath} has no tsup entry ${name}`).toBeDefined();
    expect(existsSync(join(root, source!)), source).toBe(true);
    expect(config.dts.entry, `${subpath} has no declarations`).toContain(source);
  }
});

it('loads the subpath entries', async () => {
  const redis = await import('../../src/entries/redis.js');
  const streams = await import('../../src/entries/streams.js');
  const testing = await import('../../src/entries/testing.js');
  expect(typeof redis.ResilientRedis).toBe('function');
  expect(typeof redis.classifyRedisFailure).toBe('function');
  expect(typeof streams.StreamProcessor).toBe('function');
  const clock = new testing.FakeClock(1000);
  expect(clock.now()).toBe(1000);
  expect(testing.createSeededRandom(7).next()).toBe(testing.createSeededRandom(7).next());
});

it('still loads the moved names from the root entry, the same objects', async () => {
  const rootEntry = await import('../../src/index.js');
  const redis = await import('../../src/entries/redis.js');
  const testing = await import('../../src/entries/testing.js');
  expect(rootEntry.ResilientRedis).toBe(redis.ResilientRedis);
  expect(rootEntry.FakeClock).toBe(testing.FakeClock);
});
