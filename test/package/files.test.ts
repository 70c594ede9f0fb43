/**
 * `package.json` `files` lists what really ships: every entry matches something, and every file the
 * built bundles read from the package at run time (Lua scripts, SQL files, the dashboard) is under
 * one of them. Code (the SQLite migrations included) ships inside `dist/`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Files read by path at run time: scripts and SQL next to the stores, the dashboard's built assets. */
const runtimeAssets = walk(join(root, 'src'))
  .map((path) => relative(root, path).replaceAll('\\', '/'))
  .filter(
    (path) =>
      /\.(lua|sql)$/.test(path) ||
      (path.startsWith('src/admin/web/') && !path.startsWith('src/admin/web/src/') && !/\.json$/.test(path)),
  );

const shipped = (path: string) => pkg.files.some((entry) => path === entry || path.startsWith(`${entry}/`));

it('lists only entries that exist', () => {
  expect(pkg.files.filter((entry) => entry !== 'dist' && !existsSync(join(root, entry)))).toEqual([]);
});

it('ships every file read at run time', () => {
  expect(runtimeAssets.length).toBeGreaterThan(10);
  expect(runtimeAssets.filter((path) => !shipped(path))).toEqual([]);
});

it('ships no TypeScript source (the bundles carry the code, SQLite migrations included)', () => {
  const sources = pkg.files.flatMap((entry) =>
    entry !== 'dist' && existsSync(join(root, entry)) && statSync(join(root, entry)).isDirectory()
      ? walk(join(root, entry)).map((path) => relative(root, path))
      : [entry],
  );
  expect(sources.filter((path) => path.endsWith('.ts'))).toEqual([]);
});
