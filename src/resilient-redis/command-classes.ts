/**
 * What ResilientRedis may do with each Redis command while Redis is unreachable.
 *
 * - `read`: answered from a declared neutral fallback while the circuit is open (GET -> null,
 *   MGET -> one null per key, EXISTS -> 0, HGETALL -> {} ...). A read without a fallback is refused
 *   with `CircuitOpenError`.
 * - `write`, idempotent: applying it twice leaves the same state (SET, DEL, HSET, XADD with an
 *   explicit id ...). Buffered while the circuit is open and flushed in order.
 * - `write`, non-idempotent: applying it twice differs from once (INCR, LPUSH, XADD with `*` ...).
 *   Refused while the circuit is open unless `bufferNonIdempotent` is set; then buffered and sent
 *   at most once.
 * - `connection`: changes the connection itself (SELECT, MULTI, WATCH, SUBSCRIBE ...). Refused by
 *   `call()`: use `select()` and `transaction()`, or the raw client for the rest.
 * - a command in no class is `unknown`: passed through while closed, refused while open.
 *
 * The tables are data; callers extend or override them with the `commands` option.
 */

import { ValidationError } from '../core/errors.js';

/** An argument of a Redis command. */
export type RedisArg = string | number | Buffer;

/** One command: its name and arguments. */
export type RedisCommand = readonly [name: string, ...args: RedisArg[]];

/** How a command behaves during an outage. */
export type CommandClass =
  | {
      kind: 'read';
      /** The reply while the circuit is open; no fallback means the read is refused. */
      fallback?: (args: readonly RedisArg[]) => unknown;
    }
  | {
      kind: 'write';
      /** `true` when applying the command twice leaves the same state as once. */
      idempotent: boolean | ((args: readonly RedisArg[]) => boolean);
    }
  | { kind: 'connection'; reason: string };

/** The class of one call, resolved against its arguments. */
export type ResolvedClass =
  | { kind: 'read'; fallback: ((args: readonly RedisArg[]) => unknown) | undefined }
  | { kind: 'write'; idempotent: boolean }
  | { kind: 'connection'; reason: string }
  | { kind: 'unknown' };

const constant = (value: unknown) => (): unknown => structuredClone(value);
const nullPerArg = (skip: number) => (args: readonly RedisArg[]) => args.slice(skip).map(() => null);
const zeroPerArg = (skip: number) => (args: readonly RedisArg[]) => args.slice(skip).map(() => 0);

const read = (fallback?: (args: readonly RedisArg[]) => unknown): CommandClass =>
  fallback === undefined ? { kind: 'read' } : { kind: 'read', fallback };
const idempotent: CommandClass = { kind: 'write', idempotent: true };
const nonIdempotent: CommandClass = { kind: 'write', idempotent: false };
const connection = (reason: string): CommandClass => ({ kind: 'connection', reason });

function upperArgs(args: readonly RedisArg[]): string[] {
  return args.map((a) => (typeof a === 'string' ? a.toUpperCase() : Buffer.isBuffer(a) ? '' : String(a)));
}

/** XADD is idempotent only with an explicit id (a second send is refused as "equal or smaller"). */
function xaddIsIdempotent(args: readonly RedisArg[]): boolean {
  const upper = upperArgs(args);
  let i = 1; // args[0] is the key
  while (i < upper.length) {
    const token = upper[i];
    if (token === 'NOMKSTREAM') i += 1;
    else if (token === 'MAXLEN' || token === 'MINID') {
      i += 2;
      if (upper[i - 1] === '=' || upper[i - 1] === '~') i += 1;
    } else if (token === 'LIMIT') i += 2;
    else return String(args[i]) !== '*';
  }
  return false;
}

/** SET with GET returns the old value (a read that changes); SET with KEEPTTL/NX/XX/EX stays idempotent. */
const setIsIdempotent = (args: readonly RedisArg[]) => !upperArgs(args.slice(2)).includes('GET');
/** ZADD with INCR adds to the score. */
const zaddIsIdempotent = (args: readonly RedisArg[]) => !upperArgs(args.slice(1)).includes('INCR');
/** LREM with count 0 removes every match (idempotent); otherwise a second run removes more. */
const lremIsIdempotent = (args: readonly RedisArg[]) => Number(args[1]) === 0;

/** The built-in command classes (upper-case names). */
export const DEFAULT_COMMAND_CLASSES: Readonly<Record<string, CommandClass>> = Object.freeze({
  // strings
  GET: read(constant(null)),
  MGET: read(nullPerArg(0)),
  GETRANGE: read(constant('')),
  STRLEN: read(constant(0)),
  EXISTS: read(constant(0)),
  TYPE: read(constant('none')),
  TTL: read(constant(-2)),
  PTTL: read(constant(-2)),
  EXPIRETIME: read(constant(-2)),
  PEXPIRETIME: read(constant(-2)),
  GETBIT: read(constant(0)),
  BITCOUNT: read(constant(0)),
  // hashes
  HGET: read(constant(null)),
  HMGET: read(nullPerArg(1)),
  HGETALL: read(constant({})),
  HEXISTS: read(constant(0)),
  HLEN: read(constant(0)),
  HKEYS: read(constant([])),
  HVALS: read(constant([])),
  HSTRLEN: read(constant(0)),
  // lists
  LRANGE: read(constant([])),
  LLEN: read(constant(0)),
  LINDEX: read(constant(null)),
  LPOS: read(constant(null)),
  // sets
  SMEMBERS: read(constant([])),
  SISMEMBER: read(constant(0)),
  SMISMEMBER: read(zeroPerArg(1)),
  SCARD: read(constant(0)),
  SRANDMEMBER: read((args) => (args.length > 1 ? [] : null)),
  // sorted sets
  ZRANGE: read(constant([])),
  ZRANGEBYSCORE: read(constant([])),
  ZREVRANGE: read(constant([])),
  ZREVRANGEBYSCORE: read(constant([])),
  ZRANGEBYLEX: read(constant([])),
  ZSCORE: read(constant(null)),
  ZMSCORE: read(nullPerArg(1)),
  ZCARD: read(constant(0)),
  ZCOUNT: read(constant(0)),
  ZRANK: read(constant(null)),
  ZREVRANK: read(constant(null)),
  // streams
  XLEN: read(constant(0)),
  XRANGE: read(constant([])),
  XREVRANGE: read(constant([])),
  // keyspace and server (no neutral value: refused while open)
  SCAN: read(constant(['0', []])),
  DBSIZE: read(constant(0)),
  PING: read(),
  ECHO: read(),
  TIME: read(),
  INFO: read(),
  PFCOUNT: read(constant(0)),

  // idempotent writes
  SET: { kind: 'write', idempotent: setIsIdempotent },
  SETEX: idempotent,
  PSETEX: idempotent,
  SETNX: idempotent,
  MSET: idempotent,
  MSETNX: idempotent,
  SETRANGE: idempotent,
  SETBIT: idempotent,
  DEL: idempotent,
  UNLINK: idempotent,
  EXPIRE: idempotent,
  PEXPIRE: idempotent,
  EXPIREAT: idempotent,
  PEXPIREAT: idempotent,
  PERSIST: idempotent,
  HSET: idempotent,
  HMSET: idempotent,
  HSETNX: idempotent,
  HDEL: idempotent,
  SADD: idempotent,
  SREM: idempotent,
  ZADD: { kind: 'write', idempotent: zaddIsIdempotent },
  ZREM: idempotent,
  ZREMRANGEBYSCORE: idempotent,
  ZREMRANGEBYLEX: idempotent,
  LSET: idempotent,
  LTRIM: idempotent,
  LREM: { kind: 'write', idempotent: lremIsIdempotent },
  PFADD: idempotent,
  XADD: { kind: 'write', idempotent: xaddIsIdempotent },
  XDEL: idempotent,
  XACK: idempotent,
  XTRIM: idempotent,
  XGROUP: idempotent,
  XSETID: idempotent,

  // non-idempotent writes
  INCR: nonIdempotent,
  INCRBY: nonIdempotent,
  INCRBYFLOAT: nonIdempotent,
  DECR: nonIdempotent,
  DECRBY: nonIdempotent,
  APPEND: nonIdempotent,
  GETSET: nonIdempotent,
  GETDEL: nonIdempotent,
  GETEX: nonIdempotent,
  HINCRBY: nonIdempotent,
  HINCRBYFLOAT: nonIdempotent,
  ZINCRBY: nonIdempotent,
  ZPOPMIN: nonIdempotent,
  ZPOPMAX: nonIdempotent,
  ZREMRANGEBYRANK: nonIdempotent,
  LPUSH: nonIdempotent,
  RPUSH: nonIdempotent,
  LPUSHX: nonIdempotent,
  RPUSHX: nonIdempotent,
  LINSERT: nonIdempotent,
  LPOP: nonIdempotent,
  RPOP: nonIdempotent,
  RPOPLPUSH: nonIdempotent,
  LMOVE: nonIdempotent,
  SPOP: nonIdempotent,
  SMOVE: nonIdempotent,
  RENAME: nonIdempotent,
  RENAMENX: nonIdempotent,
  COPY: nonIdempotent,
  PUBLISH: nonIdempotent,
  EVAL: nonIdempotent,
  EVALSHA: nonIdempotent,
  FCALL: nonIdempotent,
  XCLAIM: nonIdempotent,
  XAUTOCLAIM: nonIdempotent,

  // connection state: use select() / transaction(), or the raw client
  SELECT: connection('use select(db): it keeps the database in order with buffered writes'),
  MULTI: connection('use transaction(commands): it buffers and flushes MULTI/EXEC as one unit'),
  EXEC: connection('use transaction(commands)'),
  DISCARD: connection('use transaction(commands)'),
  WATCH: connection('WATCH cannot survive a reconnect; use the raw client'),
  UNWATCH: connection('WATCH cannot survive a reconnect; use the raw client'),
  SUBSCRIBE: connection('subscriptions need a dedicated raw client'),
  PSUBSCRIBE: connection('subscriptions need a dedicated raw client'),
  SSUBSCRIBE: connection('subscriptions need a dedicated raw client'),
  UNSUBSCRIBE: connection('subscriptions need a dedicated raw client'),
  PUNSUBSCRIBE: connection('subscriptions need a dedicated raw client'),
  MONITOR: connection('MONITOR needs a dedicated raw client'),
  QUIT: connection('use close()'),
  RESET: connection('RESET would drop the selected database'),
  AUTH: connection('authenticate in the client options'),
  HELLO: connection('set the protocol in the client options'),
  CLIENT: connection('CLIENT changes the connection; use the raw client'),
  BLPOP: connection('blocking commands hold the connection; use a dedicated raw client'),
  BRPOP: connection('blocking commands hold the connection; use a dedicated raw client'),
  BLMOVE: connection('blocking commands hold the connection; use a dedicated raw client'),
  BRPOPLPUSH: connection('blocking commands hold the connection; use a dedicated raw client'),
  BZPOPMIN: connection('blocking commands hold the connection; use a dedicated raw client'),
  BZPOPMAX: connection('blocking commands hold the connection; use a dedicated raw client'),
  XREAD: connection('XREAD may block; use a dedicated raw client or StreamProcessor'),
  XREADGROUP: connection('XREADGROUP may block; use StreamProcessor or a dedicated raw client'),
  WAIT: connection('WAIT blocks the connection; use the raw client'),
});

/** A table of command classes with caller overrides applied. */
export class CommandClassifier {
  private readonly table: Map<string, CommandClass>;

  /**
   * @param overrides classes by command name (any case); they replace the built-in class
   * @throws ValidationError naming `commands.<NAME>` when an override is malformed
   */
  constructor(overrides: Readonly<Record<string, CommandClass>> = {}) {
    this.table = new Map(Object.entries(DEFAULT_COMMAND_CLASSES));
    for (const [name, cls] of Object.entries(overrides)) {
      const field = `commands.${name}`;
      if (!/^[A-Za-z][A-Za-z0-9_.|-]*$/.test(name)) throw new ValidationError(field, 'not a command name');
      if (!cls || typeof cls !== 'object') throw new ValidationError(field, 'must be a command class');
      if (cls.kind === 'read') {
        if (cls.fallback !== undefined && typeof cls.fallback !== 'function')
          throw new ValidationError(`${field}.fallback`, 'must be a function of the arguments');
      } else if (cls.kind === 'write') {
        if (typeof cls.idempotent !== 'boolean' && typeof cls.idempotent !== 'function')
          throw new ValidationError(
            `${field}.idempotent`,
            'must be a boolean or a function of the arguments',
          );
      } else if (cls.kind !== 'connection') {
        throw new ValidationError(`${field}.kind`, "must be 'read', 'write' or 'connection'");
      }
      this.table.set(name.toUpperCase(), cls);
    }
  }

  /** The class of `name` called with `args`. */
  classify(name: string, args: readonly RedisArg[]): ResolvedClass {
    const cls = this.table.get(name.toUpperCase());
    if (!cls) return { kind: 'unknown' };
    if (cls.kind === 'read') return { kind: 'read', fallback: cls.fallback };
    if (cls.kind === 'connection') return cls;
    const idem = typeof cls.idempotent === 'function' ? cls.idempotent(args) : cls.idempotent;
    return { kind: 'write', idempotent: idem };
  }
}

/** Approximate wire size of a command, for the write buffer's byte bound. */
export function commandBytes(command: RedisCommand): number {
  let bytes = 16 + Buffer.byteLength(command[0]);
  for (let i = 1; i < command.length; i++) {
    const arg = command[i] as RedisArg;
    bytes += 16 + (Buffer.isBuffer(arg) ? arg.length : Buffer.byteLength(String(arg)));
  }
  return bytes;
}

/** A transaction's commands, classified as one unit. */
export interface ClassifiedTransaction {
  /** The commands with upper-case names. */
  commands: RedisCommand[];
  /** It contains a write. */
  writes: boolean;
  /** It contains a non-idempotent write (sent at most once by the flush). */
  atMostOnce: boolean;
  /** It contains a command in no class (refused while Redis is unavailable). */
  unknown: boolean;
  /** Each command's read fallback (`undefined` for writes and reads without one). */
  fallbacks: (((args: readonly RedisArg[]) => unknown) | undefined)[];
}

/**
 * Validates and classifies the commands of a MULTI/EXEC block.
 *
 * @throws ValidationError naming `commands` or `commands[i]` (malformed, or a connection-state command)
 */
export function classifyTransaction(
  classifier: CommandClassifier,
  commands: readonly RedisCommand[],
): ClassifiedTransaction {
  if (!Array.isArray(commands) || commands.length === 0) {
    throw new ValidationError('commands', 'must be a non-empty array of [name, ...args]');
  }
  const out: ClassifiedTransaction = {
    commands: [],
    writes: false,
    atMostOnce: false,
    unknown: false,
    fallbacks: [],
  };
  commands.forEach((c, i) => {
    if (!Array.isArray(c) || typeof c[0] !== 'string' || c[0].length === 0) {
      throw new ValidationError(`commands[${i}]`, 'must be [name, ...args]');
    }
    const [name, ...args] = c as unknown as RedisCommand;
    const cls = classifier.classify(name, args);
    if (cls.kind === 'connection') throw new ValidationError(`commands[${i}]`, `${name}: ${cls.reason}`);
    if (cls.kind === 'write') {
      out.writes = true;
      if (!cls.idempotent) out.atMostOnce = true;
    } else if (cls.kind === 'unknown') out.unknown = true;
    out.fallbacks.push(cls.kind === 'read' ? cls.fallback : undefined);
    out.commands.push([name.toUpperCase(), ...args]);
  });
  return out;
}
