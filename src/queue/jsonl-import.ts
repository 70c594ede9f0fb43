/**
 * Streaming import of jobs from a JSONL file. The source is opened once and read in two passes: a
 * validating pass that reads every line, then an inserting pass in atomic chunks. So a bad line is
 * found before anything is written, and memory stays flat however large the file is. Pipes and
 * FIFOs, which can be read only once, are spooled to a private temporary file by the first pass
 * (see `jsonl-source.ts`).
 */
import { ValidationError } from '../core/errors.js';
import { assertKnownKeys } from '../core/known-keys.js';
import type { InsertJobResult, NewJob } from '../store/job-store.js';
import type { JobOptions } from './job-options.js';
import { type JsonlSource, openJsonlSource, type SourceLine } from './jsonl-source.js';

/** Options of `Queue.addFromFile`. */
export interface JsonlImportOptions {
  /** Name for lines that are bare payloads. Default `default`. */
  name?: string;
  /** Skip bad lines (they are reported) instead of refusing the whole file. */
  skipInvalid?: boolean;
  /** Jobs per atomic insert. Default 5000. */
  batchSize?: number;
  /** Called after each inserted batch. */
  onProgress?: (progress: { added: number; total: number }) => void;
}

/** A line that could not be imported. */
export interface JsonlLineError {
  line: number;
  message: string;
}

/** What an import did. */
export interface JsonlImportResult {
  added: number;
  /** Lines whose idempotency key matched an existing job. */
  duplicates: number;
  skipped: JsonlLineError[];
  /** Lines read, blank lines excluded. */
  lines: number;
}

interface ImportSink {
  build: (name: unknown, payload: unknown, options: JobOptions | undefined, field: string) => NewJob;
  insert: (jobs: NewJob[]) => Promise<InsertJobResult[]>;
}

const MAX_REPORTED_ERRORS = 1000;

/** The keys of an entry line; an object with `payload` and any other key is refused, not half-read. */
const ENTRY_KEYS: ReadonlySet<string> = new Set(['name', 'payload', 'options']);

async function* nonBlank(lines: AsyncGenerator<SourceLine>): AsyncGenerator<SourceLine> {
  for await (const entry of lines) if (entry.text.trim() !== '') yield entry;
}

function parseLine(text: string, line: number, defaultName: string, sink: ImportSink): NewJob {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`line ${line}`, `is not valid JSON (${(error as Error).message})`);
  }
  const entry = value as { name?: unknown; payload?: unknown; options?: unknown } | null;
  const isEntry = entry !== null && typeof entry === 'object' && !Array.isArray(entry) && 'payload' in entry;
  if (isEntry) assertKnownKeys(entry, ENTRY_KEYS, `line ${line}`);
  return isEntry
    ? sink.build(
        entry.name ?? defaultName,
        entry.payload,
        entry.options as JobOptions | undefined,
        `line ${line}`,
      )
    : sink.build(defaultName, value, undefined, `line ${line}`);
}

/** Imports a JSONL file; see {@link JsonlImportOptions}. */
export async function importJsonl(
  path: string,
  options: JsonlImportOptions,
  sink: ImportSink,
): Promise<JsonlImportResult> {
  const defaultName = options.name ?? 'default';
  const batchSize = options.batchSize ?? 5000;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ValidationError('batchSize', 'must be a positive integer');
  let source: JsonlSource;
  try {
    source = await openJsonlSource(path);
  } catch (error) {
    throw new ValidationError('path', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return await importLines(source, options, sink, defaultName, batchSize);
  } finally {
    await source.close();
  }
}

async function importLines(
  source: JsonlSource,
  options: JsonlImportOptions,
  sink: ImportSink,
  defaultName: string,
  batchSize: number,
): Promise<JsonlImportResult> {
  const skipped: JsonlLineError[] = [];
  const badLines = new Set<number>();
  let lines = 0;
  for await (const { line, text } of nonBlank(source.firstPass())) {
    lines++;
    try {
      parseLine(text, line, defaultName, sink);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      if (!options.skipInvalid) throw error;
      badLines.add(line);
      if (skipped.length < MAX_REPORTED_ERRORS) skipped.push({ line, message: error.message });
    }
  }

  const total = lines - badLines.size;
  let added = 0;
  let duplicates = 0;
  let batch: NewJob[] = [];
  const insertBatch = async () => {
    const results = await sink.insert(batch);
    for (const r of results) r.created ? added++ : duplicates++;
    batch = [];
    options.onProgress?.({ added: added + duplicates, total });
  };
  for await (const { line, text } of nonBlank(source.secondPass())) {
    if (badLines.has(line)) continue;
    batch.push(parseLine(text, line, defaultName, sink));
    if (batch.length >= batchSize) await insertBatch();
  }
  if (batch.length > 0) await insertBatch();
  return { added, duplicates, skipped, lines };
}
