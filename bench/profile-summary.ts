/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and the
 * share of time spent under a few named entry points of the failure and success paths.
 *
 *   node --cpu-prof --cpu-prof-dir=.bench/prof --import tsx bench/scenario.ts fail-permanent-c50 NORMAL
 *   npx tsx bench/profile-summary.ts .bench/prof/<file>.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [--top N]\n');
  process.exit(2);
}
const topIndex = rest.indexOf('--top');
const top = topIndex >= 0 ? Number(rest[topIndex + 1]) : 25;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

const label = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
};

const self = new Map<string, number>();
for (const [id, us] of selfUs) {
  const key = label(byId.get(id)!);
  self.set(key, (self.get(key) ?? 0) + us);
}

/** Time under (inclusive of) any frame whose function name is one of `names`. */
function inclusive(names: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (names.includes(name) && !seen.has(name)) {
        seen.add(name);
        out.set(name, (out.get(name) ?? 0) + us);
      }
    }
  }
  return out;
}

const pct = (us: number) => `${((us / totalUs) * 100).toFixed(1).padStart(5)} %`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(6)} ms`;
process.stdout.write(`total ${ms(totalUs)} sampled\n\nself time, top ${top}:\n`);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(`  ${ms(us)} ${pct(us)}  ${name}\n`);
}
const entries = [
  'failJob',
  'failJobs',
  'insertFromJob',
  'buildJobDeadLetter',
  'errorFingerprint',
  'decideFailure',
  'completeJobs',
  'completeAndClaimJobs',
  'claimJobs',
  'onFailure',
  'onSuccess',
  'garbage collector',
];
process.stdout.write('\ninclusive time under:\n');
for (const [name, us] of [...inclusive(entries)].sort((a, b) => b[1] - a[1])) {
  process.stdout.write(`  ${ms(us)} ${pct(us)}  ${name}\n`);
}
