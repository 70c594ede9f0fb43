/**
 * A worker traced with OpenTelemetry. An HTTP-like request span enqueues three jobs; the worker
 * continues each job's trace (`send orders` -> `process orders`), one job fails once and is
 * retried, one is dead-lettered. Each finished span is printed as one JSON line, then the process
 * exits. In a real service, register your SDK (for example `@opentelemetry/sdk-node` with an OTLP
 * exporter) instead of the in-memory one below; the redrive side stays the same.
 *
 *   npx tsx examples/worker-otel.ts        (DATA_DIR for the database)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { PermanentError, Queue, SqliteStore, Worker } from '../src/index.js';

// 1. The application's OpenTelemetry setup (here: spans kept in memory, printed at the end).
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

// 2. redrive with tracing on: producer spans on add, consumer spans in the worker.
const dataDir = process.env.DATA_DIR ?? join(process.cwd(), 'data');
mkdirSync(dataDir, { recursive: true });
const store = new SqliteStore({ path: join(dataDir, 'example-otel.db') });
const telemetry = { tracing: true };
const orders = new Queue<{ sku: string }>('orders', { store, telemetry });
const tracer = trace.getTracer('example');

const worker = new Worker<{ sku: string }>(
  'orders',
  async (job) => {
    // Spans the handler makes are children of the attempt's `process orders` span.
    return tracer.startActiveSpan('reserve stock', (span) => {
      try {
        if (job.payload.sku === 'discontinued') throw new PermanentError('sku is discontinued');
        if (job.payload.sku === 'flaky' && job.attempt === 1) throw new Error('warehouse timeout');
        return { reserved: job.payload.sku };
      } finally {
        span.end();
      }
    });
  },
  { store, telemetry, backoff: { type: 'fixed', delayMs: 10 } },
);

await tracer.startActiveSpan('POST /orders', async (span) => {
  for (const sku of ['a-1', 'flaky', 'discontinued']) await orders.add('order', { sku });
  span.end();
});
await orders.waitUntilEmpty({ timeoutMs: 20_000 });
await worker.close();
await orders.close();
await store.close();

// 3. One line per span: what a trace backend would show.
for (const span of exporter.getFinishedSpans()) {
  console.log(
    JSON.stringify({
      name: span.name,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId ?? null,
      status: span.status.code,
      attributes: span.attributes,
      events: span.events.map((e) => e.name),
    }),
  );
}
await provider.shutdown();
