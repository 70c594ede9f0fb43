/**
 * A private, throw-away redis-server for tests that must kill and restart Redis (its data gone):
 * started from the `redis-server` binary on a free port, without persistence.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { pingRedis } from '../support/services.js';
import { waitFor } from '../support/wait.js';

/**
 * Whether the restart scenarios can run: `true` when a `redis-server` binary is on the PATH. Under
 * `CI=true` always `true`, so that a missing binary fails those tests instead of skipping them;
 * locally a missing binary skips them with a loud warning.
 */
export function redisServerAvailable(): boolean {
  if (process.env.CI === 'true') return true;
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    console.warn(
      'SKIPPING the Redis-restart chaos tests: no redis-server binary on the PATH (they fail under CI=true)',
    );
  }
  return probe.status === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A redis-server child process that can be killed and restarted on the same port. */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  /** Starts a server on a free port and waits until it answers PING. */
  static async start(): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Kills the server at once (SIGKILL: no shutdown, and without persistence its data is gone). */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts the server (again) on the same port, empty. */
  async restart(): Promise<void> {
    await this.kill();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    await waitFor(
      `redis-server on port ${this.port}`,
      async () => (await pingRedis(this.url, 200)).available,
      {
        timeoutMs: 5000,
      },
    );
  }

  /** Stops the server for good. */
  async stop(): Promise<void> {
    await this.kill();
  }
}
