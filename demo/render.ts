/**
 * Text for the terminal: the live view (redrawn in place on a TTY), the plain one-line-per-second
 * form for logs and pipes, and the summary printed at exit.
 */
import type { DemoStats, QueueCounters, QueueSnapshot } from './stats.js';

type Row = (string | number)[];

/** Lays out rows as columns: the first left-aligned, the others right-aligned. */
function table(rows: Row[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, String(cell).length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]!) : String(cell).padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

const STORE_COLUMNS = ['waiting', 'scheduled', 'active', 'completed', 'dead_lettered'] as const;

/** The live view as lines. */
export function liveFrame(params: {
  path: string;
  elapsedMs: number;
  durationMs: number | undefined;
  snapshots: QueueSnapshot[];
  stats: DemoStats;
  /** The dashboard's URL (with its token), shown under the title. */
  dashboardUrl?: string | undefined;
}): string[] {
  const { snapshots, stats } = params;
  const clock =
    params.durationMs === undefined
      ? `${seconds(params.elapsedMs)}`
      : `${seconds(params.elapsedMs)} of ${seconds(params.durationMs)}`;
  // The store's counts (every job in the database), then this run's completion rate and retries;
  // this run's dead letters are in the line below the table (the store's column already counts them).
  const rows: Row[] = [['queue', ...STORE_COLUMNS.map((c) => c.replace('_', '-')), 'completed/s', 'retries']];
  let rate = 0;
  for (const s of snapshots) {
    rate += s.rate;
    rows.push([
      s.queue,
      ...STORE_COLUMNS.map((c) => s.counts[c]),
      s.rate.toFixed(1),
      s.counters.retried + s.counters.rateLimited,
    ]);
  }
  const totals = stats.totals();
  rows.push([
    'total',
    ...STORE_COLUMNS.map((c) => snapshots.reduce((n, s) => n + s.counts[c], 0)),
    rate.toFixed(1),
    totals.retried + totals.rateLimited,
  ]);
  const lines = [
    `redrive demo · ${params.path} · ${clock} · Ctrl-C stops gracefully`,
    ...(params.dashboardUrl ? [`dashboard: ${params.dashboardUrl}`] : []),
    '',
    ...table(rows),
    '',
    `this run: added ${totals.added} · completed ${totals.completed} · retried ${totals.retried}` +
      ` · rate-limited ${totals.rateLimited} · timed out ${totals.timedOut}` +
      ` · dead-lettered ${totals.deadLettered} · stalled ${totals.stalled}`,
    '(waiting … dead-lettered: every job in the database; completed/s and retries: this run, retries including rate-limit delays)',
    '',
    'recent:',
    ...(stats.recent.length === 0 ? ['  (nothing yet)'] : stats.recent.map((line) => `  ${line}`)),
  ];
  return lines;
}

/**
 * The live view for output that is not a terminal (logs, pipes): one short line per queue, every
 * number labelled, with its unit.
 */
export function plainLines(elapsedMs: number, snapshots: QueueSnapshot[]): string[] {
  return snapshots.map((s) => {
    const c = s.counts;
    const retries = s.counters.retried + s.counters.rateLimited;
    return (
      `[${seconds(elapsedMs)}] ${s.queue}: ${c.waiting} waiting, ${c.scheduled} scheduled, ${c.active} active,` +
      ` ${c.completed} completed, ${c.dead_lettered} dead-lettered;` +
      ` this run: ${s.rate.toFixed(1)} completed/s, ${retries} retries`
    );
  });
}

/** The summary printed when the demo stops. */
export function summary(params: {
  path: string;
  elapsedMs: number;
  snapshots: QueueSnapshot[];
  stats: DemoStats;
  reason: string;
}): string[] {
  const { snapshots, stats } = params;
  const header: Row = [
    'queue',
    'added',
    'completed',
    'retried',
    'rate-limited',
    'timed out',
    'dead-lettered',
    'still queued',
  ];
  const line = (name: string, c: QueueCounters, queued: number): Row => [
    name,
    c.added,
    c.completed,
    c.retried,
    c.rateLimited,
    c.timedOut,
    c.deadLettered,
    queued,
  ];
  const queued = (s: QueueSnapshot) => s.counts.waiting + s.counts.scheduled + s.counts.active;
  const rows: Row[] = [header];
  for (const s of snapshots) rows.push(line(s.queue, s.counters, queued(s)));
  rows.push(
    line(
      'total',
      stats.totals(),
      snapshots.reduce((n, s) => n + queued(s), 0),
    ),
  );
  const reasons = [...stats.deadLetterReasons.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return [
    '',
    `redrive demo summary: ${params.reason} after ${(params.elapsedMs / 1000).toFixed(1)} s`,
    '',
    ...table(rows),
    '',
    `dead letters by failure type: ${reasons || 'none'}`,
    ...(stats.workerErrors > 0 ? [`worker errors survived: ${stats.workerErrors}`] : []),
    `still queued jobs stay in ${params.path} and run on the next \`npm start\`.`,
    `inspect it: npx redrive stats --store sqlite:${params.path}`,
  ];
}
