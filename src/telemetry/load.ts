/**
 * Loads the OpenTelemetry API on demand. The import is dynamic so that a program that does not
 * turn tracing on never loads the package, and a program without it installed still runs.
 */
import type { TelemetryOptions } from './options.js';
import { Tracing } from './tracing.js';

/** The API module, as the dynamic import yields it. */
export type OtelApi = typeof import('@opentelemetry/api');

/** Imports the API; a seam for tests that simulate its absence. */
export type ApiImporter = () => Promise<OtelApi>;

const importApi: ApiImporter = () => import('@opentelemetry/api');

/**
 * The tracing of a component whose options are `telemetry`: undefined when tracing is off (no
 * import is attempted), else a promise of the {@link Tracing}, or of null when the API cannot be
 * loaded (a process warning says so; the component runs untraced).
 */
export function loadTracing(
  telemetry: TelemetryOptions | undefined,
  importer: ApiImporter = importApi,
): Promise<Tracing | null> | undefined {
  if (telemetry?.tracing !== true) return undefined;
  return importer().then(
    (api) => new Tracing(api),
    (error: unknown) => {
      process.emitWarning(
        `telemetry.tracing is on but @opentelemetry/api could not be loaded (${(error as Error)?.message ?? error}); tracing stays off`,
        { code: 'REDRIVE_TRACING_UNAVAILABLE' },
      );
      return null;
    },
  );
}
