/**
 * Corpus: Node's own fs, net and dns errors, and application errors whose messages carry the
 * variable parts of everyday services (durations, request ids, hex transaction ids, S3 keys with
 * dates, IPv6 peers, base64 blobs, epoch times).
 */
import { appFrame, appRoot, type Bug, glue, stackOf, type Vary } from './build.js';

function fsStack(v: Vary, message: string, app: [string, string][]): string {
  const root = appRoot(v);
  return stackOf('Error', message, [
    '    at async open (node:internal/fs/promises:639:25)',
    '    at async Object.readFile (node:internal/fs/promises:1242:14)',
    ...app.map(([fn, file]) => appFrame(v, root, fn, file, { async: true })),
    ...glue(v),
  ]);
}

const fsBugs: Bug[] = [
  {
    bug: 'fs: uploaded CSV gone before import',
    occurrences: 4,
    make: (v) => {
      const message = `ENOENT: no such file or directory, open '/var/data/uploads/2026/${v.int(1, 12)}/${v.int(1, 28)}/${v.uuid()}.csv'`;
      return {
        errorClass: 'Error',
        code: 'ENOENT',
        message,
        stack: fsStack(v, message, [
          ['readUpload', 'src/imports/files.ts'],
          ['importCsv', 'src/jobs/import.ts'],
        ]),
      };
    },
  },
  {
    bug: 'fs: tenant config file missing',
    occurrences: 3,
    make: (v) => {
      const message = "ENOENT: no such file or directory, open '/etc/orders/tenants.json'";
      return {
        errorClass: 'Error',
        code: 'ENOENT',
        message,
        stack: fsStack(v, message, [['loadTenants', 'src/config/tenants.ts']]),
      };
    },
  },
  {
    bug: 'fs: report directory not writable',
    occurrences: 3,
    make: (v) => {
      const message = `EACCES: permission denied, open '/var/reports/${v.isoTime().slice(0, 10)}/report-${v.hex(8)}.pdf'`;
      return {
        errorClass: 'Error',
        code: 'EACCES',
        message,
        stack: fsStack(v, message, [['writeReport', 'src/reports/output.ts']]),
      };
    },
  },
];

const netBugs: Bug[] = [
  {
    bug: 'net: SMTP relay resets connections',
    occurrences: 4,
    make: () => ({
      errorClass: 'Error',
      code: 'ECONNRESET',
      message: 'read ECONNRESET',
      stack: stackOf('Error', 'read ECONNRESET', [
        '    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)',
      ]),
    }),
  },
  {
    bug: 'net: IPv6 peer of the ledger times out',
    occurrences: 3,
    make: (v) => {
      const message = `connect ETIMEDOUT 2001:db8:${v.int(1, 9)}::${v.int(10, 99)}:7443`;
      return {
        errorClass: 'Error',
        code: 'ETIMEDOUT',
        message,
        stack: stackOf('Error', message, [
          '    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
        ]),
      };
    },
  },
];

const dnsBugs: Bug[] = [
  {
    bug: 'dns: payments host does not resolve',
    occurrences: 3,
    make: () => ({
      errorClass: 'Error',
      code: 'ENOTFOUND',
      message: 'getaddrinfo ENOTFOUND payments.internal.example',
      stack: stackOf('Error', 'getaddrinfo ENOTFOUND payments.internal.example', [
        '    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26)',
      ]),
    }),
  },
  {
    bug: 'dns: resolver times out for the mail host',
    occurrences: 3,
    make: () => ({
      errorClass: 'Error',
      code: 'EAI_AGAIN',
      message: 'getaddrinfo EAI_AGAIN smtp.mail.example',
      stack: stackOf('Error', 'getaddrinfo EAI_AGAIN smtp.mail.example', [
        '    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26)',
      ]),
    }),
  },
];

function appError(v: Vary, errorClass: string, message: string, app: [string, string][]): string {
  const root = appRoot(v);
  return stackOf(errorClass, message, [...app.map(([fn, file]) => appFrame(v, root, fn, file)), ...glue(v)]);
}

const appBugs: Bug[] = [
  {
    bug: 'app: inventory upstream slow',
    occurrences: 4,
    make: (v) => {
      const message = `upstream timed out after ${v.int(3000, 30000)}ms (request req_${v.hex(12)})`;
      return {
        errorClass: 'UpstreamTimeoutError',
        code: null,
        message,
        stack: appError(v, 'UpstreamTimeoutError', message, [
          ['callInventory', 'src/inventory/client.ts'],
          ['reserve', 'src/jobs/reserve.ts'],
        ]),
      };
    },
  },
  {
    bug: 'app: ledger transaction reverted',
    occurrences: 3,
    make: (v) => {
      const message = `txn 0x${v.hex(v.pick([4, 8, 64]))} reverted at block ${v.int(1000000, 9999999)} (${v.httpDate()})`;
      return {
        errorClass: 'LedgerError',
        code: null,
        message,
        stack: appError(v, 'LedgerError', message, [['postEntry', 'src/ledger/chain.ts']]),
      };
    },
  },
  {
    bug: 'app: export object already exists',
    occurrences: 3,
    make: (v) => {
      const day = v.isoTime();
      const message = `export s3://exports-bucket/tenants/${v.int(100, 999)}/${day.slice(0, 10)}/${day.replace(/[:.]/g, '-')}.ndjson already exists (created ${day})`;
      return {
        errorClass: 'ExportConflictError',
        code: null,
        message,
        stack: appError(v, 'ExportConflictError', message, [['startExport', 'src/exports/s3.ts']]),
      };
    },
  },
  {
    bug: 'app: signature check failed on a webhook body',
    occurrences: 3,
    make: (v) => {
      const body = Buffer.from(
        `{"id":"evt_${v.base62(24)}","type":"invoice.paid","created":${v.int(1.7e9, 1.8e9)}}`,
      ).toString('base64');
      const message = `signature mismatch for body ${body} (timestamp ${v.int(1.7e9, 1.8e9)}, from ${v.ipv4()})`;
      return {
        errorClass: 'WebhookSignatureError',
        code: null,
        message,
        stack: appError(v, 'WebhookSignatureError', message, [
          ['verifySignature', 'src/webhooks/verify.ts'],
          ['receive', 'src/jobs/webhooks-in.ts'],
        ]),
      };
    },
  },
  {
    bug: 'app: user lookup by email finds nobody',
    occurrences: 3,
    make: (v) => {
      const message = `no account for ${v.email()} (tenant ${v.objectId()}, since ${v.isoTime()})`;
      return {
        errorClass: 'NotFoundError',
        code: null,
        message,
        stack: appError(v, 'NotFoundError', message, [['findAccount', 'src/accounts/lookup.ts']]),
      };
    },
  },
];

/** Every Node and application bug of the corpus. */
export const NODE_BUGS: readonly Bug[] = [...fsBugs, ...netBugs, ...dnsBugs, ...appBugs];

/**
 * Harder application messages: values in words, amounts with separators, durations in mixed
 * units, enum values quoted by a validator. The last bug is one the rules cannot recognize (an
 * unquoted data value that looks like a code word), kept to show what the measure charges for it.
 */
export const HARD_BUGS: readonly Bug[] = [
  {
    bug: 'app: card limit exceeded',
    occurrences: 4,
    make: (v) => {
      const message = `amount ${v.pick(['1,234.56', '12.00', '980', '15,000.00'])} exceeds the daily limit of ${v.pick(['1,000.00', '500'])} for card ending ${v.int(1000, 9999)}`;
      return {
        errorClass: 'LimitError',
        code: 'LIMIT',
        message,
        stack: appError(v, 'LimitError', message, [['authorize', 'src/billing/limits.ts']]),
      };
    },
  },
  {
    bug: 'app: thumbnail render too slow',
    occurrences: 4,
    make: (v) => {
      const message = `render took ${v.pick(['950ms', '1.2s', '2.75s', '1830ms'])}, budget ${v.pick(['800ms', '1s'])}`;
      return {
        errorClass: 'BudgetExceededError',
        code: null,
        message,
        stack: appError(v, 'BudgetExceededError', message, [['renderThumbnail', 'src/media/thumbnails.ts']]),
      };
    },
  },
  {
    bug: 'mongodb: order saved with an unknown status',
    occurrences: 3,
    make: (v) => {
      const status = v.pick(['shipped_x', 'cancelled ', 'REFUNDED', 'pending-review']);
      const message = `Order validation failed: status: \`${status}\` is not a valid enum value for path \`status\`.`;
      return {
        errorClass: 'ValidationError',
        code: null,
        message,
        stack: appError(v, 'ValidationError', message, [['saveOrder', 'src/orders/mongo.ts']]),
      };
    },
  },
  {
    bug: 'pg: order without a customer email',
    occurrences: 3,
    make: (v) => {
      const message = 'null value in column "email" of relation "customers" violates not-null constraint';
      return {
        errorClass: 'error',
        code: '23502',
        message,
        stack: appError(v, 'error', message, [['upsertCustomer', 'src/customers/repo.ts']]),
      };
    },
  },
  {
    bug: 'app: checkout with an unsupported currency',
    occurrences: 3,
    make: (v) => {
      const message = `unsupported currency ${v.pick(['XAU', 'BTC', 'EURO', 'XAU'])} in cart ${v.uuid()}`;
      return {
        errorClass: 'CheckoutError',
        code: null,
        message,
        stack: appError(v, 'CheckoutError', message, [['priceCart', 'src/checkout/pricing.ts']]),
      };
    },
  },
  {
    bug: 'app: CSV row with a bad date (first row thrown before any await)',
    occurrences: 4,
    make: (v) => {
      const root = appRoot(v);
      const message = `row ${v.int(1, 5000)}: invalid date "${v.pick(['31/02/2026', 'tomorrow', ''])}"`;
      // Before the first await the stack holds the synchronous callers; after it, only awaiting ones.
      const frames = v.pick([
        [
          ['parseRow', false],
          ['importRows', false],
          ['importFile', false],
        ],
        [
          ['parseRow', false],
          ['importRows', true],
          ['runImportJob', true],
        ],
      ] as const);
      return {
        errorClass: 'RangeError',
        code: null,
        message,
        stack: stackOf('RangeError', message, [
          ...frames.map(([fn, isAsync]) => appFrame(v, root, fn, 'src/imports/csv.ts', { async: isAsync })),
          ...glue(v),
        ]),
      };
    },
  },
];
