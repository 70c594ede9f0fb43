/**
 * The one Lua script loader of redrive's Redis users. A family of scripts (the store's, the
 * StreamProcessor's) lives in one directory of `.lua` files, each with a header comment giving its
 * KEYS, ARGV and return shape; `--!include lib/<name>.lua` lines inline shared helpers (each
 * once). Files are read once per process and registered on a client with `defineCommand`, so
 * ioredis sends EVALSHA (EVAL the first time on each connection, and again after a NOSCRIPT) and
 * the scripts work inside pipelines, MULTI/EXEC and on a Cluster (routed by their first key).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ChainableCommander, Redis } from 'ioredis';
import {
  callEncodedScript,
  ENCODED_CALL_MIN_ARGS,
  flatArgCount,
  type ScriptArg,
  type ScriptSource,
} from './encoded-script-call.js';

/** A loaded script: its source with the includes inlined, and how many KEYS it takes. */
export interface LoadedScript {
  name: string;
  lua: string;
  numberOfKeys: number;
}

/** A client that scripts can be registered on (an ioredis `Redis` or `Cluster`). */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

type ScriptCall = (...args: (string | number | Buffer | (string | number)[])[]) => Promise<unknown>;

const INCLUDE = /^--!include\s+(\S+)\s*$/;

/** Reads a script and inlines its includes (each library once, in the order first named). */
function assemble(dir: string, file: string, included: Set<string>): string {
  const text = readFileSync(`${dir}${file}`, 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const match = INCLUDE.exec(line);
    if (!match) {
      out.push(line);
      continue;
    }
    const lib = match[1]!;
    if (included.has(lib)) continue;
    included.add(lib);
    out.push(assemble(dir, lib, included));
  }
  return out.join('\n');
}

/** The number of KEYS a script declares in its header (`-- KEYS[n] ...` lines). */
function keysDeclared(lua: string): number {
  let max = 0;
  for (const match of lua.matchAll(/^--\s*KEYS\[(\d+)\]/gm)) max = Math.max(max, Number(match[1]));
  return max;
}

/**
 * One directory of scripts, registered as commands named `<namespace>_<name>` (dashes as
 * underscores).
 */
export class ScriptFamily<Name extends string> {
  private loaded: Map<Name, LoadedScript> | undefined;
  /** Each script's text and digest, for calls encoded here (see encoded-script-call.ts). */
  private readonly sources = new Map<Name, ScriptSource>();
  private readonly marker: symbol;

  /**
   * @param namespace command-name prefix (`redrive`, `redrive_stream`)
   * @param names every script of the family (the file is `<name>.lua`)
   * @param directories where the files may be, in order: next to the module when running from
   *   the sources, or the package's source directory when running from the bundles in `dist/`
   *   (the package ships it; see package.json `files`)
   */
  constructor(
    private readonly namespace: string,
    readonly names: readonly Name[],
    private readonly directories: readonly URL[],
  ) {
    this.marker = Symbol.for(`redrive.scripts.${namespace}`);
  }

  /** The directory holding the family's files. */
  private directory(): string {
    const probe = `${this.names[0]}.lua`;
    for (const url of this.directories) {
      const path = fileURLToPath(url);
      if (existsSync(`${path}${probe}`)) return path;
    }
    throw new Error(
      `redrive: the ${this.namespace} Lua scripts were not found (looked in ${this.directories.map((u) => fileURLToPath(u)).join(', ')})`,
    );
  }

  /** Every script, read and assembled once per process. */
  load(): Map<Name, LoadedScript> {
    if (this.loaded) return this.loaded;
    const dir = this.directory();
    const loaded = new Map<Name, LoadedScript>();
    for (const name of this.names) {
      const source = readFileSync(`${dir}${name}.lua`, 'utf8');
      const numberOfKeys = keysDeclared(source);
      if (numberOfKeys === 0) throw new Error(`redrive: ${name}.lua declares no KEYS in its header`);
      loaded.set(name, { name, lua: assemble(dir, `${name}.lua`, new Set()), numberOfKeys });
    }
    this.loaded = loaded;
    return loaded;
  }

  /** A script's text and digest. */
  private source(name: Name): ScriptSource {
    let source = this.sources.get(name);
    if (!source) {
      const { lua } = this.load().get(name)!;
      source = { lua, sha: createHash('sha1').update(lua).digest('hex') };
      this.sources.set(name, source);
    }
    return source;
  }

  /** The command a script is registered as on a client. */
  commandName(name: Name): string {
    return `${this.namespace}_${name.replace(/-/g, '_')}`;
  }

  /** Registers every script of the family on `client` (idempotent per client). */
  define(client: ScriptHost): void {
    const marked = client as ScriptHost & Record<symbol, boolean>;
    if (marked[this.marker]) return;
    for (const script of this.load().values()) {
      client.defineCommand(this.commandName(script.name as Name), {
        numberOfKeys: script.numberOfKeys,
        lua: script.lua,
      });
    }
    marked[this.marker] = true;
  }

  /**
   * Runs a script on a client (registering the family first when needed), or queues it on a
   * pipeline / MULTI of a client it is registered on. `keys` must have as many entries as the
   * script declares; `args` may hold nested arrays (flattened one level by ioredis).
   */
  run(
    target: ScriptHost | ChainableCommander,
    name: Name,
    keys: readonly string[],
    args: readonly (string | number | Buffer | (string | number)[])[],
  ): Promise<unknown> | ChainableCommander {
    if (typeof (target as Partial<ScriptHost>).defineCommand === 'function')
      this.define(target as ScriptHost);
    // A large call (a batch of failures, completions or jobs) on a plain client is encoded here.
    // A client with a keyPrefix keeps ioredis's path, which prefixes every key.
    if (target instanceof Redis && !target.options.keyPrefix && !args.some(Buffer.isBuffer)) {
      const plain = args as readonly ScriptArg[];
      if (keys.length + flatArgCount(plain) >= ENCODED_CALL_MIN_ARGS)
        return callEncodedScript(target, this.source(name), keys, plain);
    }
    const fn = (target as unknown as Record<string, ScriptCall>)[this.commandName(name)];
    if (typeof fn !== 'function') throw new Error(`redrive: script ${name} is not defined on this client`);
    return fn.call(target, ...keys, ...args);
  }
}
