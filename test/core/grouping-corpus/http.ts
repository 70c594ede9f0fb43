/**
 * Corpus: HTTP and API clients — undici / fetch, axios, Stripe, AWS SDK v3 and jsonwebtoken.
 */
import { appFrame, appRoot, type Bug, glue, libFrame, stackOf, type Vary, withCause } from './build.js';

function fetchFailed(v: Vary, cause: [cls: string, message: string, frames: string[]]): string {
  const root = appRoot(v);
  const top = stackOf('TypeError', 'fetch failed', [
    '    at node:internal/deps/undici/undici:13502:13',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    appFrame(v, root, 'deliverWebhook', 'src/webhooks/deliver.ts', { async: true }),
    appFrame(v, root, 'run', 'src/jobs/webhooks.ts', { async: true }),
    ...glue(v),
  ]);
  return withCause(top, ...cause);
}

const fetchBugs: Bug[] = [
  {
    bug: 'fetch: webhook endpoint refuses connections',
    occurrences: 4,
    make: (v) => ({
      errorClass: 'TypeError',
      code: null,
      message: 'fetch failed',
      stack: fetchFailed(v, [
        'Error',
        `connect ECONNREFUSED ${v.ipv4()}:443`,
        ['    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)'],
      ]),
    }),
  },
  {
    bug: 'fetch: webhook host does not resolve',
    occurrences: 3,
    make: (v) => ({
      errorClass: 'TypeError',
      code: null,
      message: 'fetch failed',
      stack: fetchFailed(v, [
        'Error',
        'getaddrinfo ENOTFOUND hooks.partner.example',
        ['    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26)'],
      ]),
    }),
  },
  {
    bug: 'fetch: webhook connect timeout',
    occurrences: 4,
    make: (v) => ({
      errorClass: 'TypeError',
      code: null,
      message: 'fetch failed',
      stack: fetchFailed(v, [
        'ConnectTimeoutError',
        `Connect Timeout Error (attempted address: hooks.partner.example:443, timeout: ${v.pick([10000, 10000, 5000])}ms)`,
        [
          '    at onConnectTimeout (node:internal/deps/undici/undici:2331:28)',
          '    at node:internal/deps/undici/undici:2283:50',
          '    at Immediate._onImmediate (node:internal/deps/undici/undici:2315:13)',
          '    at process.processImmediate (node:internal/timers:478:21)',
        ],
      ]),
    }),
  },
  {
    bug: 'fetch: upstream closes the socket',
    occurrences: 3,
    make: (v) => ({
      errorClass: 'TypeError',
      code: null,
      message: 'fetch failed',
      stack: fetchFailed(v, [
        'SocketError',
        'other side closed',
        [
          '    at Socket.onSocketEnd (node:internal/deps/undici/undici:8903:26)',
          '    at Socket.emit (node:events:529:35)',
          '    at endReadableNT (node:internal/streams/readable:1400:12)',
          '    at process.processTicksAndRejections (node:internal/process/task_queues:82:21)',
        ],
      ]),
    }),
  },
];

function axiosStack(v: Vary, message: string, app: [string, string][]): string {
  const root = appRoot(v);
  return stackOf('AxiosError', message, [
    libFrame(root, 'settle', 'axios/lib/core/settle.js', 19, 12),
    libFrame(root, 'IncomingMessage.handleStreamEnd', 'axios/lib/adapters/http.js', 599, 11),
    '    at IncomingMessage.emit (node:events:529:35)',
    '    at endReadableNT (node:internal/streams/readable:1400:12)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:82:21)',
    libFrame(root, 'Axios.request', 'axios/lib/core/Axios.js', 45, 41),
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ...app.map(([fn, file]) => appFrame(v, root, fn, file, { async: true })),
  ]);
}

const axios: Bug[] = [
  {
    bug: 'axios: profile service returns 404 for deleted users',
    occurrences: 4,
    make: (v) => ({
      errorClass: 'AxiosError',
      code: 'ERR_BAD_REQUEST',
      message: 'Request failed with status code 404',
      stack: axiosStack(v, 'Request failed with status code 404', [
        ['fetchProfile', 'src/clients/profile.ts'],
        ['syncUser', 'src/jobs/sync-user.ts'],
      ]),
    }),
  },
  {
    bug: 'axios: profile service is down (503)',
    occurrences: 4,
    make: (v) => ({
      errorClass: 'AxiosError',
      code: 'ERR_BAD_RESPONSE',
      message: 'Request failed with status code 503',
      stack: axiosStack(v, 'Request failed with status code 503', [
        ['fetchProfile', 'src/clients/profile.ts'],
        ['syncUser', 'src/jobs/sync-user.ts'],
      ]),
    }),
  },
  {
    bug: 'axios: profile service returns 502',
    occurrences: 3,
    make: (v) => ({
      errorClass: 'AxiosError',
      code: 'ERR_BAD_RESPONSE',
      message: 'Request failed with status code 502',
      stack: axiosStack(v, 'Request failed with status code 502', [
        ['fetchProfile', 'src/clients/profile.ts'],
        ['syncUser', 'src/jobs/sync-user.ts'],
      ]),
    }),
  },
  {
    bug: 'axios: shipping quote times out',
    occurrences: 4,
    make: (v) => {
      const root = appRoot(v);
      const message = `timeout of ${v.pick([5000, 5000, 8000])}ms exceeded`;
      return {
        errorClass: 'AxiosError',
        code: 'ECONNABORTED',
        message,
        stack: stackOf('AxiosError', message, [
          libFrame(root, 'RedirectableRequest.handleRequestTimeout', 'axios/lib/adapters/http.js', 652, 16),
          '    at RedirectableRequest.emit (node:events:517:28)',
          libFrame(root, 'Timeout.<anonymous>', 'follow-redirects/index.js', 210, 12),
          '    at listOnTimeout (node:internal/timers:569:17)',
          '    at process.processTimers (node:internal/timers:512:7)',
          libFrame(root, 'Axios.request', 'axios/lib/core/Axios.js', 45, 41),
          '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
          appFrame(v, root, 'quote', 'src/shipping/carrier.ts', { async: true }),
        ]),
      };
    },
  },
];

function stripeStack(v: Vary, errorClass: string, message: string, app: [string, string][]): string {
  const root = appRoot(v);
  return stackOf(errorClass, message, [
    libFrame(root, 'StripeError.generate', 'stripe/cjs/Error.js', 10, 20),
    libFrame(
      root,
      'res.toJSON.then.Error_js_1.StripeAPIError.message',
      'stripe/cjs/RequestSender.js',
      105,
      62,
    ),
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ...app.map(([fn, file]) => appFrame(v, root, fn, file, { async: true })),
    ...glue(v),
  ]);
}

const stripe: Bug[] = [
  {
    bug: 'stripe: card declined on renewal',
    occurrences: 4,
    make: (v) => ({
      errorClass: 'StripeCardError',
      code: 'card_declined',
      message: 'Your card was declined.',
      stack: stripeStack(v, 'StripeCardError', 'Your card was declined.', [
        ['chargeRenewal', 'src/billing/renewals.ts'],
      ]),
    }),
  },
  {
    bug: 'stripe: insufficient funds on renewal',
    occurrences: 3,
    make: (v) => ({
      errorClass: 'StripeCardError',
      code: 'card_declined',
      message: 'Your card has insufficient funds.',
      stack: stripeStack(v, 'StripeCardError', 'Your card has insufficient funds.', [
        ['chargeRenewal', 'src/billing/renewals.ts'],
      ]),
    }),
  },
  {
    bug: 'stripe: customer deleted before renewal',
    occurrences: 4,
    make: (v) => {
      const message = `No such customer: 'cus_${v.base62(14)}'`;
      return {
        errorClass: 'StripeInvalidRequestError',
        code: 'resource_missing',
        message,
        stack: stripeStack(v, 'StripeInvalidRequestError', message, [
          ['chargeRenewal', 'src/billing/renewals.ts'],
        ]),
      };
    },
  },
  {
    bug: 'stripe: refund of an unknown charge',
    occurrences: 3,
    make: (v) => {
      const message = `No such charge: 'ch_${v.base62(24)}'`;
      return {
        errorClass: 'StripeInvalidRequestError',
        code: 'resource_missing',
        message,
        stack: stripeStack(v, 'StripeInvalidRequestError', message, [
          ['refundCharge', 'src/billing/refunds.ts'],
        ]),
      };
    },
  },
  {
    bug: 'stripe: idempotency key reused with other parameters',
    occurrences: 3,
    make: (v) => {
      const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${v.uuid()}' if you meant to execute a different request.`;
      return {
        errorClass: 'StripeIdempotencyError',
        code: 'idempotency_key_in_use',
        message,
        stack: stripeStack(v, 'StripeIdempotencyError', message, [
          ['createPaymentIntent', 'src/billing/checkout.ts'],
        ]),
      };
    },
  },
];

function awsStack(
  v: Vary,
  errorClass: string,
  message: string,
  client: string,
  app: [string, string][],
): string {
  const root = appRoot(v);
  return stackOf(errorClass, message, [
    libFrame(root, 'throwDefaultError', '@smithy/smithy-client/dist-cjs/index.js', 840, 20),
    libFrame(root, '', '@smithy/smithy-client/dist-cjs/index.js', 849, 5),
    libFrame(root, 'de_CommandError', `@aws-sdk/${client}/dist-cjs/index.js`, 2150, 14),
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    libFrame(root, 'async', '@smithy/middleware-serde/dist-cjs/index.js', 35, 20),
    libFrame(root, 'async', '@smithy/core/dist-cjs/index.js', 165, 18),
    libFrame(root, 'async', '@smithy/middleware-retry/dist-cjs/index.js', 320, 38),
    libFrame(root, 'async', '@aws-sdk/middleware-logger/dist-cjs/index.js', 33, 22),
    ...app.map(([fn, file]) => appFrame(v, root, fn, file, { async: true })),
  ]);
}

const aws: Bug[] = [
  {
    bug: 'aws: DynamoDB conditional write lost a race',
    occurrences: 4,
    make: (v) => ({
      errorClass: 'ConditionalCheckFailedException',
      code: null,
      message: 'The conditional request failed',
      stack: awsStack(
        v,
        'ConditionalCheckFailedException',
        'The conditional request failed',
        'client-dynamodb',
        [['claimSlot', 'src/booking/slots.ts']],
      ),
    }),
  },
  {
    bug: 'aws: DynamoDB throttled',
    occurrences: 3,
    make: (v) => ({
      errorClass: 'ProvisionedThroughputExceededException',
      code: null,
      message:
        'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
      stack: awsStack(
        v,
        'ProvisionedThroughputExceededException',
        'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
        'client-dynamodb',
        [['claimSlot', 'src/booking/slots.ts']],
      ),
    }),
  },
  {
    bug: 'aws: S3 invoice object missing',
    occurrences: 4,
    make: (v) => ({
      errorClass: 'NoSuchKey',
      code: null,
      message: 'The specified key does not exist.',
      stack: awsStack(v, 'NoSuchKey', 'The specified key does not exist.', 'client-s3', [
        ['loadInvoicePdf', 'src/invoices/storage.ts'],
        ['emailInvoice', 'src/jobs/invoices.ts'],
      ]),
    }),
  },
  {
    bug: 'aws: SQS send denied by policy',
    occurrences: 3,
    make: (v) => {
      const message = `User: arn:aws:sts::${v.pick(['123456789012', '123456789012'])}:assumed-role/orders-worker/i-0${v.hex(16)} is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:eu-west-1:123456789012:order-events because no identity-based policy allows the sqs:sendmessage action`;
      return {
        errorClass: 'AccessDenied',
        code: null,
        message,
        stack: awsStack(v, 'AccessDenied', message, 'client-sqs', [
          ['publishOrderEvent', 'src/orders/events.ts'],
        ]),
      };
    },
  },
];

function jwtStack(v: Vary, errorClass: string, message: string): string {
  const root = appRoot(v);
  return stackOf(errorClass, message, [
    libFrame(root, '', 'jsonwebtoken/verify.js', v.pick([190, 190]), 21),
    libFrame(root, 'getSecret', 'jsonwebtoken/verify.js', 97, 14),
    libFrame(root, 'module.exports [as verify]', 'jsonwebtoken/verify.js', 101, 10),
    appFrame(v, root, 'verifyCallbackToken', 'src/auth/tokens.ts', { async: false }),
    appFrame(v, root, 'handleCallback', 'src/jobs/oauth-callback.ts'),
    ...glue(v),
  ]);
}

const jwt: Bug[] = [
  {
    bug: 'jwt: callback token expired',
    occurrences: 4,
    make: (v) => ({
      errorClass: 'TokenExpiredError',
      code: null,
      message: 'jwt expired',
      stack: jwtStack(v, 'TokenExpiredError', 'jwt expired'),
    }),
  },
  {
    bug: 'jwt: callback token signed with another key',
    occurrences: 3,
    make: (v) => ({
      errorClass: 'JsonWebTokenError',
      code: null,
      message: 'invalid signature',
      stack: jwtStack(v, 'JsonWebTokenError', 'invalid signature'),
    }),
  },
  {
    bug: 'jwt: callback token for another audience',
    occurrences: 3,
    make: (v) => {
      const message = `jwt audience invalid. expected: ${v.pick(['api://orders', 'api://orders'])}`;
      return {
        errorClass: 'JsonWebTokenError',
        code: null,
        message,
        stack: jwtStack(v, 'JsonWebTokenError', message),
      };
    },
  },
  {
    bug: 'jwt: malformed token logged by the gateway',
    occurrences: 3,
    make: (v) => {
      const message = `token ${v.jwt()} rejected at ${v.httpDate()}: jwt malformed`;
      return {
        errorClass: 'JsonWebTokenError',
        code: null,
        message,
        stack: jwtStack(v, 'JsonWebTokenError', message),
      };
    },
  },
];

/** Every HTTP / API client bug of the corpus. */
export const HTTP_BUGS: readonly Bug[] = [...fetchBugs, ...axios, ...stripe, ...aws, ...jwt];
