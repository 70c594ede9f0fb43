/**
 * Overview: queues with live counts (polled every 2 s), a throughput chart, dead-letter totals,
 * circuit breakers and the replay queue.
 */
import { activeJobsTable } from './active-jobs.js';
import { ApiError, api } from './api.js';
import { throughputChart } from './chart.js';
import { type Ctx, poll, type View } from './context.js';
import {
  formatDuration,
  formatNumber,
  formatRate,
  formatTime,
  h,
  humanize,
  patch,
  showMessage,
  statusBadge,
} from './dom.js';
import { DEAD_LETTER_STATUSES, JOB_STATES, type Overview, type ReplayQueueState } from './types.js';

const POLL_MS = 2000;
/**
 * Job states shown per queue. Dead letters are counted from the dead-letter queue instead of the
 * jobs in state dead_lettered: its entries outlive the job rows (cleaned away, or never a job).
 */
const LIVE_STATES = JOB_STATES.filter((s) => s !== 'dead_lettered');
const WINDOW_SECONDS = 300;
const CHART_QUEUE_KEY = 'redrive.chartQueue';

export function mountOverview(main: HTMLElement, ctx: Ctx): View {
  const queuesRegion = h('div', { class: 'region', 'data-testid': 'queues' }, h('p', null, 'Loading…'));
  const chartRegion = h('div', { class: 'region' });
  const activeRegion = h('div', { class: 'region', 'data-testid': 'active-jobs' });
  const deadLettersRegion = h('div', { class: 'region', 'data-testid': 'dead-letter-summary' });
  const breakersRegion = h('div', { class: 'region', 'data-testid': 'breakers' });
  const replayRegion = h('div', { class: 'region', 'data-testid': 'replay-queue' });
  const updated = h('p', { class: 'muted updated' });
  const pollError = h('p', { class: 'poll-error', role: 'status' });
  const queueSelect = h('select', {
    id: 'chart-queue',
    onchange: () => {
      chartQueue = queueSelect.value;
      sessionStorage.setItem(CHART_QUEUE_KEY, chartQueue);
      poller.now();
    },
  });
  let chartQueue: string | null = sessionStorage.getItem(CHART_QUEUE_KEY);

  main.append(
    h('h2', { tabindex: -1 }, 'Overview'),
    updated,
    pollError,
    h(
      'section',
      { 'aria-labelledby': 'queues-heading' },
      h('h3', { id: 'queues-heading' }, 'Queues'),
      queuesRegion,
    ),
    h(
      'section',
      { 'aria-labelledby': 'active-heading' },
      h('h3', { id: 'active-heading' }, 'Active jobs'),
      activeRegion,
    ),
    h(
      'section',
      { 'aria-labelledby': 'throughput-heading' },
      h('h3', { id: 'throughput-heading' }, 'Throughput'),
      h('div', { class: 'field inline' }, h('label', { for: 'chart-queue' }, 'Queue'), queueSelect),
      chartRegion,
    ),
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        { 'aria-labelledby': 'dl-heading' },
        h('h3', { id: 'dl-heading' }, 'Dead letters'),
        deadLettersRegion,
      ),
      h(
        'section',
        { 'aria-labelledby': 'breakers-heading' },
        h('h3', { id: 'breakers-heading' }, 'Circuit breakers'),
        breakersRegion,
      ),
      h(
        'section',
        { 'aria-labelledby': 'replay-heading' },
        h('h3', { id: 'replay-heading' }, 'Replay queue'),
        replayRegion,
      ),
    ),
  );

  const poller = poll(POLL_MS, async () => {
    let overview: Overview;
    try {
      overview = await api.overview();
    } catch (error) {
      pollError.textContent = `Live update failed: ${(error as Error).message}. Retrying every ${POLL_MS / 1000} s.`;
      return;
    }
    pollError.textContent = '';
    updated.textContent = `Live: updated ${formatTime(overview.now)} (every ${POLL_MS / 1000} s)`;
    renderQueues(overview);
    renderDeadLetters(overview);
    renderBreakers(overview);
    renderReplayQueue(overview.replayQueue);
    try {
      patch(activeRegion, activeJobsTable((await api.activeJobs()).items));
    } catch (error) {
      patch(activeRegion, h('p', { class: 'error' }, `Active jobs unavailable: ${(error as Error).message}`));
    }
    const names = overview.queues.map((q) => q.name);
    if (!chartQueue || !names.includes(chartQueue)) chartQueue = names[0] ?? null;
    syncSelect(names);
    if (chartQueue) {
      try {
        const { points } = await api.throughput(chartQueue, WINDOW_SECONDS);
        patch(chartRegion, throughputChart(chartQueue, points, WINDOW_SECONDS, overview.now));
      } catch (error) {
        patch(chartRegion, h('p', { class: 'error' }, `Throughput unavailable: ${(error as Error).message}`));
      }
    } else {
      patch(chartRegion, h('p', null, 'No queues yet.'));
    }
  });

  function syncSelect(names: string[]): void {
    const current = [...queueSelect.options].map((o) => o.value);
    if (current.join('\n') !== names.join('\n')) {
      queueSelect.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
    }
    if (chartQueue) queueSelect.value = chartQueue;
  }

  async function setPaused(queue: string, pause: boolean): Promise<void> {
    try {
      await (pause ? api.pauseQueue(queue) : api.resumeQueue(queue));
      showMessage('success', `Queue ${queue} ${pause ? 'paused' : 'resumed'}.`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      showMessage('error', `Could not ${pause ? 'pause' : 'resume'} ${queue}: ${(error as Error).message}`);
    }
    poller.now();
  }

  function renderQueues(overview: Overview): void {
    if (overview.queues.length === 0) {
      patch(queuesRegion, h('p', null, 'No queues yet: enqueue a job to see it here.'));
      return;
    }
    const operator = ctx.can('operator');
    patch(
      queuesRegion,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'data' },
          h('caption', { class: 'visually-hidden' }, 'Jobs per queue and state, live'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'col' }, 'Queue'),
              LIVE_STATES.map((s) => h('th', { scope: 'col', class: 'num' }, humanize(s))),
              h('th', { scope: 'col', class: 'num' }, 'dead letters'),
              h('th', { scope: 'col', class: 'num' }, 'completed/s'),
              h('th', { scope: 'col', class: 'num' }, 'failed/s'),
              h('th', { scope: 'col' }, 'State'),
              operator ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')) : null,
            ),
          ),
          h(
            'tbody',
            null,
            overview.queues.map((q) =>
              h(
                'tr',
                { 'data-queue': q.name },
                h('th', { scope: 'row' }, q.name),
                LIVE_STATES.map((s) =>
                  h('td', { class: 'num', 'data-state': s }, formatNumber(q.counts[s] ?? 0)),
                ),
                h(
                  'td',
                  { class: 'num', 'data-dead-letters': '' },
                  h(
                    'a',
                    {
                      href: `#/dead-letters?queue=${encodeURIComponent(q.name)}`,
                      'aria-label': `${formatNumber(q.deadLetters ?? 0)} dead letters of queue ${q.name}`,
                      'data-focus-key': `dl-queue-${q.name}`,
                    },
                    formatNumber(q.deadLetters ?? 0),
                  ),
                ),
                h('td', { class: 'num' }, formatRate(q.throughput.completedPerSec)),
                h('td', { class: 'num' }, formatRate(q.throughput.failedPerSec)),
                h(
                  'td',
                  null,
                  h('span', { class: `badge ${q.paused ? 'warn' : 'ok'}` }, q.paused ? 'paused' : 'running'),
                ),
                operator
                  ? h(
                      'td',
                      null,
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'small',
                          'data-focus-key': `pause-${q.name}`,
                          'aria-label': `${q.paused ? 'Resume' : 'Pause'} queue ${q.name}`,
                          onclick: () => void setPaused(q.name, !q.paused),
                        },
                        q.paused ? 'Resume' : 'Pause',
                      ),
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
    );
  }

  function renderDeadLetters(overview: Overview): void {
    const dl = overview.deadLetters;
    patch(
      deadLettersRegion,
      h(
        'p',
        null,
        h('strong', null, formatNumber(dl.open)),
        ' open of ',
        formatNumber(dl.total),
        '. Oldest pending: ',
        dl.oldestPendingAgeMs === null ? 'none' : formatDuration(dl.oldestPendingAgeMs),
        '.',
      ),
      h(
        'ul',
        { class: 'chips', 'aria-label': 'Dead letters by status' },
        DEAD_LETTER_STATUSES.map((s) =>
          h(
            'li',
            null,
            h(
              'a',
              { class: 'chip', href: `#/dead-letters?status=${s}`, 'data-focus-key': `dl-${s}` },
              statusBadge(s),
              ' ',
              formatNumber(dl.byStatus[s] ?? 0),
            ),
          ),
        ),
      ),
      h(
        'p',
        null,
        h('a', { href: '#/dead-letters?status=pending,requires_review' }, 'Browse open dead letters'),
      ),
    );
  }

  function renderBreakers(overview: Overview): void {
    if (overview.breakers.length === 0) {
      patch(breakersRegion, h('p', { class: 'muted' }, 'No circuit breakers registered.'));
      return;
    }
    patch(
      breakersRegion,
      h(
        'ul',
        { class: 'plain' },
        overview.breakers.map((b) =>
          h(
            'li',
            null,
            h('span', { class: 'mono' }, b.name),
            ' ',
            h(
              'span',
              {
                class: `badge breaker-${b.state} ${b.state === 'closed' ? 'ok' : b.state === 'disabled' ? '' : 'warn'}`,
              },
              humanize(b.state),
            ),
          ),
        ),
      ),
    );
  }

  function renderReplayQueue(rq: ReplayQueueState | null): void {
    if (!rq) {
      patch(replayRegion, h('p', { class: 'muted' }, 'No replay queue attached.'));
      return;
    }
    const bp = rq.backpressure;
    const rl = rq.rateLimit;
    patch(
      replayRegion,
      h(
        'dl',
        { class: 'facts' },
        h('dt', null, h('label', { for: 'replay-depth' }, 'Depth')),
        h(
          'dd',
          null,
          h('meter', { id: 'replay-depth', min: 0, max: Math.max(1, rq.maxDepth), value: rq.depth }),
          ` ${formatNumber(rq.depth)} / ${formatNumber(rq.maxDepth)}`,
        ),
        h('dt', null, 'Backpressure'),
        h(
          'dd',
          null,
          h('span', { class: `badge ${bp.active ? 'warn' : 'ok'}` }, bp.active ? 'active' : 'off'),
          ` throttle ${Math.round(bp.throttlePercent)}%, consumer lag ${formatDuration(bp.consumerLagSeconds * 1000)}`,
        ),
        h('dt', null, 'Rate limit'),
        h(
          'dd',
          null,
          rl.enabled
            ? `${formatRate(rl.currentRate)} of ${formatNumber(rl.limit)} per ${rl.windowSeconds} s; ${formatNumber(
                rl.rejectedCount,
              )} rejected${rl.retryAfterMs > 0 ? `; retry after ${formatDuration(rl.retryAfterMs)}` : ''}`
            : 'disabled',
        ),
      ),
    );
  }

  return { cleanup: () => poller.stop() };
}
