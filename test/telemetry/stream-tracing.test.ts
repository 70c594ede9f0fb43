/**
 * StreamProcessor tracing on a real Redis: a consumer span `process <stream>` per handler run,
 * continuing the trace context a producer put in the message's `traceparent` field, with the
 * attempt, the outcome, the error and the dead-letter event.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { StreamFixture } from '../streams/helpers.js';
import { redisService } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { registerTestSdk, type TestSdk } from './otel-sdk.js';

const redis = await redisService();

describe.skipIf(!redis.available)('StreamProcessor tracing', () => {
  let fx: StreamFixture;
  let sdk: TestSdk;
  beforeEach(() => {
    fx = new StreamFixture();
    sdk = registerTestSdk();
  });
  afterEach(async () => {
    await fx.close();
    await sdk.shutdown();
  });

  it('continues the producer trace from the message fields; a message without them starts a trace', async () => {
    const tracer = trace.getTracer('test');
    const producer = tracer.startSpan('produce');
    const fields: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), producer), fields);
    producer.end();
    const [traced] = await fx.add(0, 1, fields);
    const [plain] = await fx.add(1, 2);
    const processor = fx.processor(
      async () => {
        tracer.startSpan('handler work').end();
      },
      { telemetry: { tracing: true } },
    );
    await processor.start();
    await waitFor('two runs traced', () => sdk.spans(`process ${fx.stream}`).length === 2);
    const runs = sdk.spans(`process ${fx.stream}`);
    const run = runs.find((s) => s.attributes['messaging.message.id'] === traced)!;
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.attributes).toEqual({
      'messaging.system': 'redrive',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': fx.stream,
      'messaging.message.id': traced,
      'redrive.job.attempt': 1,
      'redrive.job.outcome': 'completed',
    });
    expect(run.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(run.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    const other = runs.find((s) => s.attributes['messaging.message.id'] === plain)!;
    expect(other.parentSpanContext).toBeUndefined();
    expect(other.spanContext().traceId).not.toBe(producer.spanContext().traceId);
    for (const work of sdk.spans('handler work')) {
      expect(runs.some((r) => r.spanContext().spanId === work.parentSpanContext?.spanId)).toBe(true);
    }
  });

  it('records a failed run as retried or dead-lettered, with its error', async () => {
    await fx.add(0, 1);
    const processor = fx.processor(
      async (m) => {
        throw m.attempt === 1 ? new Error('flaky') : new PermanentError('bad message');
      },
      { telemetry: { tracing: true }, retryDelayMs: 250 },
    );
    await processor.start();
    await waitFor('dead-lettered', () => processor.stats().deadLettered === 1, {
      timeoutMs: 10_000,
    });
    const [first, second] = sdk.spans(`process ${fx.stream}`);
    expect(first!.attributes).toMatchObject({ 'redrive.job.attempt': 1, 'redrive.job.outcome': 'retried' });
    expect(first!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'flaky' });
    expect(second!.attributes).toMatchObject({
      'redrive.job.attempt': 2,
      'redrive.job.outcome': 'dead_lettered',
      'error.type': 'PermanentError',
    });
    expect(second!.events.map((e) => e.name)).toContain('redrive.dead_lettered');
  });
});
