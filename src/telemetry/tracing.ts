/**
 * Spans for redrive, named and attributed per the OpenTelemetry messaging semantic conventions:
 * a producer span `send <queue>` for an enqueue (its context travels in the job's headers), and a
 * consumer span `process <queue>` for each attempt, a child of the producer's context, with the
 * attempt, the outcome and the error. Dead-lettering is an event on the attempt's span.
 *
 * The trace context is written with the application's registered propagator; when that writes
 * nothing (no propagator registered), redrive writes the W3C `traceparent` itself, and reads it
 * back the same way, so a worker continues the trace whatever the setup.
 */
import type { Context, Span } from '@opentelemetry/api';
import { asError } from '../core/as-error.js';
import type { OtelApi } from './load.js';

/** Attribute names (messaging semantic conventions, plus redrive's own under `redrive.`). */
export const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  errorType: 'error.type',
  jobName: 'redrive.job.name',
  attempt: 'redrive.job.attempt',
  outcome: 'redrive.job.outcome',
  replayOf: 'redrive.job.replay_of',
  failureType: 'redrive.dead_letter.failure_type',
} as const;

/** `messaging.system` of every redrive span. */
export const MESSAGING_SYSTEM = 'redrive';

/** The name of the event recorded on an attempt's span when the job is dead-lettered. */
export const DEAD_LETTER_EVENT = 'redrive.dead_lettered';

/** How an attempt ended, as `redrive.job.outcome` says. */
export type AttemptOutcome =
  | 'completed'
  | 'retried'
  | 'rate_limited'
  | 'dead_lettered'
  | 'lease_lost'
  | 'abandoned';

/** What a consumer span describes. */
export interface ProcessTarget {
  id: string;
  /** The job's name (stream messages have none). */
  name?: string;
  attempt: number;
  headers: Readonly<Record<string, string>> | null;
  replayOf?: string | null;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Creates spans and carries their context in job headers, through the loaded API. */
export class Tracing {
  private readonly tracer;

  constructor(private readonly api: OtelApi) {
    this.tracer = api.trace.getTracer('redrive');
  }

  /**
   * Starts the producer span of an enqueue of `count` jobs (a batch when `count` is set) in the
   * caller's active context.
   */
  startSend(destination: string, jobName: string | undefined, count?: number): Span {
    const attributes: Record<string, string | number> = {
      [ATTR.system]: MESSAGING_SYSTEM,
      [ATTR.operationType]: 'send',
      [ATTR.operationName]: 'send',
      [ATTR.destination]: destination,
    };
    if (jobName !== undefined) attributes[ATTR.jobName] = jobName;
    if (count !== undefined) attributes[ATTR.batchCount] = count;
    return this.tracer.startSpan(`send ${destination}`, {
      kind: this.api.SpanKind.PRODUCER,
      attributes,
    });
  }

  /** `headers` plus the trace context of `span` (a new object; `headers` is left as it was). */
  inject(span: Span, headers: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
    const { api } = this;
    const carrier: Record<string, string> = { ...headers };
    api.propagation.inject(api.trace.setSpan(api.context.active(), span), carrier);
    if (carrier.traceparent === undefined) {
      const sc = span.spanContext();
      if (api.trace.isSpanContextValid(sc)) {
        carrier.traceparent = `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
      }
    }
    return carrier;
  }

  /** Ends a producer span once the store answered: with the job's id, or with the error. */
  endSend(span: Span, messageId: string | undefined, error?: unknown): void {
    if (messageId !== undefined) span.setAttribute(ATTR.messageId, messageId);
    if (error !== undefined) this.recordError(span, error);
    span.end();
  }

  /** Starts the consumer span of one attempt, a child of the context its headers carry. */
  startProcess(destination: string, job: ProcessTarget): { span: Span; context: Context } {
    const { api } = this;
    const parent = this.extract(job.headers);
    const attributes: Record<string, string | number> = {
      [ATTR.system]: MESSAGING_SYSTEM,
      [ATTR.operationType]: 'process',
      [ATTR.operationName]: 'process',
      [ATTR.destination]: destination,
      [ATTR.messageId]: job.id,
      [ATTR.attempt]: job.attempt,
    };
    if (job.name !== undefined) attributes[ATTR.jobName] = job.name;
    if (job.replayOf) attributes[ATTR.replayOf] = job.replayOf;
    const span = this.tracer.startSpan(
      `process ${destination}`,
      { kind: api.SpanKind.CONSUMER, attributes },
      parent,
    );
    return { span, context: api.trace.setSpan(parent, span) };
  }

  /** Runs `fn` with `context` active (the handler's own spans become children of the attempt's). */
  runIn<T>(context: Context, fn: () => T): T {
    return this.api.context.with(context, fn);
  }

  /**
   * Ends an attempt's span (from {@link Tracing.startProcess}, held untyped by the worker) with its
   * outcome, and the error of a failed attempt.
   */
  endProcess(attemptSpan: unknown, outcome: AttemptOutcome, error?: unknown, failureType?: string): void {
    const span = attemptSpan as Span;
    span.setAttribute(ATTR.outcome, outcome);
    if (outcome === 'dead_lettered') {
      span.addEvent(DEAD_LETTER_EVENT, failureType === undefined ? {} : { [ATTR.failureType]: failureType });
    }
    if (error !== undefined) this.recordError(span, error);
    span.end();
  }

  private recordError(span: Span, error: unknown): void {
    const err = asError(error);
    span.recordException(err);
    span.setAttribute(ATTR.errorType, err.name);
    span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: err.message });
  }

  /** The context a job's headers carry (the propagator's reading, else the W3C `traceparent`). */
  private extract(headers: Readonly<Record<string, string>> | null): Context {
    const { api } = this;
    // Never the active context: a worker may be woken inside an unrelated caller's span.
    const root = api.ROOT_CONTEXT;
    if (headers === null) return root;
    const extracted = api.propagation.extract(root, headers);
    if (api.trace.getSpanContext(extracted) !== undefined) return extracted;
    const match = headers.traceparent === undefined ? null : TRACEPARENT.exec(headers.traceparent);
    if (match === null) return extracted;
    return api.trace.setSpanContext(extracted, {
      traceId: match[2]!,
      spanId: match[3]!,
      traceFlags: Number.parseInt(match[4]!, 16),
      isRemote: true,
    });
  }
}
