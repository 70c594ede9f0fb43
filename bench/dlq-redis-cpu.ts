/**
 * The target reads of bench/dlq.ts on a Redis store filled before (bench/dlq.ts --reuse <prefix>),
 * each timed over N calls after a warm-up, with the client's CPU, the Redis server's CPU (INFO cpu)
 * and the commands it ran per call: figures that load from other processes moves less than wall
 * time. Run it under the bench lock, on a Redis server of its own:
 *
 *   BENCH_REDIS_URL=redis://127.0.0.1:6417 BENCH_DLQ_PREFIX=<prefix> N=20 npx tsx bench/dlq-redis-cpu.ts
 *
 * ONLY=top,search,... picks cases; NO_PATHS=1 opens the store without indexedPaths.
 */
import { Redis } from 'ioredis';
import { DeadLetterQueue, RedisStore } from '../src/index.js';

const url = process.env.BENCH_REDIS_URL!;
const prefix = process.env.BENCH_DLQ_PREFIX!;
const paths = process.env.NO_PATHS ? {} : { indexedPaths: ['payload.customerId'] };
const store = new RedisStore({ url, prefix, clock: 'caller', ...paths } as never);
const dlq = new DeadLetterQueue({ store, fallbackPath: `.bench-dlq-fallback-${process.pid}.jsonl` });
const admin = new Redis(url);
async function redisCpu(): Promise<number> {
  const info = await admin.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]);
}
const N = Number(process.env.N ?? 20);
const cases: [string, () => Promise<unknown>][] = [
  ['top', () => dlq.topFailures({ limit: 10 })],
  ['topOpen', () => dlq.topFailures({ limit: 10, status: ['pending', 'requires_review'] })],
  ['search', () => dlq.list({ errorText: 'order 4242' }, { pageSize: 20 })],
  ['indexed', () => dlq.list({ where: [{ path: 'payload.customerId', value: 42 }] }, { pageSize: 20 })],
  ['stats', () => dlq.stats()],
  ['list', () => dlq.list({}, { pageSize: 20 })],
  ['facets', () => dlq.facets()],
];
const only = process.env.ONLY?.split(',');
for (const [name, fn] of cases) {
  if (only && !only.includes(name)) continue;
  await fn();
  const r0 = await redisCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const cmd0 = Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))![1]);
  for (let i = 0; i < N; i++) await fn();
  const wall = (performance.now() - t0) / N;
  const cmd1 = Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))![1]);
  const c = process.cpuUsage(c0);
  const r = ((await redisCpu()) - r0) / N;
  console.log(
    `${name.padEnd(8)} wall ${wall.toFixed(2)} ms  client CPU ${((c.user + c.system) / 1000 / N).toFixed(2)} ms  redis CPU ${(r * 1000).toFixed(2)} ms  commands ${((cmd1 - cmd0 - 2) / N).toFixed(1)}`,
  );
}
await dlq.close();
admin.disconnect();
