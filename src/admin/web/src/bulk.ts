/**
 * Bulk actions with a preview: before anything is touched, the panel shows how many entries the
 * action will touch and a sample of them; only then can the operator confirm.
 */
import { ApiError } from './api.js';
import { formatNumber, h, patch, showMessage, statusBadge, timeEl } from './dom.js';
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
}

export interface BulkPlan {
  title: string;
  description: string;
  fields?: BulkField[];
  preview(values: Record<string, string>): Promise<BulkPreview>;
  confirmLabel: string;
  /** Does the action; returns the message to show. */
  run(values: Record<string, string>): Promise<string>;
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
  let previewSeq = 0;

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
      onchange: f.affectsPreview ? () => void loadPreview() : undefined,
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

  async function loadPreview(): Promise<void> {
    const mine = ++previewSeq;
    confirm.disabled = true;
    patch(previewRegion, h('p', null, 'Loading preview…'));
    try {
      const preview = await plan.preview(values());
      if (mine !== previewSeq) return;
      previewed = preview;
      patch(previewRegion, renderPreview(preview));
      confirm.disabled = preview.count === 0;
    } catch (error) {
      if (mine !== previewSeq) return;
      previewed = null;
      patch(
        previewRegion,
        h('p', { class: 'error', role: 'alert' }, `Preview failed: ${(error as Error).message}`),
      );
    }
  }

  async function run(): Promise<void> {
    if (!previewed || previewed.count === 0) return;
    if (!form.reportValidity()) return;
    confirm.disabled = true;
    cancel.disabled = true;
    confirm.textContent = 'Working…';
    try {
      const message = await plan.run(values());
      close();
      showMessage('success', message);
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
            preview.sample.length < preview.count
              ? `A sample of ${preview.sample.length} of them`
              : `All ${preview.sample.length} of them`,
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
