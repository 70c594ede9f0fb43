import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'admin/index': 'src/admin/index.ts',
    'adapters/express': 'src/adapters/express.ts',
    'adapters/fastify': 'src/adapters/fastify.ts',
    'adapters/hono': 'src/adapters/hono.ts',
    'entries/redis': 'src/entries/redis.ts',
    'entries/streams': 'src/entries/streams.ts',
    'entries/testing': 'src/entries/testing.ts',
    'entries/store': 'src/entries/store.ts',
    'entries/store-conformance': 'src/entries/store-conformance.ts',
    'cli/main': 'src/cli/main.ts',
    // A worker process of `redrive chaos`, spawned by path (chaos/worker-spawn.ts).
    'cli/chaos-worker': 'src/cli/chaos/worker-process.ts',
    // The SQLite store's dead-letter reader thread, loaded by path (dead-letter-read-thread.ts).
    'sqlite-read-worker': 'src/store/sqlite/dead-letter-read-worker.ts',
  },
  format: ['esm'],
  dts: {
    entry: [
      'src/index.ts',
      'src/admin/index.ts',
      'src/adapters/express.ts',
      'src/adapters/fastify.ts',
      'src/adapters/hono.ts',
      'src/entries/redis.ts',
      'src/entries/streams.ts',
      'src/entries/testing.ts',
      'src/entries/store.ts',
      'src/entries/store-conformance.ts',
    ],
  },
  target: 'node20',
  clean: true,
  sourcemap: true,
});
