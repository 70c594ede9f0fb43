/**
 * docs/failure-modes.md maps each failure mode to the tests that prove redrive survives it. A map
 * that names a renamed or deleted test proves nothing, so every citation (`file` › `test name`) must
 * name a file that exists and a test it declares under exactly that name, and every failure mode
 * must cite at least one test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PAGE = 'docs/failure-modes.md';
const page = readFileSync(join(root, PAGE), 'utf8');

/** One cited test: the line of the page it is on, its file and its name. */
interface Citation {
  line: number;
  file: string;
  name: string;
}

/** A failure mode: a level-3 heading and the citations below it. */
interface Mode {
  title: string;
  citations: Citation[];
}

const CITATION = /^- `([^`]+)` › `([^`]+)`/;

function parse(text: string): Mode[] {
  const modes: Mode[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.startsWith('### ')) modes.push({ title: line.slice(4), citations: [] });
    const match = CITATION.exec(line);
    if (!match) return;
    const mode = modes.at(-1);
    if (!mode) throw new Error(`${PAGE}:${index + 1}: a citation before the first failure mode`);
    mode.citations.push({ line: index + 1, file: match[1]!, name: match[2]! });
  });
  return modes;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether `source` declares a test called `name` that runs: `it(` or `test(`, with any modifiers
 * (`it.skipIf(cond)(` for a missing service, `test.concurrent(`) but `skip` and `todo`, then the
 * name as a string literal. A skipped test proves nothing.
 */
function declares(source: string, name: string): boolean {
  const quoted = ["'", '"', '`'].map((q) => `${q}${escapeRegExp(name)}${q}`).join('|');
  const call = new RegExp(
    `\\b(?:it|test)(?:\\.(?!skip\\b|todo\\b)\\w+(?:\\([^()]*(?:\\([^()]*\\))?[^()]*\\))?)*\\(\\s*(?:${quoted})`,
  );
  return call.test(source);
}

const modes = parse(page);
const citations = modes.flatMap((m) => m.citations);

describe(PAGE, () => {
  it('maps every failure mode to at least one test', () => {
    expect(modes.length).toBeGreaterThanOrEqual(39);
    expect(modes.filter((m) => m.citations.length === 0).map((m) => m.title)).toEqual([]);
  });

  it('cites only test files that exist, and tests they declare under exactly that name', () => {
    const sources = new Map<string, string | undefined>();
    const problems: string[] = [];
    for (const { line, file, name } of citations) {
      if (!sources.has(file)) {
        const path = join(root, file);
        sources.set(file, existsSync(path) ? readFileSync(path, 'utf8') : undefined);
      }
      const source = sources.get(file);
      if (source === undefined) problems.push(`${PAGE}:${line}: no file ${file}`);
      else if (!declares(source, name)) problems.push(`${PAGE}:${line}: ${file} declares no test "${name}"`);
    }
    expect(problems).toEqual([]);
  });

  it('would catch a renamed test and a missing file (the check can fail)', () => {
    const source = "it('keeps order', () => {});\nit.skipIf(!redis.available)('resumes', async () => {});";
    expect(declares(source, 'keeps order')).toBe(true);
    expect(declares(source, 'resumes')).toBe(true);
    expect(declares(source, 'keeps orde')).toBe(false);
    expect(declares("describe('keeps order', () => {});", 'keeps order')).toBe(false);
    expect(declares("it.skip('keeps order', () => {});", 'keeps order')).toBe(false);
    expect(declares("it.todo('keeps order');", 'keeps order')).toBe(false);
    const [mode] = parse('### A mode\n\n- `test/none.test.ts` › `a test`\n');
    expect(mode).toEqual({
      title: 'A mode',
      citations: [{ line: 3, file: 'test/none.test.ts', name: 'a test' }],
    });
  });
});
