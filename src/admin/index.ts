/**
 * `redrive/admin`: the admin server (JSON API, web dashboard, Prometheus metrics), a separate entry
 * point so that `import 'redrive'` does not load Fastify, pino and prom-client.
 */

export type { DeadLetterSummary } from '../dlq/summary.js';
export type { AdminToken, Identity, Role, TrustedProxies } from './auth.js';
export { ROLES } from './auth.js';
export type { IdentifyRaw } from './context.js';
export type { AdminMetricsOptions, NamedBreaker, WorkerEventSource } from './metrics.js';
export { AdminMetrics, MAX_LABEL_VALUES, OTHER_LABEL } from './metrics.js';
export type { AdminServer, AdminServerOptions, BreakerInput } from './server.js';
export { createAdminServer, DEFAULT_ADMIN_PORT, DEFAULT_BODY_LIMIT } from './server.js';
export type { ThroughputPoint } from './throughput.js';
