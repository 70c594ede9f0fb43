/**
 * The throughput chart: completed and failed jobs per second as two lines in inline SVG.
 */
import { formatNumber, formatRate, h, svg } from './dom.js';
import type { ThroughputPoint } from './types.js';

const WIDTH = 1000;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 12, bottom: 26, left: 44 };

/** Per-second rates from per-sample deltas. */
export function toRates(
  points: readonly ThroughputPoint[],
): { t: number; completed: number; failed: number }[] {
  const out: { t: number; completed: number; failed: number }[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const prev = points[i - 1];
    const seconds = prev ? Math.max(0.001, (p.t - prev.t) / 1000) : 2;
    out.push({ t: p.t, completed: p.completed / seconds, failed: p.failed / seconds });
  }
  return out;
}

/** A "nice" axis maximum at or above `value`: 1, 2, 5 x 10^n. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * exp >= value) return step * exp;
  return 10 * exp;
}

export function throughputChart(
  queue: string,
  points: readonly ThroughputPoint[],
  windowSeconds: number,
  now: number,
): HTMLElement {
  const rates = toRates(points);
  const totalCompleted = points.reduce((s, p) => s + p.completed, 0);
  const totalFailed = points.reduce((s, p) => s + p.failed, 0);
  const last = rates[rates.length - 1];
  const summary = `Throughput of queue ${queue} over the last ${Math.round(windowSeconds / 60)} min: ${formatNumber(
    totalCompleted,
  )} completed, ${formatNumber(totalFailed)} failed${
    last ? `; latest ${formatRate(last.completed)} completed/s, ${formatRate(last.failed)} failed/s` : ''
  }.`;
  const start = now - windowSeconds * 1000;
  const innerW = WIDTH - MARGIN.left - MARGIN.right;
  const innerH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const yMax = niceMax(Math.max(0, ...rates.map((r) => Math.max(r.completed, r.failed))));
  const x = (t: number) => MARGIN.left + ((t - start) / (windowSeconds * 1000)) * innerW;
  const y = (v: number) => MARGIN.top + innerH - (v / yMax) * innerH;
  const line = (key: 'completed' | 'failed') =>
    rates
      .filter((r) => r.t >= start)
      .map((r) => `${x(r.t).toFixed(1)},${y(r[key]).toFixed(1)}`)
      .join(' ');

  const grid = [0, 0.5, 1].map((f) => {
    const v = yMax * f;
    return svg(
      'g',
      { class: 'grid' },
      svg('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(v), y2: y(v) }),
      svg(
        'text',
        { x: MARGIN.left - 6, y: y(v) + 4, 'text-anchor': 'end' },
        v >= 10 ? v.toFixed(0) : v.toFixed(1),
      ),
    );
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const secondsAgo = Math.round((1 - f) * windowSeconds);
    const label =
      secondsAgo === 0 ? 'now' : secondsAgo >= 60 ? `-${secondsAgo / 60} min` : `-${secondsAgo} s`;
    return svg(
      'text',
      {
        class: 'tick',
        x: MARGIN.left + f * innerW,
        y: HEIGHT - 8,
        'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle',
      },
      label,
    );
  });
  const titleId = `chart-title-${queue.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const chart = svg(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-labelledby': titleId,
    },
    svg('title', { id: titleId }, summary),
    grid,
    ticks,
    svg('text', { class: 'axis-label', x: 4, y: MARGIN.top + 4 }, '/s'),
    rates.length > 0 ? svg('polyline', { class: 'line completed', points: line('completed') }) : null,
    rates.length > 0 ? svg('polyline', { class: 'line failed', points: line('failed') }) : null,
  );
  return h(
    'figure',
    { class: 'chart-figure', 'data-testid': 'throughput-chart' },
    chart,
    h(
      'figcaption',
      null,
      h('span', { class: 'legend completed' }, 'completed/s'),
      ' ',
      h('span', { class: 'legend failed' }, 'failed/s'),
      ' ',
      h('span', { class: 'muted' }, points.length < 2 ? 'Collecting samples (one every 2 s)…' : summary),
    ),
  );
}
