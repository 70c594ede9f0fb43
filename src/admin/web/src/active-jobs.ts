/**
 * The overview's active jobs: what runs now, on which worker, and how far each job got (the value
 * its handler last passed to `job.updateProgress`: a number as a bar, anything else as JSON).
 */
import type { ActiveJobRow } from './api.js';
import { h } from './dom.js';

/** A job's progress as the table shows it. */
function progressCell(progress: unknown): HTMLElement {
  if (progress === null || progress === undefined) return h('span', { class: 'muted' }, '—');
  if (typeof progress === 'number' && Number.isFinite(progress)) {
    const pct = Math.max(0, Math.min(100, progress));
    return h(
      'span',
      { class: 'progress', 'data-testid': 'job-progress' },
      h('progress', { max: '100', value: String(pct), 'aria-label': `${pct}%` }),
      ` ${pct}%`,
    );
  }
  return h('code', { 'data-testid': 'job-progress' }, JSON.stringify(progress));
}

/** The table of active jobs (or a line saying there are none). */
export function activeJobsTable(jobs: readonly ActiveJobRow[]): HTMLElement {
  if (jobs.length === 0) return h('p', null, 'No job is running.');
  return h(
    'table',
    null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ...['Job', 'Queue', 'Name', 'Attempt', 'Worker', 'Progress'].map((t) => h('th', null, t)),
      ),
    ),
    h(
      'tbody',
      null,
      ...jobs.map((job) =>
        h(
          'tr',
          { 'data-job-id': job.id },
          h('td', null, h('code', null, job.id)),
          h('td', null, job.queue),
          h('td', null, job.name),
          h('td', null, String(job.attemptsMade + 1)),
          h('td', null, job.workerId ?? ''),
          h('td', null, progressCell(job.progress)),
        ),
      ),
    ),
  );
}
