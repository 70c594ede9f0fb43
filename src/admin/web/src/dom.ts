/**
 * A tiny DOM toolkit: element builders, formatting, and the shared message region.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Handler = (event: Event) => void;

/** Attributes and properties of {@link h}: `on*` keys take listeners, `class` the class name. */
export type Props = Record<string, string | number | boolean | null | undefined | Handler>;

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

function applyProps(el: Element, props: Props | null | undefined): void {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', String(value));
    } else if (key === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(value);
    } else if (key === 'checked' && 'checked' in el) {
      (el as HTMLInputElement).checked = Boolean(value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else if (typeof value !== 'function') {
      el.setAttribute(key, String(value));
    }
  }
}

/** Creates an HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element. */
export function svg(tag: string, props?: Props | null, ...children: Child[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag) as SVGElement;
  applyProps(el, props);
  append(el, children);
  return el;
}

/**
 * Replaces a region's content, keeping keyboard focus on the element with the same
 * `data-focus-key` (live regions re-render every poll; focus must not jump away).
 */
export function patch(region: Element, ...children: Child[]): void {
  const active = document.activeElement;
  const key = active && region.contains(active) ? active.getAttribute('data-focus-key') : null;
  const fragment = document.createDocumentFragment();
  append(fragment, children);
  region.replaceChildren(fragment);
  if (key) {
    const again = region.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`);
    again?.focus();
  }
}

// ---- formatting --------------------------------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2024-05-01 12:03:04` in local time. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `3.2 s`, `5 min`, `2 h 10 min`, `3 d 4 h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(abs / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** `3 min ago` relative to `now`. */
export function formatAgo(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const diff = now - ms;
  if (diff < 0) return `in ${formatDuration(-diff)}`;
  if (diff < 1000) return 'just now';
  return `${formatDuration(diff)} ago`;
}

/** A `<time>` element showing a relative time with the absolute one as its title. */
export function timeEl(ms: number | null | undefined, now = Date.now()): HTMLElement {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return h('span', null, '—');
  return h('time', { datetime: new Date(ms).toISOString(), title: formatTime(ms) }, formatAgo(ms, now));
}

const numberFormat = new Intl.NumberFormat('en-US');

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return numberFormat.format(n);
}

export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return '—';
  return perSec >= 10 ? perSec.toFixed(0) : perSec.toFixed(1);
}

/** Pretty JSON, safe for any value. */
export function prettyJson(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `requires_review` -> `requires review`. */
export function humanize(s: string): string {
  return s.replaceAll('_', ' ');
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status}` }, humanize(status));
}

// ---- messages ----------------------------------------------------------------------------------

export type MessageKind = 'info' | 'success' | 'warning' | 'error';

/**
 * Shows a message in the page's live region (`role=status`, polite; errors are also read out via
 * `role=alert`). Returns the element so callers can add a button (e.g. "Reload").
 */
export function showMessage(kind: MessageKind, text: string, ...extra: Child[]): HTMLElement {
  const region = document.getElementById('messages');
  const el = h(
    'div',
    { class: `message message-${kind}`, role: kind === 'error' ? 'alert' : null },
    h('span', { class: 'message-text' }, text),
    extra,
    h(
      'button',
      { type: 'button', class: 'link dismiss', 'aria-label': 'Dismiss message', onclick: () => el.remove() },
      '×',
    ),
  );
  if (region) {
    // Keep the last few messages only.
    while (region.childElementCount >= 4) region.firstElementChild?.remove();
    region.appendChild(el);
  }
  return el;
}

export function clearMessages(): void {
  document.getElementById('messages')?.replaceChildren();
}
