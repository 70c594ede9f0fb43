/**
 * Streaming import of jobs from a JSONL file. The file is read twice: a validating pass that
 * reads every line, then an inserting pass in atomic chunks. So a bad line is found before
 * anything is written, and memory stays flat however large the file is.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ValidationError } from '../core/errors.js';
import type { InsertJobResult, NewJob } from '../store/job-store.js';
import type { JobOptions } from './job-options.js';

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

async function* jsonlLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  const reader = createInterface({
    input: createReadStream(path, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of reader) {
    line++;
    if (text.trim() !== '') yield { line, text };
  }
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
  try {
    await access(path);
  } catch {
    throw new ValidationError('path', `cannot read ${path}`);
  }

  const skipped: JsonlLineError[] = [];
  const badLines = new Set<number>();
  let lines = 0;
  for await (const { line, text } of jsonlLines(path)) {
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
  for await (const { line, text } of jsonlLines(path)) {
    if (badLines.has(line)) continue;
    batch.push(parseLine(text, line, defaultName, sink));
    if (batch.length >= batchSize) await insertBatch();
  }
  if (batch.length > 0) await insertBatch();
  return { added, duplicates, skipped, lines };
}
