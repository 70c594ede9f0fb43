/**
 * Outcomes of a command that acts on dead letters one id at a time (`dlq replay <id...>`,
 * `dlq force-replay <id>`): a redrive error fails that entry only, and the table or JSON lists each.
 */
import { RedriveError } from '../../../core/errors.js';
import type { ReplayResult } from '../../../dlq/replay-runner.js';
import { formatTable, printJson, wrap } from '../../format.js';

/** One entry's outcome. */
export interface DeadLetterActionOutcome {
  id: string;
  ok: boolean;
  result: ReplayResult | null;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
}

/** Runs `action` per id, turning redrive errors into failed outcomes. */
export async function perEntry(
  ids: readonly string[],
  action: (id: string) => Promise<ReplayResult>,
): Promise<DeadLetterActionOutcome[]> {
  const out: DeadLetterActionOutcome[] = [];
  for (const id of ids) {
    try {
      const result = await action(id);
      out.push({ id, ok: result.success, result, error: null });
    } catch (error) {
      if (!(error instanceof RedriveError)) throw error;
      out.push({
        id,
        ok: false,
        result: null,
        error: {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      });
    }
  }
  return out;
}

/** Prints outcomes (table or JSON) and sets exit code 1 when any failed. */
export function reportOutcomes(outcomes: DeadLetterActionOutcome[], json: boolean | undefined): void {
  if (json) printJson({ results: outcomes });
  else {
    const rows = outcomes.map((o) => [
      o.id,
      o.ok ? (o.result?.dryRun ? 'ok (dry run)' : 'ok') : 'failed',
      o.result?.status ?? '-',
      o.result ? `${o.result.replayCount}/${o.result.maxReplays}` : '-',
      wrap(o.error?.message ?? o.result?.error ?? o.result?.message, 90),
    ]);
    process.stdout.write(`${formatTable(['ID', 'RESULT', 'STATUS', 'REPLAYS', 'DETAIL'], rows)}\n`);
  }
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}
