/**
 * The dead-letter page's bulk actions, each behind a preview of what it will touch: resolve the
 * selected entries, resolve every match, replay matches (the preview lists the entries the run
 * takes, in its order), purge archived entries.
 */
import { api } from './api.js';
import { type BulkOutcome, type BulkPlan, openBulkPanel } from './bulk.js';
import { formatNumber, h, humanize, patch, showMessage } from './dom.js';
import { toFilter } from './filters.js';
import { type ListPage, OPEN_STATUSES } from './list-page.js';
import type { Selection } from './results-table.js';
import type { BatchReplayResult, DeadLetterStatus } from './types.js';

const BATCH_RESOLVE_CAP = 10_000;
const PREVIEW_SAMPLE = 10;

export interface BulkActions {
  bar: HTMLElement;
  panel: HTMLElement;
  /** Shows the bar for the current selection. */
  render(): void;
  /** Closes an open panel (the filter changed under it). */
  close(): void;
}

export function bulkActions(page: ListPage, selection: Selection, reload: () => void): BulkActions {
  const bar = h('div', { class: 'bulk-bar' });
  const panel = h('div');
  const open = (plan: BulkPlan) => openBulkPanel(panel, plan, reload);

  function render(): void {
    if (!page.ctx.can('operator')) return;
    const n = selection.ids.size;
    patch(
      bar,
      h(
        'div',
        { class: 'buttons', role: 'group', 'aria-label': 'Bulk actions' },
        h(
          'button',
          {
            type: 'button',
            disabled: n === 0,
            'data-focus-key': 'bulk-selected',
            onclick: () => open(resolveSelected()),
          },
          `Resolve selected (${n})`,
        ),
        n > 0
          ? h(
              'button',
              {
                type: 'button',
                class: 'link',
                onclick: () => {
                  selection.ids.clear();
                  selection.changed();
                },
              },
              'Clear selection',
            )
          : null,
        h('button', { type: 'button', onclick: () => resolveMatching() }, 'Resolve all matching…'),
        h('button', { type: 'button', onclick: () => open(replayMatching()) }, 'Replay matching…'),
        page.ctx.can('admin')
          ? h(
              'button',
              { type: 'button', class: 'danger', onclick: () => open(purgeArchived()) },
              'Purge archived…',
            )
          : null,
      ),
    );
  }

  function resolveSelected(): BulkPlan {
    const ids = [...selection.ids.keys()];
    const generations = Object.fromEntries(selection.ids);
    return {
      title: `Resolve ${ids.length} selected dead ${ids.length === 1 ? 'letter' : 'letters'}`,
      description:
        'Marks them resolved (closed by hand, without a replay). Entries that are no longer pending or in review, or that changed since this page was loaded, are skipped.',
      fields: [{ id: 'note', label: 'Note for the audit trail', type: 'text' }],
      preview: async () => {
        const p = await api.preview({ ids });
        const notes: string[] = [];
        const missing = p.notFound?.length ?? ids.length - p.count;
        if (missing > 0) notes.push(`${formatNumber(missing)} of the selected entries no longer exist.`);
        const closed = Object.entries(p.byStatus ?? {})
          .filter(([s, n]) => !OPEN_STATUSES.includes(s as DeadLetterStatus) && (n ?? 0) > 0)
          .map(([s, n]) => `${formatNumber(n ?? 0)} ${humanize(s)}`);
        if (closed.length > 0) notes.push(`Not resolvable, will be skipped: ${closed.join(', ')}.`);
        return { ...p, notes };
      },
      confirmLabel: 'Resolve them',
      run: async (v) => {
        const r = await api.batchResolve({ ids, generations, ...(v.note ? { note: v.note } : {}) });
        selection.ids.clear();
        return resolveOutcome(r.resolved, r.skipped, r.notFound);
      },
    };
  }

  function resolveMatching(): void {
    const state = page.state();
    const statuses =
      state.status.length > 0 ? state.status.filter((s) => OPEN_STATUSES.includes(s)) : OPEN_STATUSES;
    if (statuses.length === 0) {
      showMessage(
        'info',
        'Only pending and requires-review entries can be resolved; the status filter excludes both.',
      );
      return;
    }
    const filter = { ...toFilter(state), status: statuses };
    open({
      title: 'Resolve every matching dead letter',
      description: `Resolves the ${statuses.map(humanize).join(' and ')} entries that match the current filters.`,
      fields: [{ id: 'note', label: 'Note for the audit trail', type: 'text' }],
      preview: async () => {
        const p = await api.preview({ filter });
        const notes: string[] = [];
        if (p.count > BATCH_RESOLVE_CAP)
          notes.push(
            `One run resolves at most ${formatNumber(BATCH_RESOLVE_CAP)}; run it again for the remaining ${formatNumber(
              p.count - BATCH_RESOLVE_CAP,
            )}.`,
          );
        if (state.status.length > statuses.length)
          notes.push(
            'Entries in other statuses match the filters but cannot be resolved; they are left alone.',
          );
        return { ...p, notes };
      },
      confirmLabel: 'Resolve them',
      run: async (v) => {
        const r = await api.batchResolve({ filter, ...(v.note ? { note: v.note } : {}) });
        return resolveOutcome(r.resolved, r.skipped, r.notFound);
      },
    });
  }

  function replayMatching(): BulkPlan {
    const state = page.state();
    const sub: { domain?: string; queue?: string; failureType?: string } = {};
    if (state.domain) sub.domain = state.domain;
    if (state.queue) sub.queue = state.queue;
    if (state.failureType) sub.failureType = state.failureType;
    const ignored = [
      state.q && 'search',
      state.status.length > 0 && 'status',
      state.fingerprint && 'fingerprint',
      state.entityId && 'entity id',
      (state.from !== undefined || state.to !== undefined) && 'time range',
      state.payloadPath && 'payload field',
    ].filter(Boolean);
    return {
      title: 'Replay matching dead letters',
      description:
        'Replays pending entries with replay budget left, oldest first, through their replay handlers (throttled by the server).',
      fields: [
        {
          id: 'batchSize',
          label: 'Entries in this run (1 to 1000)',
          type: 'number',
          value: '100',
          min: 1,
          max: 1000,
          required: true,
          affectsPreview: true,
        },
      ],
      preview: async (v) => {
        const batchSize = clampBatch(v.batchSize);
        // The dry run walks exactly what the run will take, so the count and the sample agree.
        const dry = await api.batchReplay({ filter: sub, batchSize, dryRun: true });
        const sample = dry.sample ?? [];
        const notes = [`At most ${formatNumber(batchSize)} are replayed in this run, oldest first.`];
        if (dry.skipped > 0)
          notes.push(
            `${formatNumber(dry.skipped)} more would be skipped (${summarizeSkips(dry)}): they cannot be replayed now.`,
          );
        if (ignored.length > 0)
          notes.push(
            `Batch replay uses only domain, queue and failure type; it ignores: ${ignored.join(', ')}.`,
          );
        return {
          count: dry.succeeded,
          sample,
          notes,
          sampleCaption:
            sample.length < dry.succeeded
              ? `The first ${sample.length} of them, in the order the run takes them (oldest first)`
              : `All ${sample.length} of them, in the order the run takes them (oldest first)`,
        };
      },
      confirmLabel: 'Replay them',
      run: async (v) =>
        replayOutcome(await api.batchReplay({ filter: sub, batchSize: clampBatch(v.batchSize) })),
    };
  }

  function purgeArchived(): BulkPlan {
    return {
      title: 'Purge archived dead letters',
      description:
        'Deletes archived entries for good (the purge is counted and audited). Nothing else is ever purged.',
      danger: true,
      fields: [
        {
          id: 'olderThanDays',
          label: 'Archived more than this many days ago',
          type: 'number',
          value: '30',
          min: 0,
          required: true,
          affectsPreview: true,
        },
      ],
      preview: async (v) => {
        const days = Math.max(0, Number(v.olderThanDays) || 0);
        const [dry, archived] = await Promise.all([
          api.purge(days, true),
          api.preview({ filter: { status: ['archived'] } }),
        ]);
        return {
          count: dry.purged,
          sample: dry.purged > 0 ? archived.sample.slice(0, PREVIEW_SAMPLE) : [],
          notes: [
            `${formatNumber(archived.count)} archived in all; those archived more than ${days} days ago are deleted.`,
          ],
          sampleCaption: 'The newest archived entries',
        };
      },
      confirmLabel: 'Purge them',
      run: async (v) => {
        const r = await api.purge(Math.max(0, Number(v.olderThanDays) || 0));
        return `Purged ${formatNumber(r.purged)} archived dead ${r.purged === 1 ? 'letter' : 'letters'}.`;
      },
    };
  }

  return {
    bar,
    panel,
    render,
    close: () => panel.replaceChildren(),
  };
}

function clampBatch(raw: string | undefined): number {
  const n = Math.floor(Number(raw));
  return Number.isFinite(n) ? Math.min(1000, Math.max(1, n)) : 100;
}

function summarizeSkips(r: BatchReplayResult): string {
  const reasons = new Map<string, number>();
  for (const e of r.errors) reasons.set(e.error, (reasons.get(e.error) ?? 0) + 1);
  return [...reasons].map(([reason, n]) => `${formatNumber(n)} ${reason}`).join('; ');
}

/** A batch replay's result, as a failure when nothing succeeded and a warning when some did not. */
export function replayOutcome(r: BatchReplayResult): BulkOutcome {
  const stopped = r.earlyStopReason ? `; stopped early (${r.earlyStopReason})` : '';
  const message = `Replayed ${formatNumber(r.total)}: ${formatNumber(r.succeeded)} succeeded, ${formatNumber(
    r.failed,
  )} failed, ${formatNumber(r.skipped)} skipped${stopped}.`;
  const first = r.errors[0];
  const detail = first ? ` First problem: ${first.error}` : '';
  if (r.succeeded === 0 && (r.failed > 0 || r.skipped > 0))
    return { kind: 'error', message: message + detail };
  if (r.failed > 0 || r.skipped > 0 || r.earlyStopReason)
    return { kind: 'warning', message: message + detail };
  return { kind: 'success', message };
}

function resolveOutcome(resolved: number, skipped: number, notFound: number): BulkOutcome {
  const parts = [`Resolved ${formatNumber(resolved)} dead ${resolved === 1 ? 'letter' : 'letters'}`];
  if (skipped > 0)
    parts.push(`${formatNumber(skipped)} skipped (changed since the preview or not resolvable)`);
  if (notFound > 0) parts.push(`${formatNumber(notFound)} not found`);
  const message = `${parts.join('; ')}.`;
  if (resolved === 0 && skipped + notFound > 0) return { kind: 'error', message };
  return skipped + notFound > 0 ? { kind: 'warning', message } : message;
}
