/**
 * An OpenTelemetry SDK for tests: spans go to an in-memory exporter, the context follows async
 * calls (AsyncLocalStorage), and optionally the W3C propagator is registered. `shutdown` undoes
 * every global registration, so test files do not leak into each other.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** The registered SDK and what it exported. */
export interface TestSdk {
  exporter: InMemorySpanExporter;
  /** Finished spans named `name`, in the order they ended. */
  spans(name?: string): ReadableSpan[];
  shutdown(): Promise<void>;
}

/** Registers a tracer provider with an in-memory exporter (and the W3C propagator unless told not to). */
export function registerTestSdk(options: { propagator?: boolean } = {}): TestSdk {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager);
  if (options.propagator !== false) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    exporter,
    spans: (name) => exporter.getFinishedSpans().filter((s) => name === undefined || s.name === name),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
