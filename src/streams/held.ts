/**
 * A message this consumer holds, from its read or claim until it is acked, failed or handed back;
 * and the context its handler gets. Kept cheap on the hot path: the message's fields are parsed on
 * first access, and the AbortController is only created if the handler reads `signal`.
 */

import type { StreamHandlerContext, StreamMessage } from './types.js';

/** A stream message whose fields are parsed lazily from the flat reply. */
export class LazyMessage implements StreamMessage {
  private parsedFields: Record<string, string> | undefined;
  private parsedPairs: [string, string][] | undefined;

  constructor(
    readonly id: string,
    readonly stream: string,
    private readonly flat: readonly string[] | null,
    readonly attempt: number,
  ) {}

  get fields(): Readonly<Record<string, string>> {
    if (!this.parsedFields) {
      const fields: Record<string, string> = {};
      const flat = this.flat ?? [];
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
      this.parsedFields = fields;
    }
    return this.parsedFields;
  }

  get pairs(): readonly (readonly [string, string])[] {
    if (!this.parsedPairs) {
      const pairs: [string, string][] = [];
      const flat = this.flat ?? [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as string, flat[i + 1] as string]);
      this.parsedPairs = pairs;
    }
    return this.parsedPairs;
  }

  toJSON(): { id: string; stream: string; attempt: number; fields: Readonly<Record<string, string>> } {
    return { id: this.id, stream: this.stream, attempt: this.attempt, fields: this.fields };
  }
}

/** Where a held message is. */
export type HeldPhase = 'queued' | 'running' | 'acking';

/**
 * A message this consumer holds. It is also the handler's context, and the handler receives it
 * as both arguments (one object per message on the hot path; the handler sees it only through
 * {@link StreamMessage} and {@link StreamHandlerContext}).
 */
export class HeldMessage extends LazyMessage implements StreamHandlerContext {
  phase: HeldPhase = 'queued';
  /** Another consumer took it over. */
  lost = false;
  /** The handler's outcome was taken (success, failure, timeout, loss or stop): later ones are ignored. */
  settled = false;
  startedAt = 0;
  private controller: AbortController | undefined;
  private reason: unknown;

  constructor(
    id: string,
    stream: string,
    flat: readonly string[] | null,
    attempt: number,
    readonly consumer: string,
  ) {
    super(id, stream, flat, attempt);
  }

  /** Builds one from any message (a reclaimed one about to be dead-lettered). */
  static of(message: StreamMessage, consumer: string): HeldMessage {
    if (message instanceof HeldMessage) return message;
    const flat: string[] = [];
    for (const [k, v] of message.pairs) flat.push(k, v);
    return new HeldMessage(message.id, message.stream, flat, message.attempt, consumer);
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts the handler's signal (once); returns `false` if it was already aborted. */
  abort(reason: unknown): boolean {
    if (this.reason !== undefined) return false;
    this.reason = reason;
    this.controller?.abort(reason);
    return true;
  }
}
