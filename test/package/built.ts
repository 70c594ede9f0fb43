/**
 * The built package (dist/) for the tests that read it: a file that must exist, built after the
 * sources it comes from, so that a stale build fails with what to do rather than a confusing diff.
 * `npm install` builds dist/ through `prepare`; after changing the sources, `npm run build`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** The newest modification time of `path` (a file, or every file below a folder). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/**
 * The absolute path of `built` (relative to the root), after checking that it exists and is not
 * older than `sources` (files or folders, relative to the root).
 *
 * @throws naming the build command when it is missing or stale
 */
export function builtFile(built: string, sources: readonly string[]): string {
  const path = join(root, built);
  if (!existsSync(path)) throw new Error(`${built} is missing: build the package first (npm run build)`);
  const changed = sources.filter((source) => newest(join(root, source)) > statSync(path).mtimeMs);
  if (changed.length > 0) {
    throw new Error(`${built} is older than ${changed.join(', ')}: rebuild the package (npm run build)`);
  }
  return path;
}
