/**
 * The reader thread of the SQLite dead-letter store (see dead-letter-read-thread.ts): opens its
 * own connection to the database file and answers read calls with the same code the store uses
 * in-process, so a long query never holds the event loop of the process that asked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { DeadLetterConnection } from './dead-letter-connection.js';
import type { ReadRequest, ReadThreadData } from './read-thread-protocol.js';
import { serializeReadError } from './read-thread-protocol.js';
import { SqliteDeadLetterReads } from './sqlite-dead-letter-reads.js';

const data = workerData as ReadThreadData;
const db = new Database(data.path, { fileMustExist: true });
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
db.pragma('query_only = 1');
const reads = new SqliteDeadLetterReads(
  new DeadLetterConnection(db, { path: data.path, migrate: false }),
  data.indexedPaths,
  data.scanBudget,
);

parentPort!.on('message', (request: ReadRequest) => {
  const method = reads[request.method] as (params: unknown) => Promise<unknown>;
  method.call(reads, request.params).then(
    (result) => parentPort!.postMessage({ id: request.id, result }),
    (error: unknown) => parentPort!.postMessage({ id: request.id, error: serializeReadError(error) }),
  );
});
parentPort!.postMessage({ ready: true });
