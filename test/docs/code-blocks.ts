/**
 * Extraction of the TypeScript blocks of the README and docs/*.md, for the test that keeps them
 * compiling and running. A block is a fenced ```ts block; words after `ts` in its info string say
 * how it is checked (GitHub shows none of them):
 *
 * - (none): compiled on its own under strict and, if it uses nothing from `ambient.d.ts`, run;
 * - `continues`: appended to the previous block of the same page (a story told in steps);
 * - `no-run`: compiled, never run (it calls a service that is not there, or never ends);
 * - `sigterm`: run until it prints its first line, then sent SIGTERM: it must exit 0;
 * - `fragment`: a deliberate fragment (an expression in a sentence); not compiled. Kept few.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a block is checked. */
export type BlockMode = 'run' | 'no-run' | 'sigterm' | 'fragment';

/** One program made of one block, or of a block and the ones that continue it. */
export interface DocProgram {
  /** `README.md` or `docs/streams.md`, relative to the repository. */
  readonly page: string;
  /** 1-based line of the first code line of each part, in order. */
  readonly parts: readonly { line: number; lines: number }[];
  readonly code: string;
  readonly mode: BlockMode;
}

const FENCE = /^```(\S*)\s*(.*)$/;

/** The pages whose blocks are checked: README.md and every docs/*.md. */
export function documentationPages(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** The programs of one page, in page order. */
export function extractPrograms(root: string, page: string): DocProgram[] {
  const lines = readFileSync(join(root, page), 'utf8').split('\n');
  const programs: {
    page: string;
    parts: { line: number; lines: number }[];
    code: string;
    mode: BlockMode;
  }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const language = open[1] ?? '';
    const words = (open[2] ?? '').split(/\s+/).filter(Boolean);
    let end = i + 1;
    while (end < lines.length && !(lines[end] as string).startsWith('```')) end++;
    const body = lines.slice(i + 1, end);
    const start = i + 2;
    i = end;
    if (language !== 'ts' && language !== 'typescript') continue;
    for (const word of words) {
      if (!['continues', 'no-run', 'sigterm', 'fragment'].includes(word)) {
        throw new Error(`${page}:${start - 1}: unknown code block word "${word}"`);
      }
    }
    const mode: BlockMode = words.includes('fragment')
      ? 'fragment'
      : words.includes('sigterm')
        ? 'sigterm'
        : words.includes('no-run')
          ? 'no-run'
          : 'run';
    const previous = programs.at(-1);
    if (words.includes('continues')) {
      if (!previous || previous.mode === 'fragment') {
        throw new Error(`${page}:${start - 1}: a "continues" block needs a block before it`);
      }
      previous.parts.push({ line: start, lines: body.length });
      previous.code += `\n${body.join('\n')}`;
      // The combined program runs only if every part may run.
      if (mode !== 'run') previous.mode = mode;
      continue;
    }
    programs.push({ page, parts: [{ line: start, lines: body.length }], code: body.join('\n'), mode });
  }
  return programs;
}

/** Maps a 0-based line of a program back to its line in the page. */
export function pageLine(program: DocProgram, programLine: number): number {
  let offset = programLine;
  for (const part of program.parts) {
    if (offset < part.lines) return part.line + offset;
    offset -= part.lines;
  }
  return program.parts[0]?.line ?? 0;
}
