/**
 * A script call with many arguments (a batch of failures or completions: thousands of them),
 * written as one string that this module encodes instead of through ioredis's own command
 * building. For each argument ioredis copies the list with `Array.prototype.flat` (a runtime call
 * per element in V8), measures its bytes with `Buffer.byteLength` (a call into C++) and appends it
 * to one growing string, two string nodes per argument, which the socket write then flattens. Here
 * the arguments are joined once into a flat string, their lengths taken from `.length`, and one
 * `Buffer.byteLength` over the whole command checks that every argument was ASCII (otherwise the
 * lengths are measured argument by argument).
 *
 * The call is sent as EVALSHA; a NOSCRIPT answer (a new connection, a flushed script cache) sends
 * it again as EVAL with the script's text. Only for a plain `Redis` client: a `Cluster` routes a
 * command by its keys, which such a command does not expose, and pipelines queue through their own.
 */
import { Command, type Redis } from 'ioredis';

/** An argument as the store's scripts take them (nested lists flattened one level). */
export type ScriptArg = string | number | readonly (string | number)[];

/** What is needed to call a script by its digest, or by its text when the server lacks it. */
export interface ScriptSource {
  lua: string;
  sha: string;
}

/** One argument as ioredis would send it (its `toArg`): unsafe integers in full, not in exponent form. */
function argText(arg: string | number): string {
  if (typeof arg === 'string') return arg;
  return Number.isInteger(arg) && !Number.isSafeInteger(arg) ? BigInt(arg).toString() : String(arg);
}

/** The arguments after the script (key count, keys, arguments), flattened one level, as text. */
function argumentTexts(keys: readonly string[], args: readonly ScriptArg[]): string[] {
  const texts: string[] = [String(keys.length)];
  for (const key of keys) texts.push(key);
  for (const arg of args) {
    if (typeof arg === 'object') for (const item of arg) texts.push(argText(item));
    else texts.push(argText(arg));
  }
  return texts;
}

/**
 * The command in the protocol's form: `name`, then `script` (digest or text), then `texts`, each
 * as a bulk string. Lengths are counted in characters, which are bytes when the whole command is
 * ASCII; when it is not, they are measured per argument.
 */
export function encodeScriptCommand(name: string, script: string, texts: readonly string[]): string {
  const count = texts.length + 2;
  // Appended one argument at a time: V8 joins the pieces as a rope and flattens it once (when it
  // is measured below), which costs less than a template string per argument joined as a list.
  let command = `*${count}\r\n$${name.length}\r\n${name}\r\n$${script.length}\r\n${script}\r\n`;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    command += `$${text.length}\r\n${text}\r\n`;
  }
  if (Buffer.byteLength(command) === command.length) return command;
  const parts: string[] = new Array(texts.length + 1);
  parts[0] = `*${count}\r\n$${name.length}\r\n${name}\r\n$${Buffer.byteLength(script)}\r\n${script}\r\n`;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    parts[i + 1] = `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  }
  return parts.join('');
}

/** A command whose protocol text was encoded beforehand (replies decoded as UTF-8, as ioredis's script commands do). */
class EncodedCommand extends Command {
  constructor(
    name: string,
    private readonly encoded: string,
  ) {
    super(name, [], { replyEncoding: 'utf8' });
  }

  override toWritable(): string {
    return this.encoded;
  }
}

/** Runs `script` on `client` with `keys` and `args` (see the module comment). */
export async function callEncodedScript(
  client: Redis,
  script: ScriptSource,
  keys: readonly string[],
  args: readonly ScriptArg[],
): Promise<unknown> {
  const texts = argumentTexts(keys, args);
  try {
    return await client.sendCommand(
      new EncodedCommand('evalsha', encodeScriptCommand('evalsha', script.sha, texts)),
    );
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return client.sendCommand(new EncodedCommand('eval', encodeScriptCommand('eval', script.lua, texts)));
  }
}

/** Arguments (flattened) from which a call goes through {@link callEncodedScript}. */
export const ENCODED_CALL_MIN_ARGS = 256;

/** The number of arguments once nested lists are flattened. */
export function flatArgCount(args: readonly ScriptArg[]): number {
  let n = 0;
  for (const arg of args) n += typeof arg === 'object' ? arg.length : 1;
  return n;
}
