#!/usr/bin/env node
/**
 * Checks what a user gets from `npm install redrive` in an empty project: packs this checkout
 * (`npm pack`, which builds dist/ through `prepare`), installs the tarball into a new temporary
 * ESM project, and then
 *   1. fails if npm printed an engine warning (EBADENGINE) for any package in the tree;
 *   2. runs a small program there: a job enqueued and processed on embedded SQLite, after loading
 *      every other entry but `redrive/store/conformance`, whose optional peers (vitest, fast-check)
 *      are not installed: nothing else may need them;
 *   3. lists every other npm warning, so a new one is seen.
 *
 *   node scripts/check-clean-install.mjs [--keep]    # --keep leaves the project for a look
 *
 * Exits 0 when the install is clean and the program runs; 1 otherwise. Needs the npm registry.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');

/** Runs a command, returning its output; throws with the output when it fails. */
function run(command, args, cwd) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_fund: 'false' },
  });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${output}`);
  return output;
}

const work = mkdtempSync(join(tmpdir(), 'redrive-clean-install-'));
let failed = false;
try {
  run('npm', ['pack', '--pack-destination', work], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack made no tarball');

  const project = join(work, 'app');
  run('mkdir', ['-p', project], work);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2),
  );
  const install = run('npm', ['install', '--no-audit', '--loglevel', 'warn', join(work, tarball)], project);
  const warnings = install.split('\n').filter((line) => line.startsWith('npm warn'));
  const engine = warnings.filter((line) => /EBADENGINE/.test(line));

  writeFileSync(
    join(project, 'app.js'),
    `import { Queue, SqliteStore, Worker } from 'redrive';
import { existsSync } from 'node:fs';
for (const peer of ['vitest', 'fast-check']) {
  if (existsSync(\`node_modules/\${peer}\`)) throw new Error(\`\${peer} was installed: it is an optional peer\`);
}
for (const entry of ['redis', 'streams', 'testing', 'store', 'admin']) {
  await import(\`redrive/\${entry}\`);
}
const store = new SqliteStore({ path: 'app.db' });
const queue = new Queue('greetings', { store });
await queue.add('hello', { to: 'world' });
let worker;
const done = new Promise((resolve) => {
  worker = new Worker('greetings', async (job) => {
    resolve(job.payload.to);
    return 'sent';
  }, { store });
});
console.log('processed', await done);
await worker.close();
await queue.close();
await store.close();
`,
  );
  const program = run('node', ['app.js'], project);

  console.log(`node ${process.version}, npm ${run('npm', ['-v'], project).trim()}`);
  console.log(`installed ${tarball} into an empty ESM project`);
  console.log(`engine warnings: ${engine.length}`);
  for (const line of engine) console.log(`  ${line}`);
  console.log(`other npm warnings: ${warnings.length - engine.length}`);
  for (const line of warnings.filter((l) => !engine.includes(l))) console.log(`  ${line}`);
  console.log(`program: ${program.trim()}`);
  if (engine.length > 0) failed = true;
  if (!program.includes('processed world')) failed = true;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  failed = true;
} finally {
  if (keep) console.log(`left in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(failed ? 'clean install: FAILED' : 'clean install: ok');
process.exit(failed ? 1 : 0);
