/**
 * Strict parsing of a time given as text (query strings, command-line options): milliseconds since
 * the epoch, or an ISO 8601 date or date-time. `Date.parse` alone is too forgiving for input: it
 * reads `March 7` as 2001-03-07 and `2026-02-30` as March 2, which a filter would then apply
 * silently.
 */

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-](\d{2}):?(\d{2}))?)?$/;

/** What {@link parseTimeText} accepts, for messages. */
export const TIME_TEXT_FORMATS =
  'milliseconds since the epoch or an ISO 8601 date (2026-03-07, 2026-03-07T10:00:00Z)';

/**
 * Milliseconds since the epoch for `text`, or null when it is neither a whole number of
 * milliseconds nor a valid ISO 8601 date / date-time (a date-time without a zone is local time,
 * a date alone is UTC midnight, as in `Date.parse`).
 */
export function parseTimeText(text: string): number | null {
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const match = ISO_8601.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, zoneHour, zoneMinute] = match.map(Number);
  const calendar = new Date(Date.UTC(year!, month! - 1, day!));
  if (
    calendar.getUTCFullYear() !== year ||
    calendar.getUTCMonth() !== month! - 1 ||
    calendar.getUTCDate() !== day
  )
    return null;
  if (match[4] !== undefined && (hour! > 23 || minute! > 59 || (match[6] !== undefined && second! > 59)))
    return null;
  if (match[8] !== undefined && (zoneHour! > 23 || zoneMinute! > 59)) return null;
  const value = Date.parse(
    match[4] === undefined ? `${match[1]}-${match[2]}-${match[3]}` : text.replace(' ', 'T'),
  );
  return Number.isFinite(value) ? value : null;
}
