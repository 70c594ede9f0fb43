/**
 * The store's format version on the RedisStore side: the `formatVersion` option, checked when the
 * store is built, and its one raise of the `{p}:format` key (raise-format.lua) before the first
 * write whose layout the key decides (see FORMAT_VERSIONS in keys.ts).
 */
import { ValidationError } from '../../core/errors.js';
import { FORMAT_VERSIONS } from './keys.js';

/** The raise of a store's format key that the `formatVersion` option asks for, done once. */
export class FormatRaise {
  private wanted: number | undefined;

  /**
   * @param option the `formatVersion` option (undefined: leave the key as it is).
   * @param run runs raise-format.lua with the version wanted.
   * @throws ValidationError when `option` is not one of {@link FORMAT_VERSIONS}.
   */
  constructor(
    option: number | undefined,
    private readonly run: (wanted: number) => Promise<unknown>,
  ) {
    if (option !== undefined && !(FORMAT_VERSIONS as readonly number[]).includes(option)) {
      throw new ValidationError('formatVersion', `must be one of ${FORMAT_VERSIONS.join(', ')}`);
    }
    this.wanted = option;
  }

  /** Whether the raise is still to do (checked without an await on the hot path). */
  get pending(): boolean {
    return this.wanted !== undefined;
  }

  /**
   * Raises the key to the option's version, once (the scripts read the key on every call, so the
   * writes that follow use the layout it allows); nothing without the option.
   */
  async raise(): Promise<void> {
    const wanted = this.wanted;
    if (wanted === undefined) return;
    await this.run(wanted);
    this.wanted = undefined;
  }
}
