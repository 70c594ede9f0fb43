/**
 * One dead letter: what failed, every attempt (with its stack), the data it carried, its audit
 * trail, and the actions the role allows. Every action sends the generation shown on screen; if
 * the entry moved on in the meantime the server answers 409 and the page says so.
 */
import { ApiError, api } from './api.js';
import { auditTable } from './audit.js';
import type { Ctx, View } from './context.js';
import { LIST_QUERY_KEY } from './dead-letters.js';
import { actionsPanel } from './detail-actions.js';
import {
  type Child,
  formatDuration,
  formatNumber,
  formatTime,
  h,
  humanize,
  patch,
  prettyJson,
  statusBadge,
  timeEl,
} from './dom.js';
import { type AttemptRecord, DEAD_LETTER_STATUSES, type DeadLetter, type FailureGroup } from './types.js';

export function mountDetail(main: HTMLElement, ctx: Ctx, id: string): View {
  const body = h('div', { class: 'detail', 'aria-busy': 'true' }, h('p', null, 'Loading…'));
  const backQuery = sessionStorage.getItem(LIST_QUERY_KEY);
  main.append(
    h(
      'p',
      { class: 'back' },
      h('a', { href: `#/dead-letters${backQuery ? `?${backQuery}` : ''}` }, '← Back to dead letters'),
    ),
    h('h2', { tabindex: -1 }, 'Dead letter ', h('span', { class: 'mono' }, id)),
    body,
  );
  let alive = true;
  let seq = 0;

  async function load(focusHeading = false): Promise<void> {
    const mine = ++seq;
    body.setAttribute('aria-busy', 'true');
    try {
      const [entry, audit] = await Promise.all([
        api.deadLetter(id),
        api.audit({ deadLetterId: id, limit: 100 }).catch(() => null),
      ]);
      // The entry's failure group in every status: who else shares it (answered from counters).
      const group = await api
        .topFailures({ fingerprint: entry.fingerprint, status: [...DEAD_LETTER_STATUSES] }, 1)
        .then((t) => t.items[0] ?? null)
        .catch(() => undefined);
      if (!alive || mine !== seq) return;
      render(entry, audit?.items ?? null, group);
      if (focusHeading) main.querySelector<HTMLElement>('h2')?.focus();
    } catch (error) {
      if (!alive || mine !== seq) return;
      body.replaceChildren(
        h(
          'p',
          { class: 'error', role: 'alert' },
          error instanceof ApiError && error.status === 404
            ? `Dead letter ${id} does not exist (it may have been purged).`
            : `Could not load dead letter ${id}: ${(error as Error).message}`,
        ),
      );
    } finally {
      if (mine === seq) body.removeAttribute('aria-busy');
    }
  }

  function render(
    d: DeadLetter,
    audit: Parameters<typeof auditTable>[0] | null,
    group: FailureGroup | null | undefined,
  ): void {
    const now = Date.now();
    patch(
      body,
      h(
        'div',
        { class: 'detail-head' },
        statusBadge(d.status),
        h(
          'span',
          { class: 'muted', 'data-testid': 'loaded-generation' },
          ` generation ${d.generation}, loaded ${formatTime(now)} `,
        ),
        h('button', { type: 'button', class: 'small', onclick: () => void load() }, 'Reload'),
      ),
      actionsPanel(ctx, d, (focus) => void load(focus)),
      section(
        'summary',
        'Summary',
        h(
          'dl',
          { class: 'facts' },
          fact('Status', statusBadge(d.status)),
          fact('Domain', d.domain),
          fact('Queue', d.queue ?? '—'),
          fact(
            'Job',
            d.jobId ? h('span', { class: 'mono' }, d.jobId, d.jobName ? ` (${d.jobName})` : '') : '—',
          ),
          fact('Failure type', humanize(d.failureType)),
          fact('Failure group', groupFact(d, group)),
          fact(
            'Fingerprint',
            h(
              'a',
              { class: 'mono', href: `#/dead-letters?fingerprint=${encodeURIComponent(d.fingerprint)}` },
              d.fingerprint,
            ),
          ),
          d.entityType || d.entityId
            ? fact('Entity', `${d.entityType ?? ''} ${d.entityId ?? ''}`.trim())
            : null,
          d.userId ? fact('User', d.userId) : null,
          fact('Replays', `${d.replayCount} of ${d.maxReplays}`),
          fact('First failed', timeEl(d.firstFailedAt, now), ` (${formatTime(d.firstFailedAt)})`),
          fact('Dead-lettered', timeEl(d.deadLetteredAt, now), ` (${formatTime(d.deadLetteredAt)})`),
          fact('Updated', timeEl(d.updatedAt, now)),
          fact('Expires', d.expiresAt === null ? 'never' : timeEl(d.expiresAt, now)),
          d.workerId ? fact('Worker', h('span', { class: 'mono' }, d.workerId)) : null,
          d.handlerVersion ? fact('Handler version', d.handlerVersion) : null,
          d.resolvedAt !== null
            ? fact(
                'Resolved',
                timeEl(d.resolvedAt, now),
                d.resolvedBy ? ` by ${d.resolvedBy}` : '',
                d.resolutionNote ? `: ${d.resolutionNote}` : '',
              )
            : null,
          d.lastReplayAt !== null ? fact('Last replay', timeEl(d.lastReplayAt, now)) : null,
          d.lastReplayError
            ? fact('Last replay error', h('span', { class: 'error' }, d.lastReplayError))
            : null,
          d.replayJobId ? fact('Replay job', h('span', { class: 'mono' }, d.replayJobId)) : null,
          d.replayOf
            ? fact(
                'Continues',
                h(
                  'a',
                  { class: 'mono', href: `#/dead-letters/${encodeURIComponent(d.replayOf)}` },
                  d.replayOf,
                ),
              )
            : null,
          d.nextActionHint ? fact('Hint', d.nextActionHint) : null,
          d.recommendedAction ? fact('Recommended action', humanize(d.recommendedAction)) : null,
        ),
      ),
      section(
        'error',
        'Error',
        h(
          'p',
          { class: 'error-line' },
          d.errorClass ? [h('strong', null, d.errorClass), ' '] : null,
          d.errorCode ? [h('span', { class: 'badge' }, d.errorCode), ' '] : null,
          d.errorMessage || '(no message)',
        ),
        d.errorStack ? collapsible('Stack trace', d.errorStack) : null,
      ),
      section('attempts', `Attempts (${d.attempts.length})`, attempts(d.attempts)),
      section(
        'data',
        'Data',
        jsonBlock('Payload', d.payload),
        jsonBlock('Snapshot', d.snapshot),
        jsonBlock('Request', d.requestData),
        jsonBlock('Response', d.responseData),
        jsonBlock('Metadata', d.metadata),
      ),
      section(
        'audit',
        'Audit trail',
        audit === null
          ? h('p', { class: 'muted' }, 'The audit trail could not be loaded.')
          : audit.length === 0
            ? h('p', { class: 'muted' }, 'No operator actions yet.')
            : h('div', { class: 'table-scroll' }, auditTable(audit, { showDeadLetter: false })),
      ),
    );
  }

  void load();
  return {
    cleanup() {
      alive = false;
    },
  };
}

/** Which group the entry is in, and how many others share it. */
function groupFact(d: DeadLetter, group: FailureGroup | null | undefined): Child {
  if (group === undefined) return h('span', { class: 'muted' }, 'could not be loaded');
  if (group === null) return h('span', { class: 'muted' }, 'no other entry shares it');
  const others = Math.max(0, group.count - 1);
  const href = `#/dead-letters?fingerprint=${encodeURIComponent(d.fingerprint)}`;
  return h(
    'span',
    { 'data-testid': 'failure-group' },
    group.errorClass ? [h('strong', null, group.errorClass), ': '] : null,
    group.message || '(no message)',
    group.frame ? [' ', h('span', { class: 'mono small' }, `at ${group.frame}`)] : null,
    h('br'),
    others === 0
      ? 'No other dead letter shares it.'
      : [
          `${formatNumber(others)} other dead ${others === 1 ? 'letter shares' : 'letters share'} it. `,
          h('a', { href }, `Show all ${formatNumber(group.count)}`),
        ],
  );
}

function section(id: string, title: string, ...children: Child[]): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': `section-${id}`, class: `detail-section section-${id}` },
    h('h3', { id: `section-${id}` }, title),
    children,
  );
}

function fact(label: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', null, label), h('dd', null, value)];
}

function collapsible(summary: string, text: string, open = false): HTMLElement {
  return h('details', { open }, h('summary', null, summary), h('pre', { class: 'stack' }, text));
}

function jsonBlock(title: string, value: unknown): HTMLElement {
  const empty =
    value === null ||
    value === undefined ||
    (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0);
  if (empty) return h('p', { class: 'muted json-empty' }, `${title}: none`);
  return h(
    'details',
    { open: true, class: 'json' },
    h('summary', null, title),
    h('pre', { class: 'json', tabindex: 0, 'aria-label': `${title} as JSON` }, prettyJson(value)),
  );
}

function attempts(list: readonly AttemptRecord[]): HTMLElement {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No attempts recorded.');
  return h(
    'ol',
    { class: 'attempts' },
    list.map((a) =>
      h(
        'li',
        { class: `attempt outcome-${a.outcome}` },
        h(
          'p',
          { class: 'attempt-head' },
          h('strong', null, `Attempt ${a.attempt}`),
          ' ',
          h('span', { class: 'badge' }, humanize(a.outcome)),
          ' ',
          h(
            'span',
            { class: 'muted' },
            `${formatTime(a.startedAt)} → ${formatTime(a.endedAt)} (${formatDuration(a.endedAt - a.startedAt)})`,
          ),
          a.workerId ? h('span', { class: 'muted' }, ' on ', h('span', { class: 'mono' }, a.workerId)) : null,
        ),
        a.errorClass || a.message
          ? h(
              'p',
              { class: 'attempt-error' },
              a.errorClass ? h('strong', null, a.errorClass) : null,
              a.errorCode ? [' ', h('span', { class: 'badge' }, a.errorCode)] : null,
              a.errorClass ? ': ' : null,
              a.message ?? '',
            )
          : null,
        a.stack ? collapsible('Stack trace', a.stack) : null,
      ),
    ),
  );
}
