/**
 * The Redis store's search indexes of dead letters (kept by the Lua scripts, see
 * lua/lib/dead-letter-index.lua): a sorted set per declared JSON path and value (`indexedPaths`),
 * and an inverted index of the words of error messages. This module declares the paths (once per
 * store object, before its first dead-letter call), tells the planner which sets serve a condition,
 * and walks older entries into the indexes (index-dead-letters.lua).
 */
import { ValidationError } from '../../core/errors.js';
import type { RedisClient } from '../../redis/client-options.js';
import type { JsonFieldFilter } from '../dead-letter-store.js';
import { checkJsonFilter, isJsonField, parseJsonPath } from '../shared/json-filter.js';
import type { RedisKeys } from './keys.js';
import { runScript, type ScriptName } from './scripts.js';

/** Most candidates a query examines for a JSON path or search text no index serves. */
export const DEFAULT_SCAN_BUDGET = 20_000;

/** Entries one index-walk step examines. */
export const INDEX_WALK_STEP = 250;

/** Most vocabulary words a search's open-ended last word may begin (more: not selective). */
const SEARCH_MAX_WORDS = 1000;

/** Longest string value a path index holds (as lua/lib/dead-letter-index.lua). */
const VALUE_BYTES = 256;

/** How the indexes reach Redis (provided by the store). */
export interface IndexBackend {
  client: RedisClient;
  keys: RedisKeys;
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

/** A declared path, checked: `payload.customerId` -> field and segments. */
interface DeclaredPath {
  name: string;
  field: string;
  segments: { k: string }[] | { i: number }[];
}

/**
 * Checks the declared paths (`<field>.<dotted path>`, as the SQLite store's `indexedPaths`).
 *
 * @throws ValidationError naming `indexedPaths`
 */
function declare(paths: readonly string[]): DeclaredPath[] {
  if (!Array.isArray(paths)) throw new ValidationError('indexedPaths', 'must be an array of paths');
  return paths.map((declared) => {
    const dot = typeof declared === 'string' ? declared.indexOf('.') : -1;
    const field = dot < 0 ? '' : declared.slice(0, dot);
    if (!isJsonField(field)) {
      throw new ValidationError(
        'indexedPaths',
        `${JSON.stringify(declared)} must start with payload, metadata, snapshot, requestData or responseData and name a field, e.g. payload.customerId`,
      );
    }
    const segments = parseJsonPath(declared.slice(dot + 1)).map((s) =>
      typeof s === 'number' ? { i: s } : { k: s },
    ) as DeclaredPath['segments'];
    return { name: declared, field, segments };
  });
}

/** The index token of a filter value (as dlx.token in Lua), or undefined when no index holds it. */
function valueToken(value: string | number | boolean | null): string | undefined {
  if (typeof value === 'boolean') return value ? 'n:1' : 'n:0';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? `n:${value}` : undefined;
  if (typeof value === 'string') return Buffer.byteLength(value) <= VALUE_BYTES ? `s:${value}` : undefined;
  return undefined;
}

/** The declared-path and word indexes of one store. */
export class DeadLetterIndexes {
  private readonly declared: DeclaredPath[];
  private readonly names: ReadonlySet<string>;
  private preparing: Promise<void> | undefined;
  private readonly b: IndexBackend;

  constructor(
    /** How the indexes reach Redis (the counter backfill goes the same way). */
    readonly backend: IndexBackend,
    indexedPaths: readonly string[] = [],
  ) {
    this.b = backend;
    this.declared = declare(indexedPaths);
    this.names = new Set(this.declared.map((d) => d.name));
  }

  private script(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    return this.b.call(
      name,
      () =>
        runScript(
          this.b.client,
          name,
          [this.b.keys.deadLetterAll],
          [this.b.keys.base, ...args],
        ) as Promise<unknown>,
    );
  }

  /** Declares this store's paths in Redis, once (again after a failure). */
  prepare(): Promise<void> {
    if (this.declared.length === 0) return Promise.resolve();
    this.preparing ??= this.script(
      'prepare-dead-letter-index',
      this.declared.flatMap((d) => [d.name, JSON.stringify({ f: d.field, p: d.segments })]),
    ).then(
      () => undefined,
      (error: unknown) => {
        this.preparing = undefined;
        throw error;
      },
    );
    return this.preparing;
  }

  /** The declared paths whose index is complete. */
  async readyPaths(): Promise<ReadonlySet<string>> {
    if (this.declared.length === 0) return new Set();
    await this.prepare();
    const raw = await this.b.call('indexed paths', () =>
      this.b.client.hmget(`${this.b.keys.base}dl:paths`, ...this.declared.map((d) => d.name)),
    );
    const ready = new Set<string>();
    raw.forEach((json, i) => {
      if (json && (JSON.parse(json) as { r?: number }).r === 1) ready.add(this.declared[i]!.name);
    });
    return ready;
  }

  /**
   * The sorted set holding every entry that satisfies a JSON condition, when a complete index
   * does (an equality on a declared path, with a value an index holds); undefined otherwise.
   */
  pathIndexKey(condition: JsonFieldFilter, ready: ReadonlySet<string>): string | undefined {
    const name = `${condition.field}.${condition.path}`;
    if (!this.names.has(name) || !ready.has(name)) return undefined;
    const { op, value } = checkJsonFilter(condition);
    if (op !== 'eq') return undefined;
    const token = valueToken(value);
    return token === undefined ? undefined : `${this.b.keys.base}dl:x:${name}:${token}`;
  }

  /**
   * The word sets that hold every entry whose message contains `text` (lower-cased), and how many
   * entries they hold; null when the word index cannot answer (see plan-dead-letter-search.lua).
   */
  async searchSources(text: string, maxEntries: number): Promise<{ keys: string[]; size: number } | null> {
    const [kind, size, ...keys] = (await this.script('plan-dead-letter-search', [
      text,
      SEARCH_MAX_WORDS,
      maxEntries,
    ])) as [string, number, ...string[]];
    return kind === 'index' ? { keys, size: Number(size) } : null;
  }

  /**
   * Runs up to `maxSteps` steps of the index walk, which indexes new entries waiting for the
   * indexes first; true when every older entry is indexed (new ones may still be waiting when the
   * steps ran out).
   */
  async walk(params: { maxSteps: number; stepSize?: number }): Promise<boolean> {
    await this.prepare();
    const stepSize = Math.max(1, Math.floor(params.stepSize ?? INDEX_WALK_STEP));
    let done = false;
    for (let step = 0; step < Math.max(1, Math.floor(params.maxSteps)); step++) {
      const [state, , waiting] = (await this.script('index-dead-letters', [stepSize])) as [
        string,
        number,
        number | undefined,
      ];
      if (state === 'done') {
        done = true;
        if (!waiting) break;
      }
    }
    return done;
  }
}
