/**
 * OpenTelemetry tracing of enqueue and processing, checked with the SDK's in-memory exporter:
 * span names, kinds and messaging attributes, the producer -> consumer link carried in the job's
 * headers, outcomes and errors, dead-lettering, bulk sends and replays.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterQueue, PermanentError } from '../../src/index.js';
import { createHarness, type Harness } from '../queue/helpers.js';
import { registerTestSdk, type TestSdk } from './otel-sdk.js';

let h: Harness;
let sdk: TestSdk;
beforeEach(() => {
  h = createHarness();
  sdk = registerTestSdk();
});
afterEach(async () => {
  await h.cleanup();
  await sdk.shutdown();
});

const TRACED = { telemetry: { tracing: true } };

function childOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.spanContext().traceId === parent.spanContext().traceId &&
    child.parentSpanContext?.spanId === parent.spanContext().spanId
  );
}

describe('tracing enqueue and processing', () => {
  it('continues the caller trace: request -> send <queue> -> process <queue> -> handler span', async () => {
    const q = h.queue<{ n: number }>('emails', TRACED);
    const tracer = trace.getTracer('test');
    const { id } = await tracer.startActiveSpan('request', async (span) => {
      try {
        return await q.add('welcome', { n: 1 }, { headers: { tenant: 'acme' } });
      } finally {
        span.end();
      }
    });
    const seen: Record<string, string>[] = [];
    h.worker<{ n: number }>(
      'emails',
      async (job) => {
        seen.push({ ...job.headers });
        tracer.startSpan('handler work').end();
      },
      TRACED,
    );
    await h.waitFor(() => sdk.spans('process emails').length === 1, { what: 'process span' });

    const [request] = sdk.spans('request');
    const [send] = sdk.spans('send emails');
    const [process] = sdk.spans('process emails');
    const [work] = sdk.spans('handler work');
    expect(send!.kind).toBe(SpanKind.PRODUCER);
    expect(send!.attributes).toEqual({
      'messaging.system': 'redrive',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'emails',
      'messaging.message.id': id,
      'redrive.job.name': 'welcome',
    });
    expect(childOf(send!, request!)).toBe(true);
    // The job carries the producer span's context (W3C) beside its own headers.
    expect(seen).toEqual([
      {
        tenant: 'acme',
        traceparent: `00-${send!.spanContext().traceId}-${send!.spanContext().spanId}-01`,
      },
    ]);
    expect(process!.kind).toBe(SpanKind.CONSUMER);
    expect(process!.attributes).toEqual({
      'messaging.system': 'redrive',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'emails',
      'messaging.message.id': id,
      'redrive.job.name': 'welcome',
      'redrive.job.attempt': 1,
      'redrive.job.outcome': 'completed',
    });
    expect(process!.status.code).toBe(SpanStatusCode.UNSET);
    expect(childOf(process!, send!)).toBe(true);
    expect(childOf(work!, process!)).toBe(true);
  });

  it('records each failed attempt: retried with its error, then dead-lettered with an event', async () => {
    const q = h.queue('charges', TRACED);
    await q.add('charge', {}, { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 5 } });
    h.worker(
      'charges',
      async (job) => {
        throw job.attempt === 1 ? new TypeError('card reader jammed') : new PermanentError('card declined');
      },
      TRACED,
    );
    await h.waitFor(() => sdk.spans('process charges').length === 2, { advanceMs: 5, what: 'two attempts' });
    const [first, second] = sdk.spans('process charges');
    const [send] = sdk.spans('send charges');
    expect(first!.attributes).toMatchObject({
      'redrive.job.attempt': 1,
      'redrive.job.outcome': 'retried',
      'error.type': 'TypeError',
    });
    expect(first!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card reader jammed' });
    expect(first!.events.map((e) => e.name)).toEqual(['exception']);
    expect(first!.events[0]!.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'card reader jammed',
    });
    expect(second!.attributes).toMatchObject({
      'redrive.job.attempt': 2,
      'redrive.job.outcome': 'dead_lettered',
      'error.type': 'PermanentError',
    });
    expect(second!.events.map((e) => [e.name, e.attributes])).toEqual([
      ['redrive.dead_lettered', { 'redrive.dead_letter.failure_type': 'permanent' }],
      ['exception', expect.objectContaining({ 'exception.message': 'card declined' })],
    ]);
    // Both attempts continue the enqueue's trace.
    expect(childOf(first!, send!)).toBe(true);
    expect(childOf(second!, send!)).toBe(true);
  });

  it('traces a bulk add as one send span whose context every job carries', async () => {
    const q = h.queue<number>('bulk', TRACED);
    const added = await q.addBulk([
      { name: 'a', payload: 1 },
      { name: 'b', payload: 2, options: { headers: { own: 'yes' } } },
      { name: 'c', payload: 3 },
    ]);
    const seen: [string, Record<string, string> | null][] = [];
    h.worker<number>(
      'bulk',
      async (job) => {
        seen.push([job.name, job.headers]);
      },
      TRACED,
    );
    await h.waitFor(() => sdk.spans('process bulk').length === 3, { what: 'three process spans' });
    const sends = sdk.spans('send bulk');
    expect(sends).toHaveLength(1);
    expect(sends[0]!.attributes).toMatchObject({ 'messaging.batch.message_count': 3 });
    for (const span of sdk.spans('process bulk')) expect(childOf(span, sends[0]!)).toBe(true);
    expect(
      sdk
        .spans('process bulk')
        .map((s) => s.attributes['messaging.message.id'])
        .sort(),
    ).toEqual(added.map((a) => a.id).sort());
    expect(seen.find(([name]) => name === 'b')?.[1]).toMatchObject({ own: 'yes' });
  });

  it('a replayed job continues the original trace and names the dead letter it replays', async () => {
    const q = h.queue('imports', TRACED);
    const { id } = await q.add('import', {});
    h.worker(
      'imports',
      async (job) => {
        if (job.replayOf === null) throw new PermanentError('bad file');
      },
      TRACED,
    );
    await h.waitFor(async () => (await q.getJob(id))?.state === 'dead_lettered', { what: 'dead letter' });
    const dlq = new DeadLetterQueue({ store: h.store, clock: h.clock });
    const [entry] = (await dlq.list({})).results;
    // The original job row is gone: the dead letter's copy of the headers keeps the link.
    await h.store.removeJobs({ states: ['dead_lettered'], limit: 10 });
    await dlq.retry(entry!.id, { actor: 'ann' });
    await h.waitFor(() => sdk.spans('process imports').length === 2, { what: 'replay processed' });
    const [send] = sdk.spans('send imports');
    const [original, replay] = sdk.spans('process imports');
    expect(original!.attributes['redrive.job.outcome']).toBe('dead_lettered');
    expect(replay!.attributes).toMatchObject({
      'redrive.job.outcome': 'completed',
      'redrive.job.replay_of': entry!.id,
    });
    expect(childOf(replay!, send!)).toBe(true);
  });

  it('without tracing, jobs carry no trace headers and no span is made', async () => {
    const q = h.queue('plain');
    await q.add('x', {});
    const seen: unknown[] = [];
    h.worker('plain', async (job) => {
      seen.push(job.headers);
    });
    await h.waitFor(() => seen.length === 1, { what: 'job ran' });
    expect(seen).toEqual([null]);
    expect(sdk.spans()).toEqual([]);
  });
});
