/** Sending one write-buffer entry (or a live call of the same shape) on an ioredis client. */

import type { RedisLike } from './client.js';
import type { RedisCommand } from './command-classes.js';
import type { BufferedEntryKind } from './write-buffer.js';

/**
 * Sends `commands` as one unit: a single command, `SELECT db`, or MULTI ... EXEC. Names are sent
 * in lower case so that ioredis applies its reply transformers (HGETALL -> object) and tracks the
 * selected database (re-selected after every reconnect).
 *
 * @returns the reply; for a transaction, each command's `[error, result]`
 * @throws the client's error; a transaction aborted by EXEC returning nil throws a ReplyError-named error
 */
export async function sendEntry(
  client: RedisLike,
  kind: BufferedEntryKind,
  commands: readonly RedisCommand[],
): Promise<unknown> {
  if (kind !== 'transaction') {
    const [name, ...args] = commands[0] as RedisCommand;
    return client.call(name.toLowerCase(), ...args);
  }
  const multi = client.multi();
  for (const [name, ...args] of commands) multi.call(name.toLowerCase(), ...args);
  const reply = await multi.exec();
  if (reply === null) {
    const error = new Error('EXECABORT transaction aborted (EXEC returned nil)');
    error.name = 'ReplyError';
    throw error;
  }
  return reply;
}
