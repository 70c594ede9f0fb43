/** Opens the Redis store whose key layout the options name (`slots`). */
import { QueueSlotRedisStore } from './queue-slot-redis-store.js';
import { RedisStore } from './redis-store.js';
import type { RedisStoreOptions } from './redis-store-options.js';

/**
 * A {@link QueueSlotRedisStore} for `slots: 'queue'` (one cluster slot per queue), a
 * {@link RedisStore} otherwise (one slot for the whole store). Store URLs take `?slots=queue`.
 */
export function openRedisStore(options: RedisStoreOptions = {}): RedisStore | QueueSlotRedisStore {
  return options.slots === 'queue' ? new QueueSlotRedisStore(options) : new RedisStore(options);
}
