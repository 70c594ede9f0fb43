/**
 * Error causes in a stored stack. A dead letter stores one text stack; the error's `cause` chain
 * (and an `AggregateError`'s first error) is appended to it as `Caused by: <stack>` blocks, the
 * way Java prints chained exceptions, so the record keeps it and grouping can tell `fetch failed`
 * caused by a refused connection from `fetch failed` caused by a DNS failure.
 */

const MAX_CAUSES = 3;

/** The next error in the chain: `cause`, else an `AggregateError`'s first error. */
function nextCause(error: Error): unknown {
  if (error.cause !== undefined && error.cause !== null) return error.cause;
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.length > 0 ? errors[0] : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return typeof error === 'string' ? `Error: ${error}` : `Error: ${String(error)}`;
}

/** The error's stack followed by its causes (at most three, cycles cut) as `Caused by:` blocks. */
export function stackWithCauses(error: Error): string | null {
  // Most errors have no cause: their stack is returned as it is, the same string (whose hash the
  // memos keyed by stack text then compute once).
  if (nextCause(error) === undefined) return error.stack ?? null;
  const parts: string[] = [];
  const seen = new Set<unknown>([error]);
  let current: unknown = error;
  while (current instanceof Error && parts.length < MAX_CAUSES) {
    const cause = nextCause(current);
    if (cause === undefined || seen.has(cause)) break;
    seen.add(cause);
    parts.push(`Caused by: ${describe(cause)}`);
    current = cause;
  }
  if (error.stack === undefined && parts.length === 0) return null;
  return [error.stack ?? `${error.name}: ${error.message}`, ...parts].join('\n');
}

/** The causes recorded in a stored stack: each one's class and message (first line). */
export function causesInStack(stack: string | null | undefined): { errorClass: string; message: string }[] {
  if (!stack?.includes('\nCaused by: ')) return [];
  const causes: { errorClass: string; message: string }[] = [];
  for (const block of stack.split('\nCaused by: ').slice(1, MAX_CAUSES + 1)) {
    const header = block.slice(0, block.indexOf('\n') < 0 ? undefined : block.indexOf('\n'));
    const colon = header.indexOf(': ');
    const errorClass = colon < 0 ? header : header.slice(0, colon);
    causes.push({ errorClass: errorClass.trim(), message: colon < 0 ? '' : header.slice(colon + 2) });
  }
  return causes;
}
