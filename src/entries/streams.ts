/**
 * `redrive/streams`: `StreamProcessor`, a Redis Streams consumer-group processor with reclaim of
 * stalled messages, a dead-letter stream, replay from it, and health reporting.
 */

export { DLQ_FIELDS, REPLAYED_FROM_DLQ } from '../streams/dlq-format.js';
export { ClaimLostError, ProcessorStoppingError } from '../streams/errors.js';
export type { StreamProcessorOptions } from '../streams/options.js';
export { StreamProcessor } from '../streams/stream-processor.js';
export type {
  DeadLetterEntry as StreamDeadLetterEntry,
  DeadLetterFilter as StreamDeadLetterFilter,
  DlqReplayOptions,
  DlqReplayResult,
  FieldEncoding as StreamFieldEncoding,
  FieldValue as StreamFieldValue,
  StreamHandler,
  StreamHandlerContext,
  StreamHealth,
  StreamMessage,
  StreamProcessorEvents,
  StreamProcessorStats,
} from '../streams/types.js';
export type { TelemetryOptions } from '../telemetry/options.js';
