/**
 * What every store keeps as a dead letter's payload when the caller's redaction transform throws:
 * the raw payload is never stored then, and all stores say so with the same words.
 */

/** The marker stored in place of a payload whose redaction failed. */
export const REDACTION_FAILED = '[REDACTED: the redaction transform failed]';
