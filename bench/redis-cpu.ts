/**
 * Redis CPU spent on a measured window, from `INFO cpu` (used_cpu_sys + used_cpu_user) and
 * `INFO commandstats` deltas read over a connection of its own just before and just after the
 * window. CPU per job on the server hardly moves with the load of the machine the clients run on,
 * unlike jobs per second, so it is the figure the redrive-versus-BullMQ comparison rests on.
 *
 * The deltas cover everything the server did in the window: run the bench on a Redis no one else
 * uses (BENCH_REDIS_URL) for figures that are only the bench's.
 */
import { Redis } from 'ioredis';

/** One command's share of a window: calls and the server's microseconds in it. */
export interface CommandCost {
  calls: number;
  usec: number;
}

/** What the server spent in a window, as a scenario reports it in its `details`. */
export interface RedisCpu {
  /** used_cpu_sys + used_cpu_user delta of the whole server process, in microseconds. */
  redisCpuUs: number;
  /** redisCpuUs divided by the jobs of the window. */
  redisCpuUsPerJob: number;
  /**
   * Per command (lower-case name, commands run inside scripts included), calls and usec over the
   * window, most expensive first; INFO itself is left out.
   */
  redisCommands: Record<string, CommandCost>;
}

interface Snapshot {
  cpuUs: number;
  commands: Map<string, CommandCost>;
}

/** `name:value` lines of an INFO section. */
function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** Parses `cmdstat_<name>:calls=N,usec=N,...` lines. */
export function parseCommandStats(text: string): Map<string, CommandCost> {
  const commands = new Map<string, CommandCost>();
  for (const [field, value] of infoFields(text)) {
    if (!field.startsWith('cmdstat_')) continue;
    const parts = Object.fromEntries(value.split(',').map((kv) => kv.split('=') as [string, string]));
    commands.set(field.slice('cmdstat_'.length), { calls: Number(parts.calls), usec: Number(parts.usec) });
  }
  return commands;
}

/** The server's CPU seconds (sys + user) as microseconds. */
export function parseCpuUs(text: string): number {
  const fields = infoFields(text);
  return Math.round((Number(fields.get('used_cpu_sys')) + Number(fields.get('used_cpu_user'))) * 1e6);
}

/** The window between two snapshots, per job. */
export function cpuBetween(before: Snapshot, after: Snapshot, jobs: number): RedisCpu {
  const costs: [string, CommandCost][] = [];
  for (const [name, end] of after.commands) {
    if (name === 'info') continue;
    const start = before.commands.get(name) ?? { calls: 0, usec: 0 };
    const calls = end.calls - start.calls;
    if (calls > 0) costs.push([name, { calls, usec: end.usec - start.usec }]);
  }
  costs.sort((a, b) => b[1].usec - a[1].usec);
  const redisCpuUs = after.cpuUs - before.cpuUs;
  return {
    redisCpuUs,
    redisCpuUsPerJob: jobs > 0 ? Math.round((redisCpuUs / jobs) * 100) / 100 : 0,
    redisCommands: Object.fromEntries(costs),
  };
}

/** Measures windows of one Redis server; `start()` opens a window, the function it returns closes it. */
export class RedisCpuMeter {
  readonly #redis: Redis;

  constructor(url: string) {
    this.#redis = new Redis(url, { lazyConnect: true });
  }

  async #snapshot(): Promise<Snapshot> {
    // Commandstats first: the INFO cpu reading after it then includes the cost of that reply.
    const commands = parseCommandStats(await this.#redis.info('commandstats'));
    return { cpuUs: parseCpuUs(await this.#redis.info('cpu')), commands };
  }

  /** Opens a window; the returned function closes it and reports the window's cost for `jobs`. */
  async start(): Promise<(jobs: number) => Promise<RedisCpu>> {
    if (this.#redis.status === 'wait') await this.#redis.connect();
    const before = await this.#snapshot();
    return async (jobs) => cpuBetween(before, await this.#snapshot(), jobs);
  }

  close(): void {
    this.#redis.disconnect();
  }
}
