/**
 * Deprecated names reach users' editors: an application importing every root name from the built
 * declarations (dist/index.d.ts) gets TypeScript's "is deprecated" suggestion (the strike-through)
 * on each name that moved to a subpath entry or was renamed, and on no other name. Asked of the
 * TypeScript language service, as an editor asks it. Reads dist/ (`npm run build`).
 */
import { join } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { builtFile, root } from './built.js';

/** Root names renamed to the glossary's words, kept as deprecated aliases (docs/glossary.md). */
const RENAMED_TYPES = ['ForceRedriveOptions', 'RetryOptions', 'RetryResult'];
/** DeadLetterQueue methods renamed the same way. */
const RENAMED_METHODS = ['forceRedrive', 'retry'];

const DEPRECATED_CODES = new Set([6385, 6387]);

/** The names a source entry exports (from src/, where nothing is built). */
function exportedNames(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(join(root, file));
  if (!source) throw new Error(`${file} is not in the program`);
  return checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).map((symbol) => symbol.name);
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  types: ['node'],
};

const subpaths = ['redis', 'streams', 'testing', 'store'].map((name) => `src/entries/${name}.ts`);
const aliasFiles = subpaths.map((file) => file.replace('entries', 'deprecated'));
const sources = ts.createProgram(
  ['src/index.ts', ...subpaths, ...aliasFiles].map((file) => join(root, file)),
  options,
);
const rootNames = exportedNames(sources, 'src/index.ts');
const subpathNames = new Set(subpaths.flatMap((file) => exportedNames(sources, file)));
/** The names kept at the root after moving to a subpath entry (src/deprecated/<entry>.ts). */
const moved = aliasFiles.flatMap((file) => exportedNames(sources, file));
const expected = [...moved, ...RENAMED_TYPES].sort();

/** The names TypeScript reports deprecated in a program that imports every root name from dist/. */
function reportedDeprecated(): string[] {
  builtFile('dist/index.d.ts', ['src/index.ts', 'src/deprecated', ...subpaths]);
  const probe = join(root, 'deprecated-names-probe.ts');
  const text = [
    `import { ${rootNames.join(', ')} } from './dist/index.js';`,
    `declare const dlq: DeadLetterQueue;`,
    ...RENAMED_METHODS.map((method) => `export const ${method}Method = dlq.${method};`),
  ].join('\n');
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => [probe],
    getScriptVersion: () => '1',
    getScriptSnapshot: (file) =>
      ts.ScriptSnapshot.fromString(file === probe ? text : (ts.sys.readFile(file) ?? '')),
    getCurrentDirectory: () => root,
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: (file) => file === probe || ts.sys.fileExists(file),
    readFile: (file) => (file === probe ? text : ts.sys.readFile(file)),
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const service = ts.createLanguageService(host);
  const errors = service
    .getSemanticDiagnostics(probe)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (errors.length > 0) throw new Error(`the probe does not compile: ${errors.join('; ')}`);
  const names = service
    .getSuggestionDiagnostics(probe)
    .filter((d) => DEPRECATED_CODES.has(d.code) && d.start !== undefined)
    .map((d) => text.slice(d.start!, d.start! + d.length!));
  return [...new Set(names)].sort();
}

it('keeps every moved name at the root, and exports each from its subpath entry', () => {
  expect(moved.length).toBeGreaterThan(100);
  expect(moved.filter((name) => !rootNames.includes(name))).toEqual([]);
  expect(moved.filter((name) => !subpathNames.has(name))).toEqual([]);
});

it('marks exactly the moved and renamed names deprecated in the built declarations', () => {
  expect(reportedDeprecated()).toEqual([...expected, ...RENAMED_METHODS].sort());
});
