/**
 * Loading redrive leaves `String.prototype` with fast properties. ioredis's `VerbatimString extends
 * String` puts it in V8's dictionary mode, where every string method call of optimized code (message
 * parameterization on each dead letter, among others) takes the generic property-load path;
 * src/redis/ioredis.ts turns it back. Checked in a child process with V8's natives syntax, for the
 * sources and for the built package.
 */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { builtFile, root } from '../package/built.js';

/** `%HasFastProperties(String.prototype)` after importing `specifier` in a fresh process. */
function fastAfterImport(specifier: string): boolean {
  const script = `await import(${JSON.stringify(specifier)}); console.log(%HasFastProperties(String.prototype));`;
  const out = execFileSync(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8' },
  );
  return out.trim() === 'true';
}

it('ioredis alone leaves String.prototype in dictionary mode (what the fix is for)', () => {
  expect(fastAfterImport('ioredis')).toBe(false);
});

it('every entry of the sources leaves String.prototype fast', () => {
  for (const entry of ['./src/index.ts', './src/entries/redis.ts', './src/entries/streams.ts']) {
    expect(fastAfterImport(entry), entry).toBe(true);
  }
});

it('the built root entry leaves String.prototype fast', () => {
  expect(fastAfterImport(builtFile('dist/index.js', ['src']))).toBe(true);
});
