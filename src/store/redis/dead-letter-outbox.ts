/**
 * Moves dead letters from queue slots into the store's dead-letter keys (QueueSlotRedisStore).
 * A failing job's script writes its dead letter into its own slot's outbox (`{p#n}.dl:out`,
 * atomically with the failure), since no script may touch two slots. The move then takes two
 * steps, each a single-slot call:
 *
 * 1. insert the outbox records into the dead-letter keys (move-dead-letters.lua), idempotent by
 *    dead-letter id and by job id: a record that is there already is left as it is;
 * 2. delete those records from the outbox (dead-letter ids are unique: an id is written once).
 *
 * A crash after the failure and before step 1 leaves the record in the outbox; a crash between 1
 * and 2 leaves a copy there that step 1 will ignore. The next move of that slot — after the next
 * dead letter there, the next lease-recovery sweep of that queue (a worker's, or the maintainer's
 * of every queue), or the first dead-letter call of a newly opened store — finishes it. Nothing
 * is lost and nothing is doubled.
 */
import type { RedisClient } from '../../redis/client-options.js';
import type { RedisKeys } from './keys.js';
import type { QueueSlots } from './queue-slots.js';
import { runScript } from './scripts.js';

/** Records moved per call. */
const MOVE_BATCH = 200;

/** What {@link DeadLetterOutbox} needs of its store. */
export interface DeadLetterOutboxDeps {
  client: RedisClient;
  /** The store's own keys (where the dead letters live). */
  keys: RedisKeys;
  slots: QueueSlots;
  /** Runs a Redis call, translating connection failures. */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

/** The two-step, idempotent dead-letter move of a queue-slot store; see the module comment. */
export class DeadLetterOutbox {
  constructor(private readonly deps: DeadLetterOutboxDeps) {}

  /** The outbox key of queue number `slot`. */
  key(slot: number): string {
    return `${this.deps.slots.store(slot).keys.base}dl:out`;
  }

  /** Moves every record waiting in slot `slot`'s outbox; returns how many were new. */
  async move(slot: number): Promise<number> {
    const { client, call } = this.deps;
    const key = this.key(slot);
    let moved = 0;
    let cursor = '0';
    do {
      const [next, flat] = await call('moveDeadLetters', () =>
        client.hscan(key, cursor, 'COUNT', MOVE_BATCH),
      );
      cursor = next;
      if (flat.length === 0) continue;
      moved += (await this.insert(slot, flat)).length;
      await this.forget(key, flat);
    } while (cursor !== '0');
    return moved;
  }

  /** Step 1: the records (flat id, record pairs) into the dead-letter keys; the ids new there. */
  protected insert(slot: number, flat: string[]): Promise<string[]> {
    const { client, keys, call } = this.deps;
    return call(
      'moveDeadLetters',
      () =>
        runScript(
          client,
          'move-dead-letters',
          [keys.deadLetterAll],
          [keys.base, `${slot}:`, flat],
        ) as Promise<string[]>,
    );
  }

  /** Step 2: the moved records out of the outbox. */
  protected async forget(key: string, flat: string[]): Promise<void> {
    const { client, call } = this.deps;
    const ids: string[] = [];
    for (let i = 0; i < flat.length; i += 2) ids.push(flat[i]!);
    await call('moveDeadLetters', () => client.hdel(key, ...ids));
  }

  /** Moves what every queue's outbox holds (the recovery pass); returns how many were new. */
  async moveAll(): Promise<number> {
    const moved = await Promise.all((await this.deps.slots.all()).map(({ slot }) => this.move(slot)));
    return moved.reduce((a, b) => a + b, 0);
  }
}
