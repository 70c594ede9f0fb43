/**
 * The store's format version on the RedisStore side: the `formatVersion` option, checked when the
 * store is built, and the one call of raise-format.lua before the first write whose layout the
 * `{p}:format` key decides (see FORMAT_VERSIONS in keys.ts). That call gives a fresh prefix (no key,
 * none of the store's data) the newest version, leaves a prefix with data at its version (absent =
 * 1), then raises the key to the option's version. `redrive migrate` raises it only when asked
 * (a store URL's `format=`): a raise is for after every process runs this release.
 */
import { ValidationError } from '../../core/errors.js';
import { FORMAT_VERSIONS, LATEST_FORMAT_VERSION, type RedisKeys } from './keys.js';

/** What raising a store's format version did: the versions before and after, each one raised to. */
export interface FormatMigration {
  from: number;
  to: number;
  /** `format <n>` for each version raised to, oldest first (none when the key stayed). */
  applied: string[];
}

/** `format <n>` for each version after `from` up to `to` (what {@link FormatMigration.applied} lists). */
export function formatSteps(from: number, to: number): string[] {
  const steps: string[] = [];
  for (let version = from + 1; version <= to; version++) steps.push(`format ${version}`);
  return steps;
}

/** Runs raise-format.lua (keys, then the arguments after the key base); answers the version in force. */
export type RaiseFormatScript = (keys: string[], args: (number | string)[]) => Promise<unknown>;

/** Settles a store's format key once, before its first insert or failure write. */
export class FormatRaise {
  private readonly wanted: number | undefined;
  private readonly run: (wanted: number | '') => Promise<unknown>;
  private done = false;

  /**
   * @param option the `formatVersion` option (undefined: no raise beyond a fresh prefix's).
   * @param keys the store's keys (the format key, and the data keys that tell a fresh prefix).
   * @param script runs raise-format.lua.
   * @throws ValidationError when `option` is not one of {@link FORMAT_VERSIONS}.
   */
  constructor(option: number | undefined, keys: RedisKeys, script: RaiseFormatScript) {
    if (option !== undefined && !(FORMAT_VERSIONS as readonly number[]).includes(option)) {
      throw new ValidationError('formatVersion', `must be one of ${FORMAT_VERSIONS.join(', ')}`);
    }
    this.wanted = option;
    const k = keys;
    const scriptKeys = [
      k.format,
      k.queues,
      k.ids,
      k.deadLetterAll,
      `${k.base}dl:out`,
      k.auditAll,
      `${k.base}slots`,
    ];
    this.run = (wanted) => script(scriptKeys, [wanted, LATEST_FORMAT_VERSION]);
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

  /**
   * `redrive migrate`: settles the key as a first write would (so `from` is the version the
   * store's data is at), then raises it to `version`, else to the option's version; with neither,
   * leaves it there. Not to the newest by default: `redrive migrate` is run before a rollout, while
   * processes of the older release (which would misread a newer layout) may still use the store.
   */
  async migrate(version?: number): Promise<FormatMigration> {
    const from = Number(await this.run(''));
    const wanted = version ?? this.wanted;
    const to = wanted === undefined ? from : Number(await this.run(wanted));
    this.done = true;
    return { from, to, applied: formatSteps(from, to) };
  }
}
