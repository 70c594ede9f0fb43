/**
 * Replayable payloads of `store()` entries. Redaction makes a stored payload safe to show and
 * useless to replay (`card.token` is `[REDACTED]`). With `sealedPayloads`, the original payload is
 * also kept, encrypted with AES-256-GCM under a key the application provides, in the entry's
 * metadata; every read of the queue strips it, and only a replay opens it. The sealed text names
 * its key id, so keys can rotate: new entries use `currentKeyId`, older ones open with any key
 * still listed. The entry id is the authenticated data, so a sealed payload copied onto another
 * entry does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DeadLetter } from '../core/dead-letter.js';
import { ReplayError, ValidationError } from '../core/errors.js';

/** Options of `DeadLetterQueue`'s `sealedPayloads`. */
export interface SealedPayloadOptions {
  /** Keys by id: 32 bytes each (a `Buffer`, or a base64 string of 32 bytes). */
  keys: Readonly<Record<string, Uint8Array | string>>;
  /** The key new entries are sealed with; one of `keys`. */
  currentKeyId: string;
}

/** The metadata key holding a sealed payload; never returned by the queue's reads. */
export const SEALED_PAYLOAD_KEY = 'redrive:sealedPayload';

const FORMAT = 'rdv1';
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Seals and opens payloads with the application's keys. */
export class PayloadSealer {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentKeyId: string;

  /** @throws ValidationError naming the key that is not usable */
  constructor(options: SealedPayloadOptions) {
    if (typeof options !== 'object' || options === null || typeof options.keys !== 'object') {
      throw new ValidationError('sealedPayloads', 'must be { keys: { <id>: <32-byte key> }, currentKeyId }');
    }
    for (const [id, key] of Object.entries(options.keys)) {
      if (!KEY_ID.test(id)) {
        throw new ValidationError(`sealedPayloads.keys.${id}`, 'a key id is 1-64 letters, digits, - or _');
      }
      const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : Buffer.from(key);
      if (bytes.length !== 32) {
        throw new ValidationError(
          `sealedPayloads.keys.${id}`,
          `must be 32 bytes (AES-256), got ${bytes.length}; make one with crypto.randomBytes(32)`,
        );
      }
      this.keys.set(id, bytes);
    }
    if (!this.keys.has(options.currentKeyId)) {
      throw new ValidationError('sealedPayloads.currentKeyId', `names no key of sealedPayloads.keys`);
    }
    this.currentKeyId = options.currentKeyId;
  }

  /** Encrypts `payload` (as JSON) for the entry `entryId`. */
  seal(entryId: string, payload: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(entryId, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(payload) ?? 'null', 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
    return [FORMAT, this.currentKeyId, ...parts].join('.');
  }

  /**
   * Decrypts what {@link seal} made for `entryId`.
   *
   * @throws ReplayError when the key is not configured or the text was altered
   */
  open(entryId: string, sealed: string): unknown {
    const [format, keyId, iv, tag, body] = sealed.split('.');
    const key = keyId === undefined ? undefined : this.keys.get(keyId);
    if (format !== FORMAT || !keyId || iv === undefined || tag === undefined || body === undefined) {
      throw new ReplayError(
        `dead letter ${entryId}: its sealed payload is not in a format this version reads`,
        {
          details: { id: entryId },
        },
      );
    }
    if (!key) {
      throw new ReplayError(
        `dead letter ${entryId}: its payload is sealed with key ${keyId}, which sealedPayloads.keys does not hold; add it back to replay this entry`,
        { details: { id: entryId, keyId } },
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(entryId, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
      return JSON.parse(text.toString('utf8'));
    } catch (error) {
      throw new ReplayError(
        `dead letter ${entryId}: its sealed payload does not open with key ${keyId} (altered, or sealed for another entry)`,
        { cause: error, details: { id: entryId, keyId } },
      );
    }
  }
}

/** The entry's sealed payload, if it has one. */
export function sealedPayloadOf(entry: { metadata: Record<string, unknown> }): string | undefined {
  const sealed = entry.metadata?.[SEALED_PAYLOAD_KEY];
  return typeof sealed === 'string' ? sealed : undefined;
}

/** The entry as every read shows it: without its sealed payload. */
export function withoutSealedPayload<T extends DeadLetter | null>(entry: T): T {
  if (!entry || sealedPayloadOf(entry) === undefined) return entry;
  const { [SEALED_PAYLOAD_KEY]: _sealed, ...metadata } = entry.metadata;
  return { ...entry, metadata };
}

/**
 * The entry a replay handler gets: the original payload when it was sealed.
 *
 * @throws ReplayError when it was sealed and cannot be opened (no sealer, missing key, altered)
 */
export function forReplay(entry: DeadLetter, sealer: PayloadSealer | null): DeadLetter {
  const sealed = sealedPayloadOf(entry);
  if (sealed === undefined) return entry;
  if (!sealer) {
    throw new ReplayError(
      `dead letter ${entry.id}: its payload is sealed; replay it from a DeadLetterQueue given sealedPayloads with its key`,
      { details: { id: entry.id } },
    );
  }
  return { ...withoutSealedPayload(entry), payload: sealer.open(entry.id, sealed) };
}
