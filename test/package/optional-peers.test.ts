/**
 * What the built package imports, entry by entry: every module a published entry can load (its
 * static and dynamic imports, followed through dist/ chunks) is a Node built-in, a dependency or a
 * peer dependency; and vitest and fast-check, the optional peers of the conformance suite, are
 * reached from `redrive/store/conformance` only, so an application that never imports that entry
 * installs and runs without them. Reads dist/ (`npm run build`).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { builtFile, root } from './built.js';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { import: string }>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

const SUITE_PEERS = ['vitest', 'fast-check'];
/** esbuild's import forms: statements start a line; a dynamic import is a call on a string literal. */
const IMPORTS = [
  /^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"/gm,
  /^import\s*"([^"]+)"/gm,
  /\bimport\(\s*"([^"]+)"\s*\)/g,
];

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Every bare specifier reachable from the built file `entry`, through relative imports. */
function bareImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const [, specifier] of IMPORTS.flatMap((pattern) => [...code.matchAll(pattern)])) {
      if (specifier!.startsWith('.')) pending.push(resolve(dirname(file), specifier!));
      else bare.add(packageOf(specifier!.replace(/^node:/, '')));
    }
  }
  return bare;
}

const entries = Object.entries(pkg.exports).map(([subpath, target]) => {
  const file = builtFile(target.import, ['package.json', 'tsup.config.ts', 'src/entries']);
  return { subpath, imports: bareImports(file) };
});

it('imports only Node built-ins, dependencies and peer dependencies', () => {
  const allowed = new Set([
    ...builtinModules,
    ...Object.keys(pkg.dependencies),
    ...Object.keys(pkg.peerDependencies),
  ]);
  for (const { subpath, imports } of entries) {
    expect(
      [...imports].filter((name) => !allowed.has(name)),
      subpath,
    ).toEqual([]);
  }
});

it('reaches vitest and fast-check from redrive/store/conformance only, as optional peers', () => {
  for (const name of SUITE_PEERS) {
    expect(pkg.peerDependencies[name], name).toBeDefined();
    expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
  }
  const conformance = entries.find((e) => e.subpath === './store/conformance');
  expect([...(conformance?.imports ?? [])]).toEqual(expect.arrayContaining(SUITE_PEERS));
  for (const { subpath, imports } of entries) {
    if (subpath === './store/conformance') continue;
    expect(
      SUITE_PEERS.filter((name) => imports.has(name)),
      subpath,
    ).toEqual([]);
  }
});
