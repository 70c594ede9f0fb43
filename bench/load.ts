/**
 * The machine's load when a benchmark starts: read once, and a warning on stderr when other
 * processes are busy enough to skew the figures.
 */
import { cpus, loadavg } from 'node:os';

/** The 1-minute load average now; warns when it is over half the CPUs (`note` ends the warning). */
export function loadAtStart(note = ''): number {
  const load = loadavg()[0]!;
  if (load > cpus().length / 2) {
    process.stderr.write(
      `-- warning: load average ${load.toFixed(1)} on ${cpus().length} CPUs: other processes will skew the figures${note}\n`,
    );
  }
  return load;
}
