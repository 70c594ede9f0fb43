/**
 * Bulk actions with a preview: before anything is touched, the panel shows how many entries the
 * action will touch and a sample of them; only then can the operator confirm.
 */
import { ApiError } from './api.js';
import { formatNumber, h, type MessageKind, patch, showMessage, statusBadge, timeEl } from './dom.js';
import type { DeadLetterSummary } from './types.js';

export interface BulkField {
  id: string;
  label: string;
  type: 'text' | 'number';
  required?: boolean;
  value?: string;
  min?: number;
  max?: number;
  hint?: string;
  /** Changing it re-runs the preview. */
  affectsPreview?: boolean;
}

export interface BulkPreview {
  count: number;
  sample: DeadLetterSummary[];
  /** Extra lines under the count (caps, what is left out). */
  notes?: string[];
  /** What the sample is, when it is not simply some of the entries (e.g. the first in run order). */
  sampleCaption?: string;
}

/** What a bulk action reports: a plain success, or a message of its own kind (a failure is no success). */
export type BulkOutcome = string | { kind: MessageKind; message: string };

export interface BulkPlan {
  title: string;
  description: string;
  fields?: BulkField[];
  preview(values: Record<string, string>): Promise<BulkPreview>;
  confirmLabel: string;
  /** Does the action; returns the message to show. */
  run(values: Record<string, string>): Promise<BulkOutcome>;
  danger?: boolean;
}

let panelSeq = 0;

/** Opens the plan's panel in `container` (replacing what was there). `onDone` runs after success. */
export function openBulkPanel(container: HTMLElement, plan: BulkPlan, onDone: () => void): void {
  const seq = ++panelSeq;
  const headingId = `bulk-heading-${seq}`;
  const previewRegion = h(
    'div',
    { class: 'preview', 'aria-live': 'polite' },
    h('p', null, 'Loading preview…'),
  );
  const inputs = new Map<string, HTMLInputElement>();
  let previewed: BulkPreview | null = null;
  /** The field values `previewed` was made for: a run uses exactly these. */
  let previewedKey = '';
  let previewSeq = 0;
  let previewing: Promise<void> | null = null;

  const confirm = h(
    'button',
    { type: 'submit', class: plan.danger ? 'danger' : 'primary', disabled: true },
    plan.confirmLabel,
  );
  const cancel = h('button', { type: 'button', onclick: () => close() }, 'Cancel');

  const values = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [id, input] of inputs) out[id] = input.value;
    return out;
  };

  const fields = (plan.fields ?? []).map((f) => {
    const inputId = `bulk-${seq}-${f.id}`;
    const input = h('input', {
      id: inputId,
      name: f.id,
      type: f.type,
      required: f.required ?? false,
      value: f.value ?? '',
      min: f.min,
      max: f.max,
      'aria-describedby': f.hint ? `${inputId}-hint` : null,
      // On input, not change: a change fires on blur, which a click on Confirm causes; a preview
      // started then would disable the button under the pointer and swallow the click.
      oninput: f.affectsPreview ? () => schedulePreview() : undefined,
    });
    inputs.set(f.id, input);
    return h(
      'div',
      { class: 'field' },
      h('label', { for: inputId }, f.label, f.required ? h('span', { 'aria-hidden': 'true' }, ' *') : null),
      input,
      f.hint ? h('small', { id: `${inputId}-hint`, class: 'muted' }, f.hint) : null,
    );
  });

  const form = h(
    'form',
    {
      class: 'bulk-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void run();
      },
    },
    fields,
    h('div', { class: 'buttons' }, confirm, cancel),
  );

  const panel = h(
    'section',
    { class: 'panel bulk-panel', 'aria-labelledby': headingId, 'data-testid': 'bulk-panel' },
    h('h3', { id: headingId, tabindex: -1 }, plan.title),
    h('p', null, plan.description),
    previewRegion,
    form,
  );
  container.replaceChildren(panel);
  panel.querySelector<HTMLElement>(`#${headingId}`)?.focus();

  function close(): void {
    panelSeq++;
    container.replaceChildren();
  }

  let timer: ReturnType<typeof setTimeout> | null = null;
  /** Previews the edited values once typing pauses (each keystroke would be a request). */
  function schedulePreview(): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void loadPreview();
    }, 250);
  }

  function loadPreview(): Promise<void> {
    const mine = ++previewSeq;
    const asked = values();
    patch(
      previewRegion,
      h('p', { class: 'muted' }, previewed ? 'Updating the preview…' : 'Loading preview…'),
    );
    const done = (async () => {
      try {
        const preview = await plan.preview(asked);
        if (mine !== previewSeq) return;
        previewed = preview;
        previewedKey = JSON.stringify(asked);
        patch(previewRegion, renderPreview(preview));
        confirm.disabled = preview.count === 0;
      } catch (error) {
        if (mine !== previewSeq) return;
        previewed = null;
        previewedKey = '';
        confirm.disabled = true;
        patch(
          previewRegion,
          h('p', { class: 'error', role: 'alert' }, `Preview failed: ${(error as Error).message}`),
        );
      }
    })();
    previewing = done;
    return done;
  }

  async function run(): Promise<void> {
    if (!form.reportValidity()) return;
    // A click right after an edit runs the edited values: their preview is made first (the panel
    // shows what runs) and the click is not lost to the preview in flight.
    if (timer) clearTimeout(timer);
    timer = null;
    if (JSON.stringify(values()) !== previewedKey) await loadPreview();
    else if (previewing) await previewing;
    if (!previewed || previewed.count === 0) return;
    confirm.disabled = true;
    cancel.disabled = true;
    confirm.textContent = 'Working…';
    try {
      const outcome = await plan.run(values());
      close();
      if (typeof outcome === 'string') showMessage('success', outcome);
      else showMessage(outcome.kind, outcome.message);
      onDone();
    } catch (error) {
      confirm.disabled = false;
      cancel.disabled = false;
      confirm.textContent = plan.confirmLabel;
      if (error instanceof ApiError && error.status === 401) return;
      showMessage('error', `${plan.title} failed: ${(error as Error).message}`);
    }
  }

  void loadPreview();
}

function renderPreview(preview: BulkPreview): HTMLElement {
  return h(
    'div',
    { 'data-testid': 'bulk-preview' },
    h(
      'p',
      { class: 'preview-count' },
      'This will touch ',
      h('strong', { 'data-testid': 'preview-count' }, formatNumber(preview.count)),
      preview.count === 1 ? ' dead letter.' : ' dead letters.',
    ),
    (preview.notes ?? []).map((n) => h('p', { class: 'muted' }, n)),
    preview.sample.length > 0
      ? h(
          'table',
          { class: 'data compact' },
          h(
            'caption',
            null,
            preview.sampleCaption ??
              (preview.sample.length < preview.count
                ? `A sample of ${preview.sample.length} of them`
                : `All ${preview.sample.length} of them`),
          ),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'col' }, 'Id'),
              h('th', { scope: 'col' }, 'Status'),
              h('th', { scope: 'col' }, 'Domain'),
              h('th', { scope: 'col' }, 'Error'),
              h('th', { scope: 'col' }, 'Dead-lettered'),
            ),
          ),
          h(
            'tbody',
            null,
            preview.sample.map((d) =>
              h(
                'tr',
                null,
                h(
                  'td',
                  { class: 'mono' },
                  h('a', { href: `#/dead-letters/${encodeURIComponent(d.id)}` }, d.id),
                ),
                h('td', null, statusBadge(d.status)),
                h('td', null, d.domain),
                h('td', { class: 'error-cell' }, errorText(d)),
                h('td', null, timeEl(d.deadLetteredAt)),
              ),
            ),
          ),
        )
      : null,
  );
}

export function errorText(d: Pick<DeadLetterSummary, 'errorClass' | 'errorMessage'>): string {
  const message = d.errorMessage.length > 160 ? `${d.errorMessage.slice(0, 159)}…` : d.errorMessage;
  return d.errorClass ? `${d.errorClass}: ${message}` : message || '(no message)';
}
