/**
 * Runs the store conformance suite on the sharded SQLite store (three files per store), so that
 * routing, id mapping and dead-letter gathering keep every store guarantee.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRandom } from '../../src/core/clock.js';
import { runStoreConformance } from '../../src/entries/store-conformance.js';
import { ShardedSqliteStore } from '../../src/store/sqlite/sharded-sqlite-store.js';

let seed = 1;

async function shardedFactory() {
  const dir = await mkdtemp(join(tmpdir(), 'redrive-sharded-'));
  const store = new ShardedSqliteStore({
    directory: dir,
    shards: 3,
    pollIntervalMs: 0,
    random: createSeededRandom(seed++),
  });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// The model test checks one global claim order; the store's `sharded` capability rules it out, visibly.
runStoreConformance('sqlite sharded x3', shardedFactory);
