/**
 * The admin API client: bearer token (from the URL hash or the login box, kept in
 * sessionStorage), JSON in and out, and errors as {@link ApiError} with the server's code.
 */
import { encodeValue } from './filters.js';
import type {
  AuditEntry,
  BatchPreview,
  BatchReplayResult,
  BatchResolveResult,
  DeadLetter,
  DeadLetterFilter,
  DeadLetterPage,
  Facets,
  FailureGroup,
  Overview,
  ReplayResult,
  ResolveResult,
  ScanReport,
  ThroughputPoint,
  WhoAmI,
} from './types.js';

const TOKEN_KEY = 'redrive.token';

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // sessionStorage unavailable (privacy mode): the token lives for this page only.
  }
  memoryToken = token;
}

let memoryToken: string | null = null;

/** An error answered by the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** A 409 because the entity moved on since it was displayed. */
  get isStale(): boolean {
    return this.status === 409 && this.details.reason === 'stale_generation';
  }
}

/** Called on every 401, so the app can show the login box. */
let onUnauthorized: (error: ApiError) => void = () => {};

export function setUnauthorizedHandler(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | boolean | null | undefined>;

function apiUrl(path: string, query?: Query): string {
  // Relative to the page, so the dashboard also works behind a path prefix.
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined || value === '') continue;
    url.searchParams.set(key, String(value));
  }
  return url.toString();
}

async function request<T>(
  method: string,
  path: string,
  options: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
) {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken() ?? memoryToken;
  if (token) headers.authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers, cache: 'no-store' };
  if (options.signal) init.signal = options.signal;
  if (method !== 'GET' && method !== 'DELETE') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body ?? {});
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), init);
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', `The server did not answer (${(error as Error).message})`);
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
      ?.error;
    const error = new ApiError(
      response.status,
      err?.code ?? `HTTP_${response.status}`,
      err?.message ?? `${response.status} ${response.statusText}`,
      err?.details ?? {},
    );
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return data as T;
}

// ---- filters -----------------------------------------------------------------------------------

/** The list filter as query parameters (`status=a,b`, `payload.<path>=<value>`). */
export function filterQuery(filter: DeadLetterFilter): Query {
  const query: Query = {
    status: filter.status && filter.status.length > 0 ? filter.status.join(',') : undefined,
    domain: filter.domain,
    queue: filter.queue,
    failureType: filter.failureType,
    q: filter.q,
    entityId: filter.entityId,
    fingerprint: filter.fingerprint,
    from: filter.from,
    to: filter.to,
  };
  for (const condition of filter.where ?? []) query[condition.path] = encodeValue(condition.value);
  return query;
}

/** The filter as a request body (empty fields left out). */
export function filterBody(filter: DeadLetterFilter): DeadLetterFilter {
  const body: DeadLetterFilter = {};
  if (filter.status && filter.status.length > 0) body.status = [...filter.status];
  for (const key of ['domain', 'queue', 'failureType', 'q', 'entityId', 'fingerprint'] as const) {
    const value = filter[key];
    if (value) body[key] = value;
  }
  if (filter.from !== undefined) body.from = filter.from;
  if (filter.to !== undefined) body.to = filter.to;
  if (filter.where && filter.where.length > 0) body.where = filter.where.map((w) => ({ ...w }));
  return body;
}

// ---- routes ------------------------------------------------------------------------------------

/** A running job as the overview lists it (fields of the jobs API it reads). */
export interface ActiveJobRow {
  id: string;
  queue: string;
  name: string;
  attemptsMade: number;
  workerId: string | null;
  progress: unknown;
}

export const api = {
  whoami: () => request<WhoAmI>('GET', 'whoami'),
  activeJobs: (limit = 20) =>
    request<{ items: ActiveJobRow[] }>('GET', 'jobs', { query: { state: 'active', limit } }),
  overview: () => request<Overview>('GET', 'overview'),
  throughput: (queue: string, windowSeconds = 300) =>
    request<{ points: ThroughputPoint[] }>('GET', `queues/${encodeURIComponent(queue)}/throughput`, {
      query: { window: windowSeconds },
    }),
  pauseQueue: (queue: string) =>
    request<{ name: string; paused: boolean }>('POST', `queues/${encodeURIComponent(queue)}/pause`),
  resumeQueue: (queue: string) =>
    request<{ name: string; paused: boolean }>('POST', `queues/${encodeURIComponent(queue)}/resume`),

  deadLetters: (
    filter: DeadLetterFilter,
    page: { page: number; pageSize: number; order: 'newest' | 'oldest'; cursor?: string },
    signal?: AbortSignal,
  ) =>
    request<DeadLetterPage>('GET', 'dead-letters', {
      query: { ...filterQuery(filter), ...page },
      ...(signal ? { signal } : {}),
    }),
  facets: (filter: DeadLetterFilter, signal?: AbortSignal) =>
    request<Facets>('GET', 'dead-letters/facets', {
      query: filterQuery(filter),
      ...(signal ? { signal } : {}),
    }),
  topFailures: (filter: DeadLetterFilter, limit = 10, signal?: AbortSignal) =>
    request<{ items: FailureGroup[]; scan: ScanReport | null }>('GET', 'dead-letters/top-failures', {
      query: { ...filterQuery(filter), limit },
      ...(signal ? { signal } : {}),
    }),
  deadLetter: (id: string) => request<DeadLetter>('GET', `dead-letters/${encodeURIComponent(id)}`),
  replay: (id: string, generation: number) =>
    request<ReplayResult>('POST', `dead-letters/${encodeURIComponent(id)}/replay`, { body: { generation } }),
  forceReplay: (id: string, body: { generation: number; reason: string; ticket?: string }) =>
    request<ReplayResult>('POST', `dead-letters/${encodeURIComponent(id)}/force-replay`, { body }),
  resolve: (id: string, body: { generation: number; note?: string }) =>
    request<ResolveResult>('POST', `dead-letters/${encodeURIComponent(id)}/resolve`, { body }),
  preview: (selection: { filter: DeadLetterFilter } | { ids: string[] }) =>
    request<BatchPreview>('POST', 'dead-letters/batch/preview', { body: selection }),
  batchResolve: (body: {
    ids?: string[];
    filter?: DeadLetterFilter;
    generations?: Record<string, number>;
    note?: string;
    dryRun?: boolean;
  }) => request<BatchResolveResult>('POST', 'dead-letters/batch/resolve', { body }),
  batchReplay: (body: {
    filter?: { domain?: string; queue?: string; failureType?: string };
    batchSize?: number;
    dryRun?: boolean;
  }) => request<BatchReplayResult>('POST', 'dead-letters/batch/replay', { body }),
  purge: (olderThanDays: number, dryRun = false) =>
    request<{ purged: number; dryRun: boolean }>('POST', 'dead-letters/purge', {
      body: { olderThanDays, ...(dryRun ? { dryRun } : {}) },
    }),
  audit: (query: {
    deadLetterId?: string;
    action?: string;
    actor?: string;
    limit?: number;
    before?: number;
  }) => request<{ items: AuditEntry[]; nextBefore: number | null }>('GET', 'audit', { query }),
};
