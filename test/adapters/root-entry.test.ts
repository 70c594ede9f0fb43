/**
 * Frameworks are optional peer dependencies: the root entry's module graph (static and dynamic
 * imports, as esbuild resolves it) must reach neither express nor hono nor the adapters.
 */
import { build } from 'esbuild';
import { expect, it } from 'vitest';

const FRAMEWORK = /^(express|hono|@hono\/)/;

it('importing redrive loads neither express nor hono', async () => {
  const result = await build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: 'unused',
    logLevel: 'silent',
  });
  const sources = Object.keys(result.metafile.inputs);
  const externals = Object.values(result.metafile.inputs).flatMap((input) =>
    input.imports.filter((i) => i.external).map((i) => i.path),
  );
  // The graph was resolved (a broken build would list nothing and pass vacuously).
  expect(sources).toContain('src/queue/queue.ts');
  expect(externals).toContain('better-sqlite3');
  expect(sources.filter((s) => s.startsWith('src/adapters/'))).toEqual([]);
  expect(externals.filter((e) => FRAMEWORK.test(e))).toEqual([]);
});
