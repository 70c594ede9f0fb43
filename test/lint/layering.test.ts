/**
 * The layering of src/ fails lint when broken (core <- store <- queue/dlq <- admin/cli, with the
 * Redis substrate src/redis under the store, ResilientRedis and StreamProcessor): Biome, with this
 * repository's biome.json, lints a throwaway tree holding one import per layer edge, and reports
 * noRestrictedImports on exactly the edges that go the wrong way.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const biome = join(root, 'node_modules', '.bin', 'biome');

/** A file at `path` importing `from`; `allowed` says whether the layering permits it. */
const EDGES: { path: string; from: string; allowed: boolean }[] = [
  { path: 'src/core/probe.ts', from: '../store/store.js', allowed: false },
  { path: 'src/redis/probe.ts', from: '../store/store.js', allowed: false },
  { path: 'src/redis/probe-core.ts', from: '../core/clock.js', allowed: true },
  { path: 'src/store/probe.ts', from: '../queue/queue.js', allowed: false },
  { path: 'src/store/probe-core.ts', from: '../core/job.js', allowed: true },
  { path: 'src/store/redis/probe.ts', from: '../../redis/scripts.js', allowed: true },
  { path: 'src/queue/probe.ts', from: '../cli/main.js', allowed: false },
  { path: 'src/queue/probe-store.ts', from: '../store/store.js', allowed: true },
  { path: 'src/dlq/probe.ts', from: '../admin/serialize.js', allowed: false },
  { path: 'src/streams/probe.ts', from: '../store/store.js', allowed: false },
  { path: 'src/streams/probe-redis.ts', from: '../redis/scripts.js', allowed: true },
  { path: 'src/resilient-redis/probe.ts', from: '../queue/queue.js', allowed: false },
  { path: 'src/cli/commands/probe.ts', from: '../../admin/serialize.js', allowed: false },
  { path: 'src/cli/commands/probe-dlq.ts', from: '../../dlq/queries.js', allowed: true },
  { path: 'src/cli/commands/serve.ts', from: '../../admin/server.js', allowed: true },
  { path: 'src/admin/probe.ts', from: '../cli/main.js', allowed: false },
  { path: 'src/admin/probe-dlq.ts', from: '../dlq/queries.js', allowed: true },
];

const tree = mkdtempSync(join(tmpdir(), 'redrive-layering-'));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

it('reports noRestrictedImports on exactly the imports that go against the layers', () => {
  copyFileSync(join(root, 'biome.json'), join(tree, 'biome.json'));
  for (const edge of EDGES) {
    mkdirSync(dirname(join(tree, edge.path)), { recursive: true });
    writeFileSync(join(tree, edge.path), `import { x } from '${edge.from}';\n\nexport const y = x;\n`);
  }
  const run = spawnSync(biome, ['lint', '--vcs-enabled=false', '--reporter=json', '.'], {
    cwd: tree,
    encoding: 'utf8',
  });
  const report = JSON.parse(run.stdout) as {
    diagnostics: { category: string; location: { path: string } }[];
  };
  const flagged = report.diagnostics
    .filter((d) => d.category === 'lint/style/noRestrictedImports')
    .map((d) => d.location.path.replaceAll('\\', '/'))
    .sort();
  const wrongWay = EDGES.filter((e) => !e.allowed)
    .map((e) => e.path)
    .sort();
  expect(flagged).toEqual(wrongWay);
  expect(run.status).not.toBe(0);
});
