/**
 * Filters on a dead letter's JSON fields as operators type them (`payload.customerId=42`), read
 * the same way by the admin API and the CLI.
 */

/** The JSON fields a filter may name, each with the dot that starts its path. */
export const JSON_FILTER_PREFIXES = ['payload.', 'metadata.', 'snapshot.', 'requestData.', 'responseData.'];

/** Parses a value typed for a JSON field filter: JSON literals keep their type, anything else is text. */
export function jsonFilterValue(text: string): string | number | boolean | null {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      return value as string | number | boolean | null;
    }
  } catch {
    // Not a JSON literal: plain text.
  }
  return text;
}
