/**
 * A message this consumer holds, from its read or claim until it is acked, failed or handed back;
 * and the context its handler gets. Kept cheap on the hot path: the message's fields are parsed on
 * first access, and the AbortController is only created if the handler reads `signal`.
 */

import type { FieldValue, StreamHandlerContext, StreamMessage } from './types.js';

/**
 * A stream message whose fields are decoded lazily from the flat reply (the exact bytes, kept for
 * a DLQ copy). Values stay Buffers when `binary`.
 */
export class LazyMessage<V extends FieldValue = FieldValue> implements StreamMessage<V> {
  private parsedFields: Record<string, V> | undefined;
  private parsedPairs: [string, V][] | undefined;

  constructor(
    readonly id: string,
    readonly stream: string,
    private readonly flat: readonly Buffer[] | null,
    readonly attempt: number,
    /** Values are handed out as Buffers. */
    readonly binary: boolean,
  ) {}

  /** The fields as Redis holds them, flat (`name, value, ...`): the exact bytes. */
  get raw(): readonly Buffer[] {
    return this.flat ?? [];
  }

  get fields(): Readonly<Record<string, V>> {
    if (!this.parsedFields) {
      const fields: Record<string, V> = {};
      const flat = this.raw;
      for (let i = 0; i + 1 < flat.length; i += 2)
        fields[(flat[i] as Buffer).toString()] = this.value(flat[i + 1] as Buffer);
      this.parsedFields = fields;
    }
    return this.parsedFields;
  }

  get pairs(): readonly (readonly [string, V])[] {
    if (!this.parsedPairs) {
      const pairs: [string, V][] = [];
      const flat = this.raw;
      for (let i = 0; i + 1 < flat.length; i += 2)
        pairs.push([(flat[i] as Buffer).toString(), this.value(flat[i + 1] as Buffer)]);
      this.parsedPairs = pairs;
    }
    return this.parsedPairs;
  }

  toJSON(): { id: string; stream: string; attempt: number; fields: Readonly<Record<string, V>> } {
    return { id: this.id, stream: this.stream, attempt: this.attempt, fields: this.fields };
  }

  private value(raw: Buffer): V {
    return (this.binary ? raw : raw.toString()) as V;
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
  /** The handler run's trace span while tracing is on (see telemetry/). */
  span: unknown = undefined;
  private controller: AbortController | undefined;
  private reason: unknown;

  constructor(
    id: string,
    stream: string,
    flat: readonly Buffer[] | null,
    attempt: number,
    binary: boolean,
    readonly consumer: string,
  ) {
    super(id, stream, flat, attempt, binary);
  }

  /** Builds one from a message (a reclaimed one about to be dead-lettered). */
  static of(message: LazyMessage, consumer: string): HeldMessage {
    if (message instanceof HeldMessage) return message;
    return new HeldMessage(
      message.id,
      message.stream,
      message.raw,
      message.attempt,
      message.binary,
      consumer,
    );
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
