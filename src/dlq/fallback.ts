/**
 * The local fallback file: when the store cannot take a dead letter, the record is appended to a
 * JSONL file and fsynced before the caller is told it is safe. `recover` imports the file into the
 * store once it is healthy, idempotently by id: the file is first renamed aside, imported in
 * batches (an id already in the store is skipped), and deleted only after every line is in. A crash
 * at any point leaves the renamed file for the next `recover`, which imports it again without
 * duplicating anything.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { NewDeadLetter } from '../core/dead-letter.js';

/** One line of the fallback file. */
export interface FallbackLine {
  v: 1;
  /** When the store write failed. */
  at: number;
  /** Why it failed. */
  error: string;
  record: NewDeadLetter;
}

/** What {@link FallbackFile.recover} did. */
export interface FallbackRecoveryResult {
  /** Records now in the store that were not before. */
  imported: number;
  /** Records whose id the store already had (an earlier, interrupted recovery). */
  duplicates: number;
  /** Lines that could not be parsed (a torn last write); kept in `rejectedPath`. */
  rejected: number;
  rejectedPath: string | null;
  /** Files imported and removed. */
  files: string[];
}

/** Imports a batch; returns the ids that were new. */
export type FallbackImporter = (records: NewDeadLetter[]) => Promise<string[]>;

/** An append-only, fsynced JSONL file of records the store could not take. */
export class FallbackFile {
  /** The file appended to. */
  readonly path: string;
  /** Where a recovery moves the file while importing it. */
  readonly recoveringPath: string;
  /** Where unparseable lines are kept. */
  readonly rejectedPath: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
    this.recoveringPath = `${path}.recovering`;
    this.rejectedPath = `${path}.rejected`;
  }

  /** Runs `fn` after every earlier append or recovery of this instance. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Appends records and fsyncs the file (and, when it creates the file, its directory). */
  append(records: readonly NewDeadLetter[], error: string, at: number): Promise<void> {
    const text = records
      .map((record) => `${JSON.stringify({ v: 1, at, error, record } satisfies FallbackLine)}\n`)
      .join('');
    return this.serial(() => appendDurably(this.path, text));
  }

  /** Lines waiting in the file and in an interrupted recovery (counts newlines). */
  async pendingBytes(): Promise<number> {
    let total = 0;
    for (const file of [this.path, this.recoveringPath]) {
      try {
        total += (await stat(file)).size;
      } catch {
        // absent
      }
    }
    return total;
  }

  /**
   * Imports every record into the store through `importer`, in batches of `batchSize`.
   * Throws (leaving the renamed file in place for the next call) if the importer fails.
   */
  recover(importer: FallbackImporter, batchSize = 500): Promise<FallbackRecoveryResult> {
    return this.serial(async () => {
      const result: FallbackRecoveryResult = {
        imported: 0,
        duplicates: 0,
        rejected: 0,
        rejectedPath: null,
        files: [],
      };
      // An interrupted recovery first, then whatever was appended since.
      for (let round = 0; round < 2; round++) {
        if (!(await exists(this.recoveringPath))) {
          if (!(await exists(this.path))) break;
          await rename(this.path, this.recoveringPath);
        }
        await this.importFile(this.recoveringPath, importer, batchSize, result);
        await rm(this.recoveringPath, { force: true });
        result.files.push(this.recoveringPath);
      }
      return result;
    });
  }

  private async importFile(
    file: string,
    importer: FallbackImporter,
    batchSize: number,
    result: FallbackRecoveryResult,
  ): Promise<void> {
    let batch: NewDeadLetter[] = [];
    const rejected: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const ids = await importer(batch);
      result.imported += ids.length;
      result.duplicates += batch.length - ids.length;
      batch = [];
    };
    const lines = createInterface({
      input: createReadStream(file, { encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const record = parseLine(line);
      if (!record) {
        rejected.push(line);
        continue;
      }
      batch.push(record);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    if (rejected.length > 0) {
      await appendDurably(this.rejectedPath, `${rejected.join('\n')}\n`);
      result.rejected += rejected.length;
      result.rejectedPath = this.rejectedPath;
    }
  }
}

function parseLine(line: string): NewDeadLetter | null {
  try {
    const parsed = JSON.parse(line) as Partial<FallbackLine>;
    const record = parsed?.record;
    if (
      parsed?.v === 1 &&
      record &&
      typeof record.id === 'string' &&
      typeof record.domain === 'string' &&
      typeof record.failureType === 'string' &&
      typeof record.errorMessage === 'string' &&
      typeof record.fingerprint === 'string' &&
      typeof record.deadLetteredAt === 'number'
    ) {
      // Lines written before fingerprints were versioned carry version 1 fingerprints.
      return { ...record, fingerprintVersion: record.fingerprintVersion ?? 1 };
    }
  } catch {
    // a torn line
  }
  return null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Appends `text` to `path` and fsyncs it; fsyncs the directory too when the file is new. */
async function appendDurably(path: string, text: string): Promise<void> {
  const created = !(await exists(path));
  if (created) await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) {
    try {
      const dir = await open(dirname(path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // Some platforms cannot fsync a directory; the file itself is synced.
    }
  }
}
