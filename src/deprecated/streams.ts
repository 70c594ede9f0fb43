/**
 * Names the root entry exported before `redrive/streams` existed (StreamProcessor and its types). They
 * keep working from `redrive` for one minor version, deprecated. Each is declared here rather than
 * re-exported, so that its `@deprecated` tag reaches the built declarations (the declaration bundler
 * drops tags on re-export specifiers) and editors strike it through. A class stays usable with `new`,
 * `extends` and `instanceof`, and as a type.
 */

import * as streams from '../entries/streams.js';

/** @deprecated Import from `redrive/streams`. */
export const ClaimLostError = streams.ClaimLostError;
/** @deprecated Import from `redrive/streams`. */
export type ClaimLostError = streams.ClaimLostError;
/** @deprecated Import from `redrive/streams`. */
export const DLQ_FIELDS = streams.DLQ_FIELDS;
/** @deprecated Import from `redrive/streams`. */
export type DlqReplayOptions = streams.DlqReplayOptions;
/** @deprecated Import from `redrive/streams`. */
export type DlqReplayResult = streams.DlqReplayResult;
/** @deprecated Import from `redrive/streams`. */
export const ProcessorStoppingError = streams.ProcessorStoppingError;
/** @deprecated Import from `redrive/streams`. */
export type ProcessorStoppingError = streams.ProcessorStoppingError;
/** @deprecated Import from `redrive/streams`. */
export const REPLAYED_FROM_DLQ = streams.REPLAYED_FROM_DLQ;
/** @deprecated Import from `redrive/streams`. */
export type StreamDeadLetterEntry<V extends streams.StreamFieldValue = string> =
  streams.StreamDeadLetterEntry<V>;
/** @deprecated Import from `redrive/streams`. */
export type StreamDeadLetterFilter<V extends streams.StreamFieldValue = string> =
  streams.StreamDeadLetterFilter<V>;
/** @deprecated Import from `redrive/streams`. */
export type StreamFieldEncoding = streams.StreamFieldEncoding;
/** @deprecated Import from `redrive/streams`. */
export type StreamFieldValue<E extends streams.StreamFieldEncoding = streams.StreamFieldEncoding> =
  streams.StreamFieldValue<E>;
/** @deprecated Import from `redrive/streams`. */
export type StreamHandler<V extends streams.StreamFieldValue = string> = streams.StreamHandler<V>;
/** @deprecated Import from `redrive/streams`. */
export type StreamHandlerContext = streams.StreamHandlerContext;
/** @deprecated Import from `redrive/streams`. */
export type StreamHealth = streams.StreamHealth;
/** @deprecated Import from `redrive/streams`. */
export type StreamMessage<V extends streams.StreamFieldValue = string> = streams.StreamMessage<V>;
/** @deprecated Import from `redrive/streams`. */
export const StreamProcessor = streams.StreamProcessor;
/** @deprecated Import from `redrive/streams`. */
export type StreamProcessor<E extends streams.StreamFieldEncoding = 'string'> = streams.StreamProcessor<E>;
/** @deprecated Import from `redrive/streams`. */
export type StreamProcessorEvents = streams.StreamProcessorEvents;
/** @deprecated Import from `redrive/streams`. */
export type StreamProcessorOptions<E extends streams.StreamFieldEncoding = 'string'> =
  streams.StreamProcessorOptions<E>;
/** @deprecated Import from `redrive/streams`. */
export type StreamProcessorStats = streams.StreamProcessorStats;
