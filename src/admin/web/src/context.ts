/**
 * What every view gets: who is signed in, what their role allows, and navigation.
 */
import type { Role, WhoAmI } from './types.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export interface Ctx {
  who: WhoAmI;
  /** Whether the signed-in role is at least `role`. */
  can(role: Role): boolean;
  /** Goes to a hash route, e.g. `/dead-letters?status=pending`. */
  navigate(route: string): void;
}

export function createCtx(who: WhoAmI, navigate: (route: string) => void): Ctx {
  const rank = RANK[who.role] ?? -1;
  return { who, can: (role) => rank >= RANK[role], navigate };
}

/** A mounted view: `update` takes new query params for the same path; `cleanup` stops its timers. */
export interface View {
  cleanup?(): void;
  update?(params: URLSearchParams): void;
}

/** Polls `fn` every `intervalMs` without overlapping calls; pauses while the page is hidden. */
export function poll(intervalMs: number, fn: () => Promise<void>): { stop(): void; now(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let running = false;
  let again = false;
  const run = async () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    timer = null;
    running = true;
    try {
      await fn();
    } catch {
      // fn reports its own errors; polling goes on.
    } finally {
      running = false;
    }
    if (stopped) return;
    if (again) {
      again = false;
      void run();
      return;
    }
    timer = setTimeout(tick, intervalMs);
  };
  const tick = () => {
    timer = null;
    if (document.hidden) {
      timer = setTimeout(tick, intervalMs);
      return;
    }
    void run();
  };
  void run();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    now() {
      void run();
    },
  };
}
