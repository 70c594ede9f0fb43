/** Health of a stream and its consumer group, read from RedisClient in one round trip. */

import type { RedisClient } from '../redis/client-options.js';
import { withTimeout } from '../redis/timeout.js';
import { idTime } from './entries.js';
import type { StreamHealth } from './types.js';

function flatToRecord(flat: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(flat)) for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

/** Reads {@link StreamHealth} (zeros and nulls when the stream or the group does not exist). */
export async function readHealth(
  redis: RedisClient,
  names: { stream: string; group: string; dlqStream: string },
  timeoutMs: number,
  connected: boolean,
): Promise<StreamHealth> {
  const replies =
    (await withTimeout(
      redis
        .pipeline()
        .xinfo('STREAM', names.stream)
        .xinfo('GROUPS', names.stream)
        .xlen(names.dlqStream)
        .xpending(names.stream, names.group, '-', '+', 1)
        .time()
        .exec(),
      timeoutMs,
      'health',
    )) ?? [];
  const ok = (i: number): unknown => {
    const [error, value] = replies[i] ?? [null, null];
    if (!error) return value;
    // A missing stream or group is a state, not a failure.
    if (/no such key|NOGROUP/i.test(error.message)) return null;
    throw error;
  };
  const stream = flatToRecord(ok(0));
  const groups = (ok(1) as unknown[] | null) ?? [];
  const group = groups.map(flatToRecord).find((g) => g.name === names.group);
  const dlqLength = Number(ok(2) ?? 0);
  const oldest = ((ok(3) as unknown[] | null) ?? [])[0] as [string, string, number, number] | undefined;
  const [sec, micro] = (ok(4) as [string, string]) ?? ['0', '0'];
  const serverNow = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
  const lag = group?.lag;
  return {
    stream: names.stream,
    group: names.group,
    dlqStream: names.dlqStream,
    streamLength: Number(stream.length ?? 0),
    pending: Number(group?.pending ?? 0),
    consumers: Number(group?.consumers ?? 0),
    dlqLength,
    lastDeliveredId: (group?.['last-delivered-id'] as string | undefined) ?? null,
    lastGeneratedId: (stream['last-generated-id'] as string | undefined) ?? null,
    lag: typeof lag === 'number' ? lag : null,
    oldestPendingId: oldest?.[0] ?? null,
    oldestPendingAgeMs: oldest ? Math.max(0, serverNow - idTime(oldest[0])) : null,
    oldestPendingIdleMs: oldest ? Number(oldest[2]) : null,
    connected,
  };
}
