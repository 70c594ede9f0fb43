/**
 * What the peer report states about where it ran: the machine, the version of every system, and
 * the durability settings each ran with (SQLite `synchronous`, Redis persistence, PostgreSQL
 * `synchronous_commit`), read from the servers themselves.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { benchPostgresUrl } from './postgres-db.js';
import { benchRedisUrl } from './redis-db.js';
import { REPO_ROOT } from './spawn-scenario.js';

/** The version of an installed package, or `?`. */
export function packageVersion(name: string): string {
  try {
    const file = name === 'redrive' ? 'package.json' : join('node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** The machine, as the report's header and file name give it. */
export function machine(): { label: string; description: string } {
  const list = cpus();
  const model = (list[0]?.model ?? 'unknown cpu').replace(/\s+/g, ' ').trim();
  const slug = `${list.length}cpu-${model}`
    .toLowerCase()
    .replace(/\(r\)|\(tm\)|cpu @.*$/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 48);
  return {
    label: slug,
    description: `${list.length} x ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${process.platform} ${release()} ${process.arch}, Node ${process.version}`,
  };
}

/** The 1-minute load average, rounded. */
export function load1(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** One system's line of the environment table. */
export interface SystemLine {
  store: string;
  system: string;
  version: string;
  durability: string;
}

async function sqliteLine(): Promise<SystemLine[]> {
  const db = new Database(':memory:');
  const version = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const driver = `better-sqlite3 ${packageVersion('better-sqlite3')}, SQLite ${version}`;
  return [
    {
      store: 'SQLite',
      system: 'redrive',
      version: `${packageVersion('redrive')} (${driver})`,
      durability: "WAL, synchronous=NORMAL (redrive's default): a power loss can lose the last commits",
    },
    {
      store: 'SQLite',
      system: 'plainjob',
      version: `${packageVersion('plainjob')} (${driver})`,
      durability: 'WAL, synchronous=1 (NORMAL), set by plainjob',
    },
  ];
}

async function redisLine(): Promise<SystemLine[]> {
  const client = new Redis(benchRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    const get = async (key: string) => ((await client.config('GET', key)) as string[])[1] ?? '?';
    const aof = await get('appendonly');
    const durability = `appendonly=${aof}${aof === 'yes' ? `, appendfsync=${await get('appendfsync')}` : ''}, save="${await get('save')}"`;
    return [
      {
        store: 'Redis',
        system: 'redrive',
        version: `${packageVersion('redrive')} (ioredis ${packageVersion('ioredis')}), Redis ${version}`,
        durability,
      },
      {
        store: 'Redis',
        system: 'BullMQ',
        version: `${packageVersion('bullmq')}, Redis ${version}`,
        durability,
      },
    ];
  } finally {
    client.disconnect();
  }
}

async function postgresLine(): Promise<SystemLine[]> {
  const client = new pg.Client({ connectionString: benchPostgresUrl() });
  await client.connect();
  try {
    const show = async (name: string) => (await client.query(`SHOW ${name}`)).rows[0][name] as string;
    const version = await show('server_version');
    const durability = `synchronous_commit=${await show('synchronous_commit')}, fsync=${await show('fsync')}`;
    const server = `PostgreSQL ${version}`;
    return [
      {
        store: 'PostgreSQL',
        system: 'redrive',
        version: `${packageVersion('redrive')} (pg ${packageVersion('pg')}), ${server}`,
        durability,
      },
      {
        store: 'PostgreSQL',
        system: 'graphile-worker',
        version: `${packageVersion('graphile-worker')}, ${server}`,
        durability,
      },
      {
        store: 'PostgreSQL',
        system: 'pg-boss',
        version: `${packageVersion('pg-boss')}, ${server}`,
        durability,
      },
    ];
  } finally {
    await client.end();
  }
}

/** Every reachable store's systems; a store that does not answer is named in `unreachable`. */
export async function describeSystems(
  stores: readonly string[],
): Promise<{ lines: SystemLine[]; unreachable: Map<string, string> }> {
  const probes: Record<string, () => Promise<SystemLine[]>> = {
    sqlite: sqliteLine,
    redis: redisLine,
    postgres: postgresLine,
  };
  const lines: SystemLine[] = [];
  const unreachable = new Map<string, string>();
  for (const store of stores) {
    try {
      lines.push(...(await probes[store]!()));
    } catch (error) {
      unreachable.set(store, (error as Error).message);
    }
  }
  return { lines, unreachable };
}
