/**
 * Progress bars (cli-progress) on stderr, shown only on a terminal and never with `--json`, so
 * piped output and JSON stay clean.
 */
import { SingleBar } from 'cli-progress';

/** A progress bar, or nothing when it would not be seen. */
export interface Progress {
  /** Sets the total (it may grow as work is discovered). */
  setTotal(total: number): void;
  update(value: number): void;
  increment(by?: number): void;
  stop(): void;
}

const NONE: Progress = { setTotal() {}, update() {}, increment() {}, stop() {} };

/** Starts a bar labelled `label` when stderr is a terminal and `json` is off. */
export function startProgress(
  label: string,
  total: number,
  options: { json?: boolean | undefined },
): Progress {
  if (options.json || process.stderr.isTTY !== true) return NONE;
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
    etaBuffer: 50,
  });
  bar.start(Math.max(total, 0), 0);
  let stopped = false;
  return {
    setTotal: (t) => bar.setTotal(t),
    update: (v) => bar.update(v),
    increment: (by = 1) => bar.increment(by),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
