/**
 * The StreamProcessor's periodic work on the group's pending entries: reclaiming idle messages,
 * renewing this consumer's claims, and removing idle consumers. Each runs on the writer connection
 * and reports errors instead of throwing (the next period retries).
 */

import type { TypedEmitter } from '../events.js';
import type { RedisClient } from '../redis/client-options.js';
import { withTimeout } from '../redis/timeout.js';
import { type ClaimTarget, reclaimPage, removeIdleConsumers, renewClaims } from './claims.js';
import { type RawEntry, toMessage } from './entries.js';
import type { HeldMessage, LazyMessage } from './held.js';
import type { ResolvedStreamOptions } from './options.js';
import type { StreamProcessorEvents, StreamProcessorStats } from './types.js';

/** What the pending-entry work needs from the processor. */
export interface PendingHost {
  readonly opts: ResolvedStreamOptions;
  readonly target: ClaimTarget;
  readonly held: Map<string, HeldMessage>;
  readonly counters: Omit<StreamProcessorStats, 'consumer' | 'running' | 'active' | 'held'>;
  readonly emitter: TypedEmitter<StreamProcessorEvents>;
  writer(): RedisClient;
  isRunning(): boolean;
  /** Holds and queues a message read or claimed with this delivery count (no-op when already held). */
  admit(entry: RawEntry, attempt: number): void;
  pump(): void;
  /** Dead-letters a message it holds (never throws). */
  deadLetter(message: LazyMessage, reason: string, attempts: number): Promise<void>;
  /** The failure reason remembered for a message that may come back through a reclaim. */
  failureOf(id: string): string | undefined;
  /** Another consumer took the message: abort its handler, stop holding it. */
  loseClaim(held: HeldMessage): void;
  ensureGroup(): Promise<void>;
  report(operation: string, error: unknown): void;
}

function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}

/**
 * Claims messages pending (for any consumer) for at least `claimMinIdleMs`, page by page, as long
 * as there is room. Each comes with its delivery count: past `maxRetries + 1` it is dead-lettered
 * without running again; otherwise it is queued with that count as its attempt. Pending ids whose
 * entries were trimmed from the stream are acked and counted.
 */
export async function reclaim(host: PendingHost): Promise<void> {
  const { opts, counters, emitter, held } = host;
  const writer = host.writer();
  try {
    let cursor = '0-0';
    for (let page = 0; page < 100; page++) {
      const room = opts.concurrency + opts.prefetch - held.size;
      if (room <= 0 || !host.isRunning() || writer.status !== 'ready') return;
      const { next, claimed, deleted } = await reclaimPage(
        writer,
        host.target,
        opts.claimMinIdleMs,
        cursor,
        Math.min(opts.batchSize, room),
      );
      if (deleted.length > 0) {
        // Redis 7 already dropped them from the pending list; the XACK makes sure (and is harmless).
        await withTimeout(
          writer.xack(opts.stream, opts.group, ...deleted),
          opts.operationTimeoutMs,
          'XACK trimmed',
        );
        counters.trimmedWhilePending += deleted.length;
        emitter.emit('trimmed_while_pending', { ids: deleted });
      }
      const ids: string[] = [];
      for (const { entry, deliveries } of claimed) {
        if (held.has(entry[0])) continue; // ours already (a late renewal): keep the running attempt
        ids.push(entry[0]);
        if (deliveries > opts.maxRetries + 1) {
          const message = toMessage(opts.stream, entry, deliveries, opts.fieldValues === 'buffer');
          // Its last attempt never finished: a consumer crashed or hung, or a DLQ move failed.
          const reason =
            host.failureOf(message.id) ??
            `exceeded ${opts.maxRetries + 1} deliveries without an ack (the consumers handling it stopped, crashed or hung)`;
          await host.deadLetter(message, reason, deliveries - 1);
        } else {
          host.admit(entry, deliveries);
        }
      }
      if (ids.length > 0) {
        counters.reclaimed += ids.length;
        emitter.emit('reclaimed', { ids });
        host.pump();
      }
      cursor = next;
      if (cursor === '0-0') return;
    }
  } catch (error) {
    if (isNoGroup(error)) await host.ensureGroup().catch(() => {});
    host.report('reclaim', error);
  }
}

/**
 * Renews the claims on held messages that are queued or running (resets their idle time where
 * this consumer still owns them); a message another consumer took is given up.
 */
export async function renew(host: PendingHost): Promise<void> {
  const ids: string[] = [];
  for (const [id, h] of host.held) if (h.phase !== 'acking' && !h.lost) ids.push(id);
  if (ids.length === 0) return;
  try {
    const { renewed, lost } = await renewClaims(host.writer(), host.target, ids);
    host.counters.claimsRenewed += renewed;
    const gone: string[] = [];
    for (const id of lost) {
      const h = host.held.get(id);
      // An id acked meanwhile is not pending any more: that is not a lost claim.
      if (!h || h.phase === 'acking' || h.lost) continue;
      gone.push(id);
      host.loseClaim(h);
    }
    if (gone.length > 0) {
      host.counters.claimsLost += gone.length;
      host.emitter.emit('claim_lost', { ids: gone });
    }
  } catch (error) {
    host.report('renew claims', error);
  }
}

/** Removes other consumers idle for `consumerIdleMs` with nothing pending (checked atomically). */
export async function removeIdle(host: PendingHost): Promise<void> {
  const idle = host.opts.consumerIdleMs;
  if (idle === false) return;
  try {
    const names = await removeIdleConsumers(host.writer(), host.target, idle);
    if (names.length > 0) {
      host.counters.consumersRemoved += names.length;
      host.emitter.emit('consumers_removed', { names });
    }
  } catch (error) {
    host.report('remove idle consumers', error);
  }
}
