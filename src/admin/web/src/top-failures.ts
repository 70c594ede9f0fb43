/**
 * Top failures: the open dead letters grouped by fingerprint, largest first. Each group shows what
 * identifies it (error class, message with its variable parts masked, first in-app frame), every
 * domain it spans, and links to its entries.
 */
import { formatNumber, h, patch, timeEl } from './dom.js';
import { serializeListState } from './filters.js';
import { type ListPage, OPEN_STATUSES } from './list-page.js';
import type { FailureGroup, ScanReport } from './types.js';

/** Renders the groups into `region`. */
export function renderTopFailures(
  region: HTMLElement,
  page: ListPage,
  groups: FailureGroup[],
  scan: ScanReport | null,
): void {
  if (groups.length === 0) {
    patch(region, h('p', { class: 'muted' }, 'No open failures match.'));
    return;
  }
  const state = page.state();
  const entriesHref = (g: FailureGroup) =>
    `#/dead-letters?${serializeListState({
      ...state,
      fingerprint: g.fingerprint,
      status: state.status.length > 0 ? state.status : OPEN_STATUSES,
      page: 1,
      cursor: '',
      tab: 'entries',
    })}`;
  patch(
    region,
    scan && !scan.complete
      ? h(
          'p',
          { class: 'muted small' },
          `Grouped from the newest ${formatNumber(scan.examined)} matching entries.`,
        )
      : null,
    h(
      'ol',
      { class: 'top-failures' },
      groups.map((g) =>
        h(
          'li',
          { class: 'failure-group', 'data-fingerprint': g.fingerprint },
          h('span', { class: 'count-badge', title: 'open entries in this group' }, formatNumber(g.count)),
          h(
            'div',
            { class: 'failure-body' },
            h(
              'p',
              { class: 'failure-message' },
              g.errorClass ? [h('strong', null, g.errorClass), ': '] : null,
              g.message || '(no message)',
            ),
            h(
              'p',
              { class: 'failure-frame mono small' },
              g.frame ? `at ${g.frame}` : h('span', { class: 'muted' }, 'no in-app stack frame'),
            ),
            h(
              'p',
              { class: 'muted small failure-domains' },
              g.domains.length === 1 ? 'Domain ' : 'Domains ',
              g.domains.map((d, i) => [
                i > 0 ? ', ' : '',
                h('span', { class: 'domain-name' }, d.domain),
                ` (${formatNumber(d.count)})`,
              ]),
              ' · first ',
              timeEl(g.firstSeen),
              ' · last ',
              timeEl(g.lastSeen),
            ),
            h(
              'p',
              { class: 'failure-links' },
              h(
                'a',
                { href: entriesHref(g) },
                `Show ${g.count === 1 ? 'its entry' : `its ${formatNumber(g.count)} entries`}`,
              ),
              ' · ',
              h('a', { href: `#/dead-letters/${encodeURIComponent(g.sampleId)}` }, 'Open the latest'),
            ),
          ),
        ),
      ),
    ),
  );
}
