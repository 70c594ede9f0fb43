/**
 * Errors as JSON: `{ "error": { "code", "message", "details"? } }`, whatever failed — a redrive
 * error (its own `code` and `status`), a body Fastify refused (malformed JSON, too large, wrong
 * content type), or a bug (500, logged, with a generic message).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RedriveError } from '../core/errors.js';

/** The error body every route answers with. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Builds an error body. */
export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The longest path segment (an id) the router reads; a longer one is a 414. */
export const MAX_PARAM_LENGTH = 300;

const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_BAD_URL: {
    status: 400,
    code: 'BAD_URL',
    message: 'the URL path is not valid (a malformed %-escape)',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'URI_TOO_LONG',
    message: `a path segment (an id) is longer than ${MAX_PARAM_LENGTH} characters`,
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'INVALID_JSON', message: 'the JSON body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST' },
};

/** Maps anything thrown to a status and an error body. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (error instanceof RedriveError) {
    return {
      status: error.status,
      body: errorBody(error.code, error.message, error.details),
      internal: false,
    };
  }
  const e = error as Partial<FastifyError> & { message?: string };
  const known = typeof e?.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (known) {
    return {
      status: known.status,
      body: errorBody(known.code, known.message ?? stripFastifyPrefix(e.message ?? known.code)),
      internal: false,
    };
  }
  if (error instanceof SyntaxError && (e as { statusCode?: number }).statusCode === 400) {
    return {
      status: 400,
      body: errorBody('INVALID_JSON', `malformed JSON: ${error.message}`),
      internal: false,
    };
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return {
      status,
      body: errorBody('BAD_REQUEST', stripFastifyPrefix(e.message ?? 'bad request')),
      internal: false,
    };
  }
  return {
    status: 500,
    body: errorBody('INTERNAL', 'internal server error (see the server log)'),
    internal: true,
  };
}

function stripFastifyPrefix(message: string): string {
  return message.replace(/^FST_[A-Z_]+:\s*/, '');
}

/** Fastify's error handler: logs bugs, answers JSON. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body, internal } = toErrorResponse(error);
  if (internal) request.log.error({ err: error }, 'request failed');
  else if (status >= 500)
    request.log.warn({ code: body.error.code, msg: body.error.message }, 'service unavailable');
  if (status === 429) {
    const retryAfterMs = Number(body.error.details?.retryAfterMs);
    if (Number.isFinite(retryAfterMs))
      reply.header('retry-after', Math.max(1, Math.ceil(retryAfterMs / 1000)));
  }
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * Answers a request Node's HTTP parser refused before Fastify saw it (headers too large: 431, a
 * timeout: 408, anything else malformed: 400) in the same error shape, then closes the socket.
 */
export function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request took too long to arrive']
        : [400, 'BAD_REQUEST', 'the request is not valid HTTP'];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
