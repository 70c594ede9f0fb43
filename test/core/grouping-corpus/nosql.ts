/**
 * Corpus: MongoDB (driver and mongoose) and ioredis.
 */
import { appFrame, appRoot, type Bug, glue, libFrame, stackOf, type Vary } from './build.js';

function mongoStack(v: Vary, errorClass: string, message: string, app: [string, string][]): string {
  const root = appRoot(v);
  return stackOf(errorClass, message, [
    libFrame(root, 'InsertOneOperation.execute', 'mongodb/lib/operations/insert.js', 51, 19),
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    libFrame(root, 'async executeOperation', 'mongodb/lib/operations/execute_operation.js', 136, 16),
    libFrame(root, 'async Collection.insertOne', 'mongodb/lib/collection.js', 157, 16),
    ...app.map(([fn, file]) => appFrame(v, root, fn, file, { async: true })),
    ...glue(v),
  ]);
}

const mongo: Bug[] = [
  {
    bug: 'mongodb: duplicate email',
    occurrences: 4,
    make: (v) => {
      const message = `E11000 duplicate key error collection: app.users index: email_1 dup key: { email: "${v.email()}" }`;
      return {
        errorClass: 'MongoServerError',
        code: '11000',
        message,
        stack: mongoStack(v, 'MongoServerError', message, [['addUser', 'src/users/mongo.ts']]),
      };
    },
  },
  {
    bug: 'mongodb: duplicate username',
    occurrences: 3,
    make: (v) => {
      const message = `E11000 duplicate key error collection: app.users index: username_1 dup key: { username: "${v.pick(['ada', 'grace', 'linus', 'ken'])}${v.int(1, 999)}" }`;
      return {
        errorClass: 'MongoServerError',
        code: '11000',
        message,
        stack: mongoStack(v, 'MongoServerError', message, [['addUser', 'src/users/mongo.ts']]),
      };
    },
  },
  {
    bug: 'mongoose: cast error on order id',
    occurrences: 3,
    make: (v) => {
      const root = appRoot(v);
      const message = `Cast to ObjectId failed for value "${v.pick(['undefined', v.hex(12), `order-${v.int(1, 9999)}`])}" (type string) at path "_id" for model "Order"`;
      return {
        errorClass: 'CastError',
        code: null,
        message,
        stack: stackOf('CastError', message, [
          libFrame(root, 'model.Query.exec', 'mongoose/lib/query.js', 4913, 21),
          libFrame(root, 'model.Query.Query.then', 'mongoose/lib/query.js', 5012, 15),
          appFrame(v, root, 'loadOrder', 'src/orders/mongo.ts'),
          ...glue(v),
        ]),
      };
    },
  },
  {
    bug: 'mongodb: server selection timeout',
    occurrences: 3,
    make: (v) => {
      const root = appRoot(v);
      const message = `Server selection timed out after ${v.pick([30000, 30000, 10000])} ms`;
      return {
        errorClass: 'MongoServerSelectionError',
        code: null,
        message,
        stack: stackOf('MongoServerSelectionError', message, [
          libFrame(root, 'Timeout._onTimeout', 'mongodb/lib/sdam/topology.js', 278, 38),
          '    at listOnTimeout (node:internal/timers:573:17)',
          '    at process.processTimers (node:internal/timers:514:7)',
        ]),
      };
    },
  },
];

function redisReply(v: Vary, message: string): string {
  const root = appRoot(v);
  return stackOf('ReplyError', message, [
    libFrame(root, 'parseError', 'redis-parser/lib/parser.js', 179, 12),
    libFrame(root, 'parseType', 'redis-parser/lib/parser.js', 302, 14),
  ]);
}

const ioredis: Bug[] = [
  {
    bug: 'ioredis: server refuses connections',
    occurrences: 4,
    make: (v) => {
      const message = `connect ECONNREFUSED ${v.pick(['127.0.0.1', v.ipv4()])}:6379`;
      return {
        errorClass: 'Error',
        code: 'ECONNREFUSED',
        message,
        stack: stackOf('Error', message, [
          '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
        ]),
      };
    },
  },
  {
    bug: 'ioredis: wrong type for the session key',
    occurrences: 3,
    make: (v) => {
      const message = 'WRONGTYPE Operation against a key holding the wrong kind of value';
      return { errorClass: 'ReplyError', code: null, message, stack: redisReply(v, message) };
    },
  },
  {
    bug: 'ioredis: writes against a read-only replica',
    occurrences: 3,
    make: (v) => {
      const message = "READONLY You can't write against a read only replica.";
      return { errorClass: 'ReplyError', code: null, message, stack: redisReply(v, message) };
    },
  },
  {
    bug: 'ioredis: retries per request exhausted',
    occurrences: 3,
    make: (v) => {
      const root = appRoot(v);
      const message = `Reached the max retries per request limit (which is ${v.pick([20, 20, 3])}). Refer to "maxRetriesPerRequest" option for details.`;
      return {
        errorClass: 'MaxRetriesPerRequestError',
        code: null,
        message,
        stack: stackOf('MaxRetriesPerRequestError', message, [
          libFrame(root, 'Socket.<anonymous>', 'ioredis/built/redis/event_handler.js', 182, 37),
          '    at Object.onceWrapper (node:events:632:26)',
          '    at Socket.emit (node:events:517:28)',
          '    at TCP.<anonymous> (node:net:350:12)',
        ]),
      };
    },
  },
];

/** Every MongoDB and Redis bug of the corpus. */
export const NOSQL_BUGS: readonly Bug[] = [...mongo, ...ioredis];
