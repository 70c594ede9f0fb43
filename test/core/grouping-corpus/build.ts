/**
 * Builders for the grouping corpus: real-shaped errors (messages as the libraries word them, V8
 * stacks with the frames they really have) whose variable parts change from one occurrence to the
 * next the way they do in production — ids, numbers, times, addresses, line numbers after a
 * deploy, install directories, and the async glue at the bottom of the stack. Seeded, so the
 * corpus is the same on every run.
 */

/** One labelled occurrence: which bug it is, and the error as a dead letter stores it. */
export interface Occurrence {
  bug: string;
  errorClass: string;
  code: string | null;
  message: string;
  stack: string;
}

/** Variation source for one occurrence. */
export class Vary {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** A float in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  private chars(alphabet: string, n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[this.int(0, alphabet.length - 1)];
    return out;
  }

  hex(n: number): string {
    // Always contains a digit and a letter, as real random hex of this length almost always does.
    return `${this.int(1, 9)}${this.chars('abcdef', 1)}${this.chars('0123456789abcdef', n - 2)}`;
  }

  base62(n: number): string {
    return `${this.int(1, 9)}${this.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 1)}${this.chars('abcdefghijklmnopqrstuvwxyz', 1)}${this.chars('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', n - 3)}`;
  }

  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
  }

  objectId(): string {
    return `6${this.hex(23)}`;
  }

  email(): string {
    return `${this.pick(['ada', 'grace', 'linus', 'ken', 'barbara', 'edsger'])}.${this.chars('abcdefghijklmnopqrstuvwxyz', 5)}${this.int(1, 99)}@${this.pick(['example.com', 'mail.example.org', 'corp.example.net'])}`;
  }

  ipv4(): string {
    return `10.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }

  isoTime(): string {
    return new Date(
      Date.UTC(
        2026,
        this.int(0, 11),
        this.int(1, 28),
        this.int(0, 23),
        this.int(0, 59),
        this.int(0, 59),
        this.int(0, 999),
      ),
    ).toISOString();
  }

  httpDate(): string {
    return new Date(
      Date.UTC(2026, this.int(0, 11), this.int(1, 28), this.int(0, 23), this.int(0, 59), this.int(0, 59)),
    ).toUTCString();
  }

  jwt(): string {
    return `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${this.base62(40)}.${this.base62(43).replace(/[A-Z]/, '-')}`;
  }
}

/** Where the application is installed: differs between hosts and releases. */
export function appRoot(v: Vary): string {
  return v.pick([
    '/app',
    '/srv/orders-api',
    `/home/deploy/releases/2026120${v.int(1, 9)}0${v.int(1, 9)}4512`,
    '/opt/service/current',
    '/usr/src/app',
  ]);
}

/** The async glue at the bottom of a stack: which one depends on how the call was scheduled. */
export function glue(v: Vary): string[] {
  return v.pick([
    ['    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)'],
    ['    at async Promise.all (index 0)'],
    [`    at async Promise.all (index ${v.int(1, 9)})`],
    [
      '    at runNextTicks (node:internal/process/task_queues:60:5)',
      '    at listOnTimeout (node:internal/timers:538:9)',
      '    at process.processTimers (node:internal/timers:512:7)',
    ],
    [],
  ]);
}

/** An application frame at `file` (relative to the install root); line and column vary by deploy. */
export function appFrame(
  v: Vary,
  root: string,
  fn: string,
  file: string,
  options: { async?: boolean; receiver?: string } = {},
): string {
  const asyncForm = options.async ?? v.next() < 0.7;
  const name = options.receiver ? `${options.receiver}.${fn}` : fn;
  return `    at ${asyncForm ? 'async ' : ''}${name} (${root}/${file}:${v.int(5, 400)}:${v.int(3, 40)})`;
}

/** A dependency frame under `node_modules` (the version directory varies with installs). */
export function libFrame(root: string, fn: string, file: string, line: number, column: number): string {
  const name = fn === '' ? '' : `${fn} (`;
  return `    at ${name}${root}/node_modules/${file}:${line}:${column}${fn === '' ? '' : ')'}`;
}

/** Joins a stack: `Class: message` then the frames. */
export function stackOf(errorClass: string, message: string, frames: string[]): string {
  return [`${errorClass}: ${message}`, ...frames].join('\n');
}

/** Appends a recorded cause the way dead letters store it. */
export function withCause(
  stack: string,
  causeClass: string,
  causeMessage: string,
  causeFrames: string[],
): string {
  return `${stack}\nCaused by: ${stackOf(causeClass, causeMessage, causeFrames)}`;
}

/** A bug: how to make its `n`-th occurrence. */
export interface Bug {
  bug: string;
  occurrences: number;
  make(v: Vary): Omit<Occurrence, 'bug'>;
}

/** Expands bugs into their occurrences (each from its own seed). */
export function expand(bugs: readonly Bug[], seed: number): Occurrence[] {
  const out: Occurrence[] = [];
  bugs.forEach((bug, b) => {
    for (let i = 0; i < bug.occurrences; i++) {
      out.push({ bug: bug.bug, ...bug.make(new Vary(seed * 7919 + b * 104729 + i * 131)) });
    }
  });
  return out;
}
