/**
 * Tracing where the setup is partial: no propagator registered (redrive writes and reads the W3C
 * `traceparent` itself), and tracing off (the API is never imported).
 */
import { trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadTracing } from '../../src/telemetry/load.js';
import { createHarness, type Harness } from '../queue/helpers.js';
import { registerTestSdk, type TestSdk } from './otel-sdk.js';

let h: Harness;
let sdk: TestSdk;
beforeEach(() => {
  h = createHarness();
  sdk = registerTestSdk({ propagator: false });
});
afterEach(async () => {
  await h.cleanup();
  await sdk.shutdown();
});

describe('tracing fallbacks', () => {
  it('links producer and consumer through traceparent when no propagator is registered', async () => {
    const q = h.queue('fallback', { telemetry: { tracing: true } });
    await trace.getTracer('test').startActiveSpan('request', async (span) => {
      await q.add('x', {});
      span.end();
    });
    h.worker('fallback', async () => undefined, { telemetry: { tracing: true } });
    await h.waitFor(() => sdk.spans('process fallback').length === 1, { what: 'process span' });
    const [send] = sdk.spans('send fallback');
    const [process] = sdk.spans('process fallback');
    expect(process!.spanContext().traceId).toBe(send!.spanContext().traceId);
    expect(process!.parentSpanContext?.spanId).toBe(send!.spanContext().spanId);
  });

  it('never imports the API when tracing is off', async () => {
    const importer = vi.fn(() => import('@opentelemetry/api'));
    expect(loadTracing(undefined, importer)).toBeUndefined();
    expect(loadTracing({}, importer)).toBeUndefined();
    expect(loadTracing({ tracing: false }, importer)).toBeUndefined();
    expect(importer).not.toHaveBeenCalled();
    expect(await loadTracing({ tracing: true }, importer)).not.toBeNull();
    expect(importer).toHaveBeenCalledTimes(1);
  });
});
