/**
 * Runs the SQLite store's dead-letter reads on a worker thread with its own connection.
 * better-sqlite3 is synchronous: a query that reads many rows (a count over a broad filter, a
 * bounded scan) holds the event loop of the process that runs it, and with it every other request
 * of an admin server. On the thread, the server keeps answering (`/healthz` included) while the
 * query runs. WAL mode lets the thread read while the store writes; each read sees the last commit.
 *
 * The thread starts on the first call and is stopped by `close()`. When the worker module runs
 * from TypeScript sources (tests, `tsx`), it is loaded through tsx's loader.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../../core/errors.js';
import {
  deserializeReadError,
  type ReadMethod,
  type ReadThreadData,
  type SerializedError,
} from './read-thread-protocol.js';

/** The worker module: the TypeScript source next to this file, or the bundled build's entry. */
function workerLocation(): { url: URL; typescript: boolean } {
  const source = new URL('./dead-letter-read-worker.ts', import.meta.url);
  if (existsSync(fileURLToPath(source))) return { url: source, typescript: true };
  for (const candidate of [
    './sqlite-read-worker.js',
    '../sqlite-read-worker.js',
    '../../sqlite-read-worker.js',
  ]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return { url, typescript: false };
  }
  throw new StoreUnavailableError('the SQLite reader thread module (sqlite-read-worker.js) is missing');
}

/** Loads a TypeScript worker module through tsx (only when running from sources). */
const TYPESCRIPT_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.moduleUrl); });
`;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** A reader thread for one database file. */
export class DeadLetterReadThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor(private readonly data: ReadThreadData) {}

  private start(): Worker {
    const { url, typescript } = workerLocation();
    const worker = typescript
      ? new Worker(TYPESCRIPT_BOOTSTRAP, {
          eval: true,
          workerData: { ...this.data, tsxApi: import.meta.resolve('tsx/esm/api'), moduleUrl: url.href },
        })
      : new Worker(url, { workerData: this.data });
    worker.unref();
    worker.on('message', (message: { id?: number; result?: unknown; error?: SerializedError }) => {
      if (message.id === undefined) return;
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.error) call.reject(deserializeReadError(message.error));
      else call.resolve(message.result);
    });
    const fail = (error: Error) => {
      this.failure = new StoreUnavailableError(`the SQLite reader thread stopped: ${error.message}`, {
        cause: error,
      });
      for (const call of this.pending.values()) call.reject(this.failure);
      this.pending.clear();
      this.worker = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.worker === worker) fail(new Error(`exit code ${code}`));
    });
    return worker;
  }

  /** Runs one read method on the thread. */
  call<T>(method: ReadMethod, params: unknown): Promise<T> {
    if (!this.worker) {
      this.failure = null;
      this.worker = this.start();
    }
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, method, params });
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    });
  }

  /** Stops the thread; calls still running fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    for (const call of this.pending.values()) call.reject(new StoreUnavailableError('the store is closed'));
    this.pending.clear();
    if (worker) await worker.terminate();
  }
}
