/**
 * A real Redis Cluster for tests: 3 masters and 3 replicas, six local `redis-server` processes on
 * spare ports, joined with `redis-cli --cluster create ... --cluster-replicas 1`, torn down (and
 * their files removed) after. Each suite that needs one starts its own, so a suite that kills a
 * master disturbs no other.
 *
 * The nodes run without persistence, with a short `cluster-node-timeout` so that a replica takes
 * over a killed master within about a second, and with `cluster-replica-validity-factor 0` so a
 * replica that was stopped for a while may still be promoted (the failover tests stop one on
 * purpose to show what asynchronous replication can lose).
 *
 * When `redis-server` or `redis-cli` is missing: locally the suite is skipped with a loud
 * warning; under `CI=true` {@link startRedisCluster} throws, so the suite fails.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Cluster, Redis } from 'ioredis';
import { underCi } from './services.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** One node of a test cluster. */
export interface ClusterNode {
  port: number;
  process: ChildProcess;
}

/** A running test cluster. */
export interface TestCluster {
  /** The nodes' ports, as `redis-cli --cluster create` was given them. */
  nodes: ClusterNode[];
  /** Startup nodes for an ioredis `Cluster`. */
  startupNodes: { host: string; port: number }[];
  /** A `redis+cluster://` URL naming every node. */
  url: string;
  /** The node currently master of the slot `key` hashes to, and one of its replicas. */
  ownersOf(key: string): Promise<{ master: ClusterNode; replica: ClusterNode | undefined }>;
  /** Starts a killed node again (same port and cluster config: it rejoins, as a replica if it was replaced). */
  restart(node: ClusterNode): Promise<void>;
  /** Waits until every live node reports `cluster_state:ok` and every slot has a reachable master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes their files. */
  stop(): Promise<void>;
}

/** Whether this machine can run a test cluster. */
export type ClusterAvailability = { available: true } | { available: false; reason: string };

async function which(binary: string): Promise<boolean> {
  try {
    await run(binary, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `redis-server` and `redis-cli` are installed. Under CI a missing binary throws (the suite
 * must fail, not skip).
 */
export async function redisClusterAvailability(): Promise<ClusterAvailability> {
  const missing = [];
  if (!(await which('redis-server'))) missing.push('redis-server');
  if (!(await which('redis-cli'))) missing.push('redis-cli');
  if (missing.length === 0) return { available: true };
  const reason = `${missing.join(' and ')} not installed; the Redis Cluster suites`;
  if (underCi()) throw new Error(`${reason} fail under CI=true.`);
  process.stderr.write(`\n${'!'.repeat(100)}\n!! SKIPPED: ${reason} are skipped.\n${'!'.repeat(100)}\n`);
  return { available: false, reason };
}

/** Whether `port` can be listened on, on 127.0.0.1. */
function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Six ports whose cluster-bus ports (port + 10000) are free too, from a range no default uses. */
async function sparePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  let candidate = 21000 + ((process.pid * 7) % 3000) * 3;
  while (ports.length < count) {
    candidate += 1;
    if (candidate > 30000) candidate = 21000;
    if ((await free(candidate)) && (await free(candidate + 10000))) ports.push(candidate);
  }
  return ports;
}

/** Asks one node for its INFO/CLUSTER INFO over a fresh connection. */
async function ask(port: number, ...args: string[]): Promise<string> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return String(await client.call(args[0]!, ...args.slice(1)));
  } finally {
    client.disconnect();
  }
}

/** Starts a 3-master, 3-replica cluster and waits until it serves every slot. */
export async function startRedisCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'redrive-cluster-'));
  const ports = await sparePorts(6);
  const launch = (port: number) =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '1000',
        '--cluster-replica-validity-factor',
        '0',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
  const nodes: ClusterNode[] = ports.map((port) => ({ port, process: launch(port) }));
  const alive = new Set(nodes);
  for (const node of nodes) node.process.once('exit', () => alive.delete(node));

  const stop = async () => {
    await Promise.all(
      nodes.map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.process.exitCode !== null || node.process.signalCode !== null) return resolve();
            node.process.once('exit', () => resolve());
            node.process.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const node of nodes) {
      await waitFor(
        `redis-server on port ${node.port}`,
        () => ask(node.port, 'PING').then((r) => r === 'PONG'),
        {
          timeoutMs: 10_000,
        },
      );
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
  } catch (error) {
    await stop();
    throw error;
  }

  const waitHealthy = async (timeoutMs = 20_000) => {
    await waitFor(
      'the cluster to serve every slot',
      async () => {
        for (const node of alive) {
          const info = await ask(node.port, 'CLUSTER', 'INFO');
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
        }
        return true;
      },
      { timeoutMs, stepMs: 25 },
    );
  };

  const ownersOf = async (key: string) => {
    const live = [...alive];
    const slot = Number(await ask(live[0]!.port, 'CLUSTER', 'KEYSLOT', key));
    const client = new Redis({ port: live[0]!.port, host: '127.0.0.1' });
    try {
      const slots = (await client.call('CLUSTER', 'SLOTS')) as [
        number,
        number,
        ...[string, number, string][],
      ][];
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      const [, , master, ...replicas] = range;
      const byPort = (port: number | undefined) => nodes.find((n) => n.port === port);
      return { master: byPort(master?.[1])!, replica: byPort(replicas[0]?.[1]) };
    } finally {
      client.disconnect();
    }
  };

  try {
    await waitHealthy();
    // Replicas attach after the slots are assigned: wait until every master lists one.
    await waitFor(
      'every master to have a replica',
      async () => {
        const client = new Redis({ port: ports[0]!, host: '127.0.0.1' });
        try {
          const slots = (await client.call('CLUSTER', 'SLOTS')) as unknown[][];
          return slots.length > 0 && slots.every((range) => range.length >= 4);
        } finally {
          client.disconnect();
        }
      },
      { timeoutMs: 20_000, stepMs: 25 },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const restart = async (node: ClusterNode) => {
    if (node.process.exitCode === null && node.process.signalCode === null) return;
    node.process = launch(node.port);
    alive.add(node);
    node.process.once('exit', () => alive.delete(node));
    await waitFor(
      `redis-server on port ${node.port} again`,
      () => ask(node.port, 'PING').then((r) => r === 'PONG'),
      {
        timeoutMs: 10_000,
      },
    );
  };

  const startupNodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  return {
    nodes,
    startupNodes,
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ownersOf,
    restart,
    waitHealthy,
    stop,
  };
}

/** Deletes every key starting with `prefix` on every master of `cluster` (test clean-up only). */
export async function deleteClusterKeys(cluster: Cluster, prefix: string): Promise<void> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = (await node.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [
        string,
        string[],
      ];
      cursor = next;
      for (const key of keys) await node.call('DEL', key);
    } while (cursor !== '0');
  }
}
