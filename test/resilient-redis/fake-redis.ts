/**
 * An in-memory stand-in for an ioredis client, for ResilientRedis unit tests on a fake clock. It
 * interprets a few commands, logs every command that "reaches the server" (with the database it
 * ran in), and can be switched to fail the ways a real connection fails.
 */

import type { RedisBatchLike, RedisLike } from '../../src/resilient-redis/client.js';
import type { RedisArg } from '../../src/resilient-redis/command-classes.js';

/**
 * How the fake answers the next commands:
 * - `up`: runs them.
 * - `down`: refuses to send (as ioredis does with the offline queue off).
 * - `hang`: "sends" them and never answers (a black-holed connection).
 * - `lost`: runs them on the server, then reports the connection lost before the reply.
 * - `lost_unapplied`: reports the connection lost; the server never got them.
 */
export type FakeMode = 'up' | 'down' | 'hang' | 'lost' | 'lost_unapplied';

export class ReplyError extends Error {
  override name = 'ReplyError';
}

export class FakeRedis implements RedisLike {
  status = 'ready';
  readonly options = {
    enableOfflineQueue: false as boolean | undefined,
    autoResendUnfulfilledCommands: false as boolean | undefined,
    maxRetriesPerRequest: 0,
    db: 0,
  };
  mode: FakeMode = 'up';
  /** Per-command override of `mode`, by upper-case name. */
  modeFor: Record<string, FakeMode> = {};
  /** Commands that reached the server, in order, with their database. */
  readonly log: { db: number; cmd: string[] }[] = [];
  readonly dbs = new Map<number, Map<string, unknown>>();
  db = 0;
  disconnects = 0;
  /** Resets of the socket (`stream.resetAndDestroy()`), and graceful socket destroys. */
  resets = 0;
  destroys = 0;
  quits = 0;
  /** The socket, as ioredis exposes it: a reset or a destroy is counted. */
  readonly stream = {
    destroyed: false,
    resetAndDestroy: () => {
      this.resets++;
    },
    destroy: () => {
      this.destroys++;
    },
  };
  /** Hanging calls, settled by the test if it wants. */
  readonly hanging: { cmd: string[]; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];

  private store(db = this.db): Map<string, unknown> {
    let m = this.dbs.get(db);
    if (!m) {
      m = new Map();
      this.dbs.set(db, m);
    }
    return m;
  }

  /** The value of `key` in `db` (the server's view). */
  value(key: string, db = 0): unknown {
    return this.dbs.get(db)?.get(key);
  }

  /** Commands named `name` that reached the server. */
  sent(name: string): string[][] {
    return this.log.filter((e) => e.cmd[0] === name.toUpperCase()).map((e) => e.cmd);
  }

  call(command: string, ...args: RedisArg[]): Promise<unknown> {
    const cmd = [command.toUpperCase(), ...args.map(String)];
    const mode = this.modeFor[cmd[0] as string] ?? this.mode;
    return this.dispatch(mode, () => this.exec(cmd), cmd);
  }

  multi(): RedisBatchLike {
    const queued: string[][] = [];
    const batch: RedisBatchLike = {
      call: (command: string, ...args: RedisArg[]) => {
        queued.push([command.toUpperCase(), ...args.map(String)]);
        return batch;
      },
      exec: () => {
        const mode = this.mode;
        return this.dispatch(mode, () => {
          this.log.push({ db: this.db, cmd: ['MULTI'] });
          const out = queued.map((c): [Error | null, unknown] => {
            try {
              return [null, this.exec(c)];
            } catch (error) {
              return [error as Error, undefined];
            }
          });
          this.log.push({ db: this.db, cmd: ['EXEC'] });
          return out;
        }, ['MULTI', ...queued.map((c) => c.join(' '))]) as Promise<[Error | null, unknown][] | null>;
      },
    };
    return batch;
  }

  private readyListeners: (() => void)[] = [];

  once(_event: 'ready', listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Becomes ready (as ioredis does once connected), calling the `ready` listeners. */
  becomeReady(): void {
    this.status = 'ready';
    this.mode = 'up';
    for (const l of this.readyListeners.splice(0)) l();
  }

  disconnect(): void {
    this.disconnects++;
  }

  quit(): Promise<unknown> {
    this.quits++;
    this.status = 'end';
    return Promise.resolve('OK');
  }

  private dispatch(mode: FakeMode, run: () => unknown, cmd: string[]): Promise<unknown> {
    switch (mode) {
      case 'down':
        return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
      case 'hang':
        return new Promise((resolve, reject) => this.hanging.push({ cmd, resolve, reject }));
      case 'lost':
        try {
          run();
        } catch {
          // the reply is lost anyway
        }
        return Promise.reject(new Error('Command aborted due to connection close'));
      case 'lost_unapplied':
        return Promise.reject(new Error('Command aborted due to connection close'));
      default:
        try {
          return Promise.resolve(run());
        } catch (error) {
          return Promise.reject(error);
        }
    }
  }

  private exec(cmd: string[]): unknown {
    const [name, ...a] = cmd;
    const s = this.store();
    this.log.push({ db: this.db, cmd });
    const key = a[0] ?? '';
    switch (name) {
      case 'PING':
        return 'PONG';
      case 'SELECT':
        this.db = Number(key);
        return 'OK';
      case 'GET': {
        const v = s.get(key);
        if (Array.isArray(v))
          throw new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value');
        return v ?? null;
      }
      case 'MGET':
        return a.map((k) => (s.get(k) as string | undefined) ?? null);
      case 'EXISTS':
        return a.filter((k) => s.has(k)).length;
      case 'SET':
        s.set(key, a[1]);
        return 'OK';
      case 'DEL':
        return a.filter((k) => s.delete(k)).length;
      case 'INCR': {
        const n = Number(s.get(key) ?? 0) + 1;
        s.set(key, String(n));
        return n;
      }
      case 'RPUSH': {
        const list = (s.get(key) as string[] | undefined) ?? [];
        if (!Array.isArray(list)) throw new ReplyError('WRONGTYPE');
        list.push(...a.slice(1));
        s.set(key, list);
        return list.length;
      }
      case 'LRANGE':
        return [...((s.get(key) as string[] | undefined) ?? [])];
      case 'HSET': {
        const h = (s.get(key) as Record<string, string> | undefined) ?? {};
        for (let i = 1; i + 1 < a.length; i += 2) h[a[i] as string] = a[i + 1] as string;
        s.set(key, h);
        return 1;
      }
      case 'HGETALL':
        return { ...((s.get(key) as Record<string, string> | undefined) ?? {}) };
      default:
        throw new ReplyError(`ERR unknown command '${name}'`);
    }
  }
}
