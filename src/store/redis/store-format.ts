/**
 * The store's format version on the RedisStore side: the `formatVersion` option, checked when the
 * store is built, and the one call of raise-format.lua before the first write whose layout the
 * `{p}:format` key decides (see FORMAT_VERSIONS in keys.ts). That call gives a fresh prefix (no key,
 * none of the store's data) the newest version, leaves a prefix with data at its version (absent =
 * 1), then raises the key to the option's version.
 */
import { ValidationError } from '../../core/errors.js';
import { FORMAT_VERSIONS } from './keys.js';

/** Settles a store's format key once, before its first insert or failure write. */
export class FormatRaise {
  private readonly wanted: number | undefined;
  private done = false;

  /**
   * @param option the `formatVersion` option (undefined: no raise beyond a fresh prefix's).
   * @param run runs raise-format.lua with the version wanted ('' = none).
   * @throws ValidationError when `option` is not one of {@link FORMAT_VERSIONS}.
   */
  constructor(
    option: number | undefined,
    private readonly run: (wanted: number | '') => Promise<unknown>,
  ) {
    if (option !== undefined && !(FORMAT_VERSIONS as readonly number[]).includes(option)) {
      throw new ValidationError('formatVersion', `must be one of ${FORMAT_VERSIONS.join(', ')}`);
    }
    this.wanted = option;
  }

  /** Whether the call is still to do (checked without an await on the hot path). */
  get pending(): boolean {
    return !this.done;
  }

  /**
   * Settles the key, once (the scripts read it on every call, so the writes that follow use the
   * layout it allows).
   */
  async raise(): Promise<void> {
    if (this.done) return;
    await this.run(this.wanted ?? '');
    this.done = true;
  }
}
