/**
 * `@opentelemetry/api` is an optional peer dependency: the root entry's module graph (as esbuild
 * resolves it) may reach it only through a dynamic import, taken when tracing is turned on.
 */
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('importing redrive loads @opentelemetry/api only by dynamic import', async () => {
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
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports);
  const otel = imports.filter((i) => i.path.startsWith('@opentelemetry/'));
  // The graph was resolved and reaches the loader (a broken build would list nothing and pass).
  expect(Object.keys(result.metafile.inputs)).toContain('src/telemetry/load.ts');
  expect(otel.map((i) => [i.path, i.kind])).toEqual([['@opentelemetry/api', 'dynamic-import']]);
});
