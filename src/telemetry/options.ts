/**
 * How a queue, worker or stream processor is told to trace.
 */

/**
 * Telemetry settings. Tracing is opt-in: `@opentelemetry/api` is often installed by some other
 * library without anyone wanting every job traced, so redrive loads it (by dynamic import) only
 * when `tracing` is true. Without the package, tracing stays off with one process warning and
 * nothing else changes.
 */
export interface TelemetryOptions {
  /**
   * Trace with OpenTelemetry (`@opentelemetry/api`, an optional peer dependency): producer spans
   * `send <queue>` on enqueue with the trace context carried in the job's headers, consumer spans
   * `process <queue>` continuing it in the worker. Default false.
   */
  tracing?: boolean;
}
