/**
 * The actions on one dead letter that the role allows: Replay (offered only when a replay can work
 * now; otherwise the page says why), Resolve, and the admin's Force replay. Each sends the
 * generation shown on screen; a replay that ran and failed is reported as a failure.
 */
import { ApiError, api } from './api.js';
import type { Ctx } from './context.js';
import { type Child, h, humanize, type MessageKind, showMessage } from './dom.js';
import type { DeadLetter, DeadLetterStatus, ReplayResult } from './types.js';

const RESOLVABLE: DeadLetterStatus[] = ['pending', 'requires_review'];
const FORCE_REPLAYABLE: DeadLetterStatus[] = ['pending', 'requires_review'];

type Outcome = { kind: MessageKind; message: string };

/** How a replay went, as a message of the matching kind. */
function replayOutcome(verb: string, d: DeadLetter, r: ReplayResult): Outcome {
  return r.success
    ? {
        kind: 'success',
        message: `${verb} ${d.id}: the replay succeeded (${r.handler}${r.jobId ? `, job ${r.jobId}` : ''}); it is now ${humanize(r.status)}.`,
      }
    : {
        kind: 'error',
        message: `${verb} ${d.id}: the replay failed (${r.error ?? r.message}); it is now ${humanize(r.status)}.`,
      };
}

/** The actions panel of `d`; `reload` loads the entry again (after an action, or on request). */
export function actionsPanel(ctx: Ctx, d: DeadLetter, reload: (focusHeading?: boolean) => void): HTMLElement {
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

  async function act(label: string, fn: () => Promise<Outcome>) {
    busy(true);
    try {
      const outcome = await fn();
      showMessage(outcome.kind, outcome.message);
      reload();
    } catch (error) {
      busy(false);
      handleActionError(label, error, reload);
    }
  }

  if (d.replay?.possible) {
    const replay = h(
      'button',
      {
        type: 'button',
        class: 'primary',
        onclick: () =>
          void act('Replay', async () => replayOutcome('Replayed', d, await api.replay(d.id, generation))),
      },
      'Replay',
    );
    buttons.push(replay);
    items.push(
      h(
        'div',
        { class: 'action' },
        replay,
        h(
          'small',
          { class: 'muted' },
          ` Replays it now with ${d.replay.handler} (${d.replayCount} of ${d.maxReplays} replays spent).`,
        ),
      ),
    );
  } else if (d.replay?.reason && RESOLVABLE.includes(d.status)) {
    items.push(
      h('p', { class: 'muted', 'data-testid': 'no-replay' }, `Replay is not offered: ${d.replay.reason}.`),
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
              return { kind: 'success', message: `Resolved ${d.id}.` };
            });
          },
        },
        h('div', { class: 'field inline' }, h('label', { for: 'resolve-note' }, 'Resolution note'), note),
        submit,
      ),
    );
  }

  if (ctx.can('admin') && FORCE_REPLAYABLE.includes(d.status)) items.push(forceReplayForm());

  function forceReplayForm(): HTMLElement {
    const reason = h('input', {
      id: 'force-replay-reason',
      type: 'text',
      name: 'reason',
      required: true,
      autocomplete: 'off',
    });
    const ticket = h('input', {
      id: 'force-replay-ticket',
      type: 'text',
      name: 'ticket',
      autocomplete: 'off',
    });
    const submit = h('button', { type: 'submit', class: 'danger' }, 'Force replay');
    buttons.push(submit);
    return h(
      'form',
      {
        class: 'action force-replay',
        'aria-label': 'Force replay',
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (!reason.value.trim()) {
            reason.focus();
            showMessage('error', 'Force replay needs a reason for the audit trail.');
            return;
          }
          void act('Force replay', async () => {
            const r = await api.forceReplay(d.id, {
              generation,
              reason: reason.value.trim(),
              ...(ticket.value.trim() ? { ticket: ticket.value.trim() } : {}),
            });
            return replayOutcome('Force-replayed', d, r);
          });
        },
      },
      h(
        'fieldset',
        null,
        h('legend', null, 'Force replay (admin): replays it with a fresh budget, even when in review'),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'force-replay-reason' }, 'Reason', h('span', { 'aria-hidden': 'true' }, ' *')),
          reason,
        ),
        h('div', { class: 'field' }, h('label', { for: 'force-replay-ticket' }, 'Ticket'), ticket),
        submit,
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

function handleActionError(label: string, error: unknown, reload: (focusHeading?: boolean) => void): void {
  const reloadButton = () =>
    h('button', { type: 'button', class: 'small', onclick: () => reload(true) }, 'Reload');
  if (error instanceof ApiError) {
    if (error.status === 401) return;
    if (error.isStale) {
      showMessage(
        'error',
        `${label} refused: this dead letter changed since you loaded it — reload to see its current state.`,
        reloadButton(),
      );
      return;
    }
    if (error.status === 409) {
      const reason = typeof error.details.reason === 'string' ? ` (${humanize(error.details.reason)})` : '';
      showMessage('error', `${label} refused${reason}: ${error.message}`, reloadButton());
      return;
    }
    if (error.status === 403) {
      showMessage('error', `${label} refused: your role may not do this (${error.message}).`);
      return;
    }
  }
  showMessage('error', `${label} failed: ${(error as Error).message}`);
}
