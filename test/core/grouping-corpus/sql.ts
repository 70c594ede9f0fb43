/**
 * Corpus: SQL database clients — pg, mysql2 and Prisma.
 */
import { appFrame, appRoot, type Bug, glue, libFrame, stackOf, type Vary } from './build.js';

function pgQueryError(v: Vary, message: string, app: [fn: string, file: string][]): string {
  const root = appRoot(v);
  return stackOf('error', message, [
    libFrame(root, '', 'pg/lib/client.js', 545, 17),
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ...app.map(([fn, file]) => appFrame(v, root, fn, file, { async: true })),
    ...glue(v),
  ]);
}

const pg: Bug[] = [
  {
    bug: 'pg: signup inserts a duplicate email',
    occurrences: 4,
    make: (v) => {
      const message = 'duplicate key value violates unique constraint "users_email_key"';
      return {
        errorClass: 'error',
        code: '23505',
        message,
        stack: pgQueryError(v, message, [
          ['insertUser', 'src/users/repo.ts'],
          ['signup', 'src/jobs/signup.ts'],
        ]),
      };
    },
  },
  {
    bug: 'pg: signup inserts a duplicate username',
    occurrences: 3,
    make: (v) => {
      const message = 'duplicate key value violates unique constraint "users_username_key"';
      return {
        errorClass: 'error',
        code: '23505',
        message,
        stack: pgQueryError(v, message, [
          ['insertUser', 'src/users/repo.ts'],
          ['signup', 'src/jobs/signup.ts'],
        ]),
      };
    },
  },
  {
    bug: 'pg: admin import inserts a duplicate email',
    occurrences: 3,
    make: (v) => {
      const message = 'duplicate key value violates unique constraint "users_email_key"';
      return {
        errorClass: 'error',
        code: '23505',
        message,
        stack: pgQueryError(v, message, [
          ['copyRows', 'src/admin/import-users.ts'],
          ['importBatch', 'src/jobs/import.ts'],
        ]),
      };
    },
  },
  {
    bug: 'pg: order references a deleted customer',
    occurrences: 3,
    make: (v) => {
      const message =
        'insert or update on table "orders" violates foreign key constraint "orders_customer_id_fkey"';
      return {
        errorClass: 'error',
        code: '23503',
        message,
        stack: pgQueryError(v, message, [
          ['saveOrder', 'src/orders/repo.ts'],
          ['placeOrder', 'src/jobs/orders.ts'],
        ]),
      };
    },
  },
  {
    bug: 'pg: bad uuid in a lookup',
    occurrences: 3,
    make: (v) => {
      const message = `invalid input syntax for type uuid: "${v.pick(['undefined', 'null', `ord-${v.int(1, 99999)}`, v.hex(10)])}"`;
      return {
        errorClass: 'error',
        code: '22P02',
        message,
        stack: pgQueryError(v, message, [
          ['findOrder', 'src/orders/repo.ts'],
          ['refund', 'src/jobs/refunds.ts'],
        ]),
      };
    },
  },
  {
    bug: 'pg: pool exhausted',
    occurrences: 4,
    make: (v) => {
      const root = appRoot(v);
      const message = 'timeout exceeded when trying to connect';
      return {
        errorClass: 'Error',
        code: null,
        message,
        stack: stackOf('Error', message, [
          libFrame(root, '', 'pg-pool/index.js', 45, 11),
          '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
          appFrame(v, root, 'query', 'src/db/pool.ts', { async: true }),
          appFrame(v, root, v.pick(['findOrder', 'findOrder']), 'src/orders/repo.ts', { async: true }),
          ...glue(v),
        ]),
      };
    },
  },
  {
    bug: 'pg: server refuses connections',
    occurrences: 4,
    make: (v) => {
      const message = `connect ECONNREFUSED ${v.pick(['127.0.0.1', v.ipv4()])}:5432`;
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
    bug: 'pg: statement timeout on the report query',
    occurrences: 3,
    make: (v) => {
      const message = 'canceling statement due to statement timeout';
      return {
        errorClass: 'error',
        code: '57014',
        message,
        stack: pgQueryError(v, message, [
          ['monthlyTotals', 'src/reports/sql.ts'],
          ['buildReport', 'src/jobs/reports.ts'],
        ]),
      };
    },
  },
];

const mysql: Bug[] = [
  {
    bug: 'mysql2: duplicate email on register',
    occurrences: 4,
    make: (v) => {
      const root = appRoot(v);
      const message = `Duplicate entry '${v.email()}' for key 'users.email'`;
      return {
        errorClass: 'Error',
        code: 'ER_DUP_ENTRY',
        message,
        stack: stackOf('Error', message, [
          libFrame(root, 'PromisePool.query', 'mysql2/promise.js', 356, 22),
          appFrame(v, root, 'create', 'src/accounts/store.ts', {
            receiver: v.pick(['AccountStore', 'Object']),
          }),
          appFrame(v, root, 'register', 'src/jobs/register.ts'),
          ...glue(v),
        ]),
      };
    },
  },
  {
    bug: 'mysql2: duplicate primary key on order line',
    occurrences: 3,
    make: (v) => {
      const root = appRoot(v);
      const message = `Duplicate entry '${v.int(1, 99999)}-${v.int(1, 40)}' for key 'order_lines.PRIMARY'`;
      return {
        errorClass: 'Error',
        code: 'ER_DUP_ENTRY',
        message,
        stack: stackOf('Error', message, [
          libFrame(root, 'PromisePool.query', 'mysql2/promise.js', 356, 22),
          appFrame(v, root, 'addLine', 'src/orders/lines.ts'),
          appFrame(v, root, 'placeOrder', 'src/jobs/orders.ts'),
          ...glue(v),
        ]),
      };
    },
  },
  {
    bug: 'mysql2: lock wait timeout on stock update',
    occurrences: 3,
    make: (v) => {
      const root = appRoot(v);
      const message = 'Lock wait timeout exceeded; try restarting transaction';
      return {
        errorClass: 'Error',
        code: 'ER_LOCK_WAIT_TIMEOUT',
        message,
        stack: stackOf('Error', message, [
          libFrame(root, 'PromiseConnection.execute', 'mysql2/promise.js', 112, 22),
          appFrame(v, root, 'reserveStock', 'src/inventory/stock.ts'),
          ...glue(v),
        ]),
      };
    },
  },
  {
    bug: 'mysql2: unknown column after a bad migration',
    occurrences: 3,
    make: (v) => {
      const root = appRoot(v);
      const message = "Unknown column 'discount_code' in 'field list'";
      return {
        errorClass: 'Error',
        code: 'ER_BAD_FIELD_ERROR',
        message,
        stack: stackOf('Error', message, [
          libFrame(root, 'PromisePool.query', 'mysql2/promise.js', 356, 22),
          appFrame(v, root, 'applyDiscount', 'src/orders/pricing.ts'),
          ...glue(v),
        ]),
      };
    },
  },
];

function prismaStack(v: Vary, errorClass: string, message: string, app: [string, string][]): string {
  const root = appRoot(v);
  return stackOf(errorClass, message, [
    libFrame(root, 'In.handleRequestError', '@prisma/client/runtime/library.js', 121, 7315),
    libFrame(root, 'In.handleAndLogRequestError', '@prisma/client/runtime/library.js', 121, 6623),
    libFrame(root, 'In.request', '@prisma/client/runtime/library.js', 121, 6307),
    libFrame(root, 'async l', '@prisma/client/runtime/library.js', 130, 9633),
    ...app.map(([fn, file]) => appFrame(v, root, fn, file, { async: true })),
    ...glue(v),
  ]);
}

function prismaInvocation(v: Vary, call: string, file: string, tail: string): string {
  const line = v.int(20, 90);
  return `\nInvalid \`${call}()\` invocation in\n/app/${file}:${line}:${v.int(10, 40)}\n\n  ${line - 2} export async function handler(input) {\n  ${line - 1}   const data = toRow(input)\n→ ${line}   await ${call}(\n${tail}`;
}

const prisma: Bug[] = [
  {
    bug: 'prisma: unique email on create',
    occurrences: 4,
    make: (v) => {
      const message = prismaInvocation(
        v,
        'prisma.user.create',
        'src/users/service.ts',
        'Unique constraint failed on the fields: (`email`)',
      );
      return {
        errorClass: 'PrismaClientKnownRequestError',
        code: 'P2002',
        message,
        stack: prismaStack(v, 'PrismaClientKnownRequestError', message, [
          ['createUser', 'src/users/service.ts'],
        ]),
      };
    },
  },
  {
    bug: 'prisma: update of a missing record',
    occurrences: 3,
    make: (v) => {
      const message = prismaInvocation(
        v,
        'prisma.order.update',
        'src/orders/service.ts',
        'An operation failed because it depends on one or more records that were required but not found. Record to update not found.',
      );
      return {
        errorClass: 'PrismaClientKnownRequestError',
        code: 'P2025',
        message,
        stack: prismaStack(v, 'PrismaClientKnownRequestError', message, [
          ['markShipped', 'src/orders/service.ts'],
        ]),
      };
    },
  },
  {
    bug: 'prisma: database unreachable',
    occurrences: 3,
    make: (v) => {
      const message = `Can't reach database server at \`db.internal:5432\`\n\nPlease make sure your database server is running at \`db.internal:5432\`.`;
      return {
        errorClass: 'PrismaClientInitializationError',
        code: 'P1001',
        message,
        stack: prismaStack(v, 'PrismaClientInitializationError', message, [
          [v.pick(['createUser', 'createUser']), 'src/users/service.ts'],
        ]),
      };
    },
  },
  {
    bug: 'prisma: connection pool timeout',
    occurrences: 3,
    make: (v) => {
      const message = `Timed out fetching a new connection from the connection pool. More info: http://pris.ly/d/connection-pool (Current connection pool timeout: ${v.pick([10, 10, 20])}, connection limit: ${v.pick([5, 9, 17])})`;
      return {
        errorClass: 'PrismaClientKnownRequestError',
        code: 'P2024',
        message,
        stack: prismaStack(v, 'PrismaClientKnownRequestError', message, [
          ['listOrders', 'src/orders/service.ts'],
        ]),
      };
    },
  },
];

/** Every SQL client bug of the corpus. */
export const SQL_BUGS: readonly Bug[] = [...pg, ...mysql, ...prisma];
