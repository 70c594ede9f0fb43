/**
 * Documentation that cannot rot: every TypeScript block of README.md and docs/*.md is compiled under
 * strict, and the self-contained ones run, page by page in page order, in a fresh directory (a
 * newcomer following the page word for word). See code-blocks.ts for how a block is marked.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisService, underCi } from '../support/services.js';
import { ambientDeclarations } from './ambient.js';
import { type DocProgram, documentationPages, extractPrograms, pageLine } from './code-blocks.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const workDir = join(root, 'test-artifacts', `docs-${process.pid}`);
const pages = documentationPages(root);
const programs = pages.flatMap((page) => extractPrograms(root, page));
const MAX_FRAGMENTS = 8;
const STUCK_MS = 60_000;

/** Where a program is written, and its source with `redrive` imports pointing at src/. */
function programFile(program: DocProgram, dir: string): { path: string; source: string } {
  const path = join(dir, `${program.page.replace(/[^a-z0-9]+/gi, '-')}-${program.parts[0]?.line}.ts`);
  const toSrc = (entry: string) => {
    const rel = relative(dirname(path), join(root, 'src', entry)).replaceAll('\\', '/');
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  const source = program.code
    .replace(/from 'redrive'/g, `from '${toSrc('index.js')}'`)
    .replace(/from 'redrive\/admin'/g, `from '${toSrc('admin/index.js')}'`)
    .replace(/from 'redrive\/store\/conformance'/g, `from '${toSrc('entries/store-conformance.js')}'`)
    .replace(
      /from 'redrive\/(redis|streams|testing|store)'/g,
      (_m, name: string) => `from '${toSrc(`entries/${name}.js`)}'`,
    )
    .replace(
      /from 'redrive\/(express|fastify|hono)'/g,
      (_m, name: string) => `from '${toSrc(`adapters/${name}.js`)}'`,
    );
  return { path, source };
}

function needsRedis(program: DocProgram): boolean {
  return /redis:\/\/|RedisStore|ResilientRedis|StreamProcessor/.test(program.code);
}

interface Compiled {
  diagnostics: Map<DocProgram, string[]>;
  usesAmbient: Set<DocProgram>;
}

let compiled: Compiled;

function compile(): Compiled {
  const dir = join(workDir, 'compile');
  mkdirSync(dir, { recursive: true });
  const ambientPath = join(dir, 'ambient.d.ts');
  writeFileSync(
    ambientPath,
    ambientDeclarations(relative(dir, join(root, 'src', 'index.js')).replaceAll('\\', '/')),
  );
  const files = new Map<string, DocProgram>();
  for (const program of programs) {
    if (program.mode === 'fragment') continue;
    const { path, source } = programFile(program, dir);
    // `export {}` makes every program a module (its own scope, top-level await) without moving lines.
    writeFileSync(path, `${source}\nexport {};\n`);
    files.set(path, program);
  }
  const tsProgram = ts.createProgram([...files.keys(), ambientPath], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = tsProgram.getTypeChecker();
  const diagnostics = new Map<DocProgram, string[]>();
  const usesAmbient = new Set<DocProgram>();
  for (const [path, program] of files) {
    const sourceFile = tsProgram.getSourceFile(path);
    if (!sourceFile) throw new Error(`not compiled: ${path}`);
    const messages = [
      ...tsProgram.getSyntacticDiagnostics(sourceFile),
      ...tsProgram.getSemanticDiagnostics(sourceFile),
    ].map((d) => {
      const { line } =
        d.start === undefined ? { line: 0 } : sourceFile.getLineAndCharacterOfPosition(d.start);
      return `${program.page}:${pageLine(program, line)}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    diagnostics.set(program, messages);
    // A program that uses a name of the ambient application, or declares one itself, cannot run.
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const symbol = ts.isShorthandPropertyAssignment(node.parent)
          ? checker.getShorthandAssignmentValueSymbol(node.parent)
          : checker.getSymbolAtLocation(node);
        const declaration = symbol?.declarations?.[0];
        if (declaration?.getSourceFile().fileName === ambientPath) usesAmbient.add(program);
      }
      if (
        ts.canHaveModifiers(node) &&
        ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)
      ) {
        usesAmbient.add(program);
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  return { diagnostics, usesAmbient };
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs one program with tsx in `cwd`; a `sigterm` program is sent SIGTERM once it printed a line. */
function run(program: DocProgram, cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const { path, source } = programFile(program, cwd);
  writeFileSync(path, `${source}\nexport {};\n`);
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path], {
      cwd,
      env: { ...process.env, ...env },
    });
    let output = '';
    let signalled = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (program.mode === 'sigterm' && !signalled && output.includes('\n')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    // A safety net only: a block that has not ended by then never will (a worker left running).
    const stuck = setTimeout(() => {
      output += `\n[still running after ${STUCK_MS} ms: a runnable block must end by itself]`;
      child.kill('SIGKILL');
    }, STUCK_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(stuck);
      resolvePromise({ code, signal, output });
    });
  });
}

beforeAll(() => {
  rmSync(workDir, { recursive: true, force: true });
  compiled = compile();
}, 300_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('documentation code blocks', () => {
  it('are found on every page, with few deliberate fragments', () => {
    expect(pages).toContain('README.md');
    expect(programs.length).toBeGreaterThan(20);
    const fragments = programs
      .filter((p) => p.mode === 'fragment')
      .map((p) => `${p.page}:${p.parts[0]?.line}`);
    expect(fragments.length, `fragments: ${fragments.join(', ')}`).toBeLessThanOrEqual(MAX_FRAGMENTS);
  });

  it('the README links every page of docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const unlinked = pages.filter((page) => page !== 'README.md' && !readme.includes(`(${page})`));
    expect(unlinked).toEqual([]);
  });

  it.each(pages)('compile under strict: %s', (page) => {
    const errors = programs.filter((p) => p.page === page).flatMap((p) => compiled.diagnostics.get(p) ?? []);
    expect(errors).toEqual([]);
  });
});

describe('self-contained documentation code blocks run', async () => {
  const redis = await redisService();
  it.each(pages)('%s, in page order, in a fresh directory', { timeout: 600_000 }, async (page) => {
    const runnable = programs.filter(
      (p) => p.page === page && (p.mode === 'run' || p.mode === 'sigterm') && !compiled.usesAmbient.has(p),
    );
    const cwd = join(workDir, 'run', page.replace(/[^a-z0-9]+/gi, '-'));
    mkdirSync(cwd, { recursive: true });
    for (const program of runnable) {
      if (needsRedis(program) && !redis.available) {
        if (underCi()) throw new Error(`${page}:${program.parts[0]?.line} needs Redis (${redis.reason})`);
        console.warn(
          `SKIPPED ${page}:${program.parts[0]?.line}: needs Redis at ${redis.url} (${redis.reason})`,
        );
        continue;
      }
      const result = await run(program, cwd, {});
      const where = `${page}:${program.parts[0]?.line}`;
      expect({ where, code: result.code, signal: result.signal }, result.output).toEqual({
        where,
        code: 0,
        signal: null,
      });
    }
  });
});
