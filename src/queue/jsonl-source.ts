/**
 * A JSONL source that can be read twice (a validating pass, then an inserting pass) although it
 * is opened once. A regular file is read twice from the same descriptor, up to the size it had when
 * it was opened (lines appended meanwhile are not imported unvalidated). Anything else — a pipe,
 * `/dev/stdin`, a process substitution, a named FIFO — can be read only once, so the first pass
 * copies it to a private spool file that the second pass reads.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** One line of the source (1-based numbering, blank lines counted). */
export interface SourceLine {
  line: number;
  text: string;
}

/** A source opened once and readable in two passes. */
export interface JsonlSource {
  /** The first pass: every line, in order. */
  firstPass(): AsyncGenerator<SourceLine>;
  /** The second pass: the same lines as the first (call only after the first has finished). */
  secondPass(): AsyncGenerator<SourceLine>;
  /** Closes the descriptor and removes the spool file, if any. */
  close(): Promise<void>;
}

async function* linesOf(input: Readable, spool?: WriteStream): AsyncGenerator<SourceLine> {
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of reader) {
    line++;
    if (spool && !spool.write(`${text}\n`)) await once(spool, 'drain');
    yield { line, text };
  }
}

/** Opens `path` for two passes; throws the file system's error when it cannot be opened. */
export async function openJsonlSource(path: string): Promise<JsonlSource> {
  const handle = await open(path, 'r');
  try {
    const stats = await handle.stat();
    return stats.isFile() ? regularFile(handle, stats.size) : await spooled(handle);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function regularFile(handle: FileHandle, size: number): JsonlSource {
  const read = (): AsyncGenerator<SourceLine> =>
    size === 0
      ? linesOf(Readable.from([]))
      : linesOf(handle.createReadStream({ encoding: 'utf8', start: 0, end: size - 1, autoClose: false }));
  return { firstPass: read, secondPass: read, close: () => handle.close() };
}

async function spooled(handle: FileHandle): Promise<JsonlSource> {
  const dir = await mkdtemp(join(tmpdir(), 'redrive-import-'));
  const spoolPath = join(dir, 'spool.jsonl');
  const spool = createWriteStream(spoolPath, { encoding: 'utf8', mode: 0o600 });
  // A failed write surfaces in the second pass (a short spool); here it must not crash the process.
  let spoolError: Error | null = null;
  spool.on('error', (error) => {
    spoolError = error;
  });
  let closed = false;
  return {
    async *firstPass() {
      yield* linesOf(handle.createReadStream({ encoding: 'utf8', autoClose: false }), spool);
      await finished(spool.end());
      if (spoolError) throw spoolError;
    },
    secondPass: () => linesOf(createReadStream(spoolPath, { encoding: 'utf8' })),
    async close() {
      if (closed) return;
      closed = true;
      if (!spool.writableFinished) await finished(spool.end()).catch(() => undefined);
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
