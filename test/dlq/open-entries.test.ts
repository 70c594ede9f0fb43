import { describe, expect, it } from 'vitest';
import { openIdsMatching } from '../../src/dlq/open-entries.js';
import type { DeadLetterPage } from '../../src/store/dead-letter-store.js';
import type { Store } from '../../src/store/store.js';

/** A store whose dead-letter listing answers from a script of pages, recording each request. */
function pagedStore(pages: Array<{ ids: string[]; nextCursor: string | null }>) {
  const requests: Array<{ cursor?: string; limit?: number }> = [];
  const store = {
    async listDeadLetters(params: { cursor?: string; limit?: number }) {
      requests.push({ cursor: params.cursor, limit: params.limit });
      const page = pages[requests.length - 1] ?? { ids: [], nextCursor: null };
      return {
        items: page.ids.map((id) => ({ id })),
        nextCursor: page.nextCursor,
      } as unknown as DeadLetterPage;
    },
  } as unknown as Store;
  return { store, requests };
}

describe('openIdsMatching', () => {
  it('walks past empty pages that carry a cursor (a bounded scan that found nothing in its budget)', async () => {
    const { store, requests } = pagedStore([
      { ids: [], nextCursor: 'c1' },
      { ids: [], nextCursor: 'c2' },
      { ids: ['7', '9'], nextCursor: null },
    ]);
    await expect(openIdsMatching(store, { errorText: 'timeout' }, 100)).resolves.toEqual({
      ids: ['7', '9'],
      truncated: false,
    });
    expect(requests.map((r) => r.cursor)).toEqual([undefined, 'c1', 'c2']);
  });

  it('stops when the cursor does not move, and says when there were more than max', async () => {
    const stuck = pagedStore([
      { ids: ['1'], nextCursor: 'c1' },
      { ids: [], nextCursor: 'c1' },
    ]);
    await expect(openIdsMatching(stuck.store, {}, 100)).resolves.toEqual({ ids: ['1'], truncated: false });
    const many = pagedStore([{ ids: ['1', '2', '3'], nextCursor: 'c1' }]);
    await expect(openIdsMatching(many.store, {}, 2)).resolves.toEqual({ ids: ['1', '2'], truncated: true });
  });
});
