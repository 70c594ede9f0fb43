/**
 * The grouping corpus: real-shaped errors from the libraries Node services use, labelled by bug.
 * Pairwise over all occurrences: precision = pairs grouped together that are the same bug / all
 * pairs grouped together; recall = same-bug pairs grouped together / all same-bug pairs. Different
 * bugs must never share a group (precision 1); one bug may rarely split (recall >= 0.95).
 */
import { expect, it } from 'vitest';
import { deadLetterFingerprint } from '../../src/core/fingerprint.js';
import { expand, type Occurrence } from './grouping-corpus/build.js';
import { HTTP_BUGS } from './grouping-corpus/http.js';
import { HARD_BUGS, NODE_BUGS } from './grouping-corpus/node.js';
import { NOSQL_BUGS } from './grouping-corpus/nosql.js';
import { SQL_BUGS } from './grouping-corpus/sql.js';

const corpus: Occurrence[] = expand(
  [...SQL_BUGS, ...NOSQL_BUGS, ...HTTP_BUGS, ...NODE_BUGS, ...HARD_BUGS],
  12,
);

function fingerprintOf(o: Occurrence): string {
  return deadLetterFingerprint({
    errorClass: o.errorClass,
    errorCode: o.code,
    errorMessage: o.message,
    errorStack: o.stack,
    failureType: 'retries_exhausted',
  });
}

/** Pairwise precision and recall of `fingerprints` against the bug labels. */
function pairwise(fingerprints: string[]): {
  precision: number;
  recall: number;
  merged: string[];
  split: string[];
} {
  let together = 0;
  let correctTogether = 0;
  let sameBug = 0;
  const merged = new Set<string>();
  const split = new Set<string>();
  for (let i = 0; i < corpus.length; i++) {
    for (let j = i + 1; j < corpus.length; j++) {
      const same = corpus[i]!.bug === corpus[j]!.bug;
      const grouped = fingerprints[i] === fingerprints[j];
      if (same) sameBug++;
      if (grouped) together++;
      if (same && grouped) correctTogether++;
      if (grouped && !same) merged.add(`${corpus[i]!.bug}  <->  ${corpus[j]!.bug}`);
      if (same && !grouped) split.add(corpus[i]!.bug);
    }
  }
  return {
    precision: together === 0 ? 1 : correctTogether / together,
    recall: sameBug === 0 ? 1 : correctTogether / sameBug,
    merged: [...merged],
    split: [...split],
  };
}

it('groups the corpus by bug: precision 1.0, recall >= 0.95', () => {
  const bugs = new Set(corpus.map((o) => o.bug));
  const libraries = new Set(corpus.map((o) => o.bug.slice(0, o.bug.indexOf(':'))));
  expect(corpus.length).toBeGreaterThanOrEqual(150);
  for (const library of [
    'pg',
    'mysql2',
    'ioredis',
    'fetch',
    'axios',
    'stripe',
    'aws',
    'prisma',
    'mongodb',
    'jwt',
    'fs',
    'net',
    'dns',
  ]) {
    expect(libraries).toContain(library);
  }
  const result = pairwise(corpus.map(fingerprintOf));
  console.log(
    `grouping corpus: ${corpus.length} errors, ${bugs.size} bugs, ${new Set(corpus.map(fingerprintOf)).size} groups; ` +
      `pairwise precision ${result.precision.toFixed(4)}, recall ${result.recall.toFixed(4)}` +
      (result.merged.length > 0 ? `\n  merged: ${result.merged.join('\n          ')}` : '') +
      (result.split.length > 0 ? `\n  split: ${result.split.join('\n         ')}` : ''),
  );
  expect(result.merged).toEqual([]);
  expect(result.precision).toBe(1);
  expect(result.recall).toBeGreaterThanOrEqual(0.95);
});

it('would fail a grouping that ignores the message or keeps ids (the measure can fail)', () => {
  const byFramesOnly = pairwise(
    corpus.map((o) => `${o.errorClass}|${o.stack.split('\n').slice(1).join('|')}`),
  );
  expect(byFramesOnly.recall).toBeLessThan(0.95);
  const byClassOnly = pairwise(corpus.map((o) => o.errorClass));
  expect(byClassOnly.precision).toBeLessThan(1);
});
