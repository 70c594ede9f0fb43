/**
 * The JSON text of a retried attempt as the job row stores it (without its stack, which is kept
 * apart: attempt-stacks.ts), written field by field instead of through `JSON.stringify` of a copy
 * without the stack. A failure storm records thousands of attempts that share their worker id,
 * error class and message: each of those is quoted once and reused while it repeats, so an
 * attempt costs its two times and a few concatenations (`JSON.stringify` quoted every string and
 * formatted every time again, about 9k instructions an attempt on Node 20).
 */
import type { AttemptRecord } from '../../core/job.js';

/** The last string quoted for one field, and its JSON text. */
class QuotedField {
  private text: string | undefined;
  private json = '';

  of(text: string): string {
    if (text !== this.text) {
      this.json = JSON.stringify(text);
      this.text = text;
    }
    return this.json;
  }
}

/** Writes attempts as JSON text without their stack; one per failure writer (not shared). */
export class AttemptJsonWriter {
  private readonly outcome = new QuotedField();
  private readonly workerId = new QuotedField();
  private readonly orphanedWhile = new QuotedField();
  private readonly errorClass = new QuotedField();
  private readonly errorCode = new QuotedField();
  private readonly message = new QuotedField();

  /**
   * `attempt` as `JSON.stringify` writes it with its stack left out: its own keys in their order,
   * undefined values left out. A key or value of a kind the record does not have (a number that is
   * not finite, a nested value, an unknown field) goes through `JSON.stringify` instead.
   */
  withoutStack(attempt: AttemptRecord): string {
    let json = '{';
    for (const key in attempt) {
      const value = (attempt as unknown as Record<string, unknown>)[key];
      if (value === undefined || key === 'stack') continue;
      let field: QuotedField | undefined;
      switch (key) {
        case 'attempt':
        case 'startedAt':
        case 'endedAt':
          if (typeof value !== 'number' || !Number.isFinite(value)) return stringifyWithoutStack(attempt);
          json += `${json.length > 1 ? ',' : ''}"${key}":${value}`;
          continue;
        case 'outcome':
          field = this.outcome;
          break;
        case 'workerId':
          field = this.workerId;
          break;
        case 'orphanedWhile':
          field = this.orphanedWhile;
          break;
        case 'errorClass':
          field = this.errorClass;
          break;
        case 'errorCode':
          field = this.errorCode;
          break;
        case 'message':
          field = this.message;
          break;
        default:
          return stringifyWithoutStack(attempt);
      }
      if (typeof value === 'string') json += `${json.length > 1 ? ',' : ''}"${key}":${field.of(value)}`;
      else if (value === null) json += `${json.length > 1 ? ',' : ''}"${key}":null`;
      else return stringifyWithoutStack(attempt);
    }
    return `${json}}`;
  }
}

/** The general case: a copy with the stack undefined (left out), faster than a rest pattern. */
function stringifyWithoutStack(attempt: AttemptRecord): string {
  return JSON.stringify(attempt.stack === undefined ? attempt : { ...attempt, stack: undefined });
}
