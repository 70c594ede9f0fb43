/**
 * One dead letter: what failed, every attempt (with its stack), the data it carried, its audit
 * trail, and the actions the role allows. Every action sends the generation shown on screen; if
 * the entry moved on in the meantime the server answers 409 and the page says so.
 */
import { ApiError, api } from './api.js';
import { auditTable } from './audit.js';
import type { Ctx, View } from './context.js';
import { LIST_QUERY_KEY } from './dead-letters.js';
import {
  type Child,
  formatDuration,
  formatTime,
  h,
  humanize,
  patch,
  prettyJson,
  showMessage,
  statusBadge,
  timeEl,
} from './dom.js';
import type { AttemptRecord, DeadLetter, DeadLetterStatus } from './types.js';

const RETRYABLE: DeadLetterStatus[] = ['pending'];
const RESOLVABLE: DeadLetterStatus[] = ['pending', 'requires_review'];
const REDRIVABLE: DeadLetterStatus[] = ['pending', 'requires_review'];

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
      if (!alive || mine !== seq) return;
      render(entry, audit?.items ?? null);
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

  function render(d: DeadLetter, audit: Parameters<typeof auditTable>[0] | null): void {
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
      actions(d),
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
            : auditTable(audit, { showDeadLetter: false }),
      ),
    );
  }

  // ---- actions ------------------------------------------------------------------------------------

  function actions(d: DeadLetter): HTMLElement | null {
    if (!ctx.can('operator')) {
      return h(
        'p',
        { class: 'muted', 'data-testid': 'read-only' },
        `Read-only: your role (${ctx.who.role}) cannot act on dead letters.`,
      );
    }
    const generation = d.generation;
    const items: Child[] = [];
    const buttons: HTMLButtonElement[] = [];
    const busy = (on: boolean) => {
      for (const b of buttons) b.disabled = on;
    };

    /** Runs an action; `fn` says what happened and whether it went well (a failed replay is an error). */
    async function act(
      label: string,
      fn: () => Promise<string | { kind: 'success' | 'info' | 'error'; message: string }>,
      kind: 'success' | 'info' = 'success',
    ) {
      busy(true);
      try {
        const outcome = await fn();
        if (typeof outcome === 'string') showMessage(kind, outcome);
        else showMessage(outcome.kind, outcome.message);
        await load();
      } catch (error) {
        busy(false);
        handleActionError(label, error);
      }
    }

    if (RETRYABLE.includes(d.status)) {
      const retry = h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: () =>
            void act('Retry', async () => {
              const r = await api.retry(d.id, generation);
              return r.success
                ? {
                    kind: 'success',
                    message: `Retried ${d.id}: the replay succeeded (${r.handler}${r.jobId ? `, job ${r.jobId}` : ''}); it is now ${humanize(r.status)}.`,
                  }
                : {
                    kind: 'error',
                    message: `Retried ${d.id}: the replay failed (${r.error ?? r.message}); it is now ${humanize(r.status)}.`,
                  };
            }),
        },
        'Retry',
      );
      buttons.push(retry);
      items.push(
        h(
          'div',
          { class: 'action' },
          retry,
          h(
            'small',
            { class: 'muted' },
            ` Replays it now (${d.replayCount} of ${d.maxReplays} replays spent).`,
          ),
        ),
      );
    }

    if (RESOLVABLE.includes(d.status)) {
      const note = h('input', { id: 'resolve-note', type: 'text', name: 'note', autocomplete: 'off' });
      const submit = h('button', { type: 'submit' }, 'Resolve');
      buttons.push(submit);
      items.push(
        h(
          'form',
          {
            class: 'action',
            'aria-label': 'Resolve',
            onsubmit: (e: Event) => {
              e.preventDefault();
              void act('Resolve', async () => {
                await api.resolve(d.id, {
                  generation,
                  ...(note.value.trim() ? { note: note.value.trim() } : {}),
                });
                return `Resolved ${d.id}.`;
              });
            },
          },
          h('div', { class: 'field inline' }, h('label', { for: 'resolve-note' }, 'Resolution note'), note),
          submit,
        ),
      );
    }

    if (ctx.can('admin') && REDRIVABLE.includes(d.status)) {
      const reason = h('input', {
        id: 'redrive-reason',
        type: 'text',
        name: 'reason',
        required: true,
        autocomplete: 'off',
      });
      const ticket = h('input', { id: 'redrive-ticket', type: 'text', name: 'ticket', autocomplete: 'off' });
      const submit = h('button', { type: 'submit', class: 'danger' }, 'Force redrive');
      buttons.push(submit);
      items.push(
        h(
          'form',
          {
            class: 'action redrive',
            'aria-label': 'Force redrive',
            onsubmit: (e: Event) => {
              e.preventDefault();
              if (!reason.value.trim()) {
                reason.focus();
                showMessage('error', 'Force redrive needs a reason for the audit trail.');
                return;
              }
              void act('Force redrive', async () => {
                const r = await api.redrive(d.id, {
                  generation,
                  reason: reason.value.trim(),
                  ...(ticket.value.trim() ? { ticket: ticket.value.trim() } : {}),
                });
                return r.success
                  ? `Force-redrove ${d.id}: the replay succeeded; it is now ${humanize(r.status)}.`
                  : `Force-redrove ${d.id}: the replay failed (${r.error ?? r.message}); it is now ${humanize(r.status)}.`;
              });
            },
          },
          h(
            'fieldset',
            null,
            h('legend', null, 'Force redrive (admin): replays it with a fresh budget, even when in review'),
            h(
              'div',
              { class: 'field' },
              h('label', { for: 'redrive-reason' }, 'Reason', h('span', { 'aria-hidden': 'true' }, ' *')),
              reason,
            ),
            h('div', { class: 'field' }, h('label', { for: 'redrive-ticket' }, 'Ticket'), ticket),
            submit,
          ),
        ),
      );
    }

    return h(
      'section',
      { class: 'panel actions', 'aria-labelledby': 'actions-heading', 'data-testid': 'actions' },
      h('h3', { id: 'actions-heading' }, 'Actions'),
      items.length > 0
        ? items
        : h(
            'p',
            { class: 'muted' },
            `No actions: a ${humanize(d.status)} dead letter cannot be retried or resolved.`,
          ),
    );
  }

  function handleActionError(label: string, error: unknown): void {
    if (error instanceof ApiError) {
      if (error.status === 401) return;
      if (error.isStale) {
        showMessage(
          'error',
          `${label} refused: this dead letter changed since you loaded it — reload to see its current state.`,
          h('button', { type: 'button', class: 'small', onclick: () => void load(true) }, 'Reload'),
        );
        return;
      }
      if (error.status === 409) {
        const reason = typeof error.details.reason === 'string' ? ` (${humanize(error.details.reason)})` : '';
        showMessage(
          'error',
          `${label} refused${reason}: ${error.message}`,
          h('button', { type: 'button', class: 'small', onclick: () => void load(true) }, 'Reload'),
        );
        return;
      }
      if (error.status === 403) {
        showMessage('error', `${label} refused: your role may not do this (${error.message}).`);
        return;
      }
    }
    showMessage('error', `${label} failed: ${(error as Error).message}`);
  }

  void load();
  return {
    cleanup() {
      alive = false;
    },
  };
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
