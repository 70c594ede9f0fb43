/**
 * What every store keeps as a dead letter's payload when the caller's redaction transform throws:
 * the raw payload is never stored then, and all stores say so with the same words.
 */

import type { PayloadRedaction } from '../job-store.js';

/** The marker stored in place of a payload whose redaction failed. */
export const REDACTION_FAILED = '[REDACTED: the redaction transform failed]';

/**
 * A job's payload (JSON text) as its dead letter keeps it: through the caller's `redactPayload`,
 * or {@link REDACTION_FAILED} when the transform throws; as it is when the redactor can tell from
 * the text that nothing in it would change.
 */
export function redactedPayloadJson(redactPayload: PayloadRedaction, payloadJson: string): string {
  if (redactPayload.mayChangeJson?.(payloadJson) === false) return payloadJson;
  try {
    return JSON.stringify(redactPayload(JSON.parse(payloadJson)) ?? null);
  } catch {
    return JSON.stringify(REDACTION_FAILED);
  }
}
