/**
 * What every store keeps as a dead letter's payload when the caller's redaction transform throws:
 * the raw payload is never stored then, and all stores say so with the same words.
 */

/** The marker stored in place of a payload whose redaction failed. */
export const REDACTION_FAILED = '[REDACTED: the redaction transform failed]';

/**
 * A job's payload (JSON text) as its dead letter keeps it: through the caller's `redactPayload`,
 * or {@link REDACTION_FAILED} when the transform throws.
 */
export function redactedPayloadJson(
  redactPayload: (payload: unknown) => unknown,
  payloadJson: string,
): string {
  try {
    return JSON.stringify(redactPayload(JSON.parse(payloadJson)) ?? null);
  } catch {
    return JSON.stringify(REDACTION_FAILED);
  }
}
