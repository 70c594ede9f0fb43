/**
 * Stack frames for grouping: V8 stack lines parsed into function and file, and only the frames of
 * the application kept ("in-app", as Sentry calls them). Runtime internals (`node:`), dependencies
 * (`node_modules`), async glue (`processTicksAndRejections`, `Promise.all`, frames without a file)
 * and redrive's own code are not the application: they differ between two runs of the same bug.
 */
import { fileURLToPath } from 'node:url';

/** A frame of the application: the function's own name and a stable, line-free file path. */
export interface AppFrame {
  fn: string;
  file: string;
}

/** Directories whose last segment starts a project-relative path (`/srv/app/src/x.ts` -> `src/x.ts`). */
const ROOT_SEGMENTS = new Set(['src', 'lib', 'dist', 'build', 'out', 'app', 'server', 'test', 'tests']);

/** Frames in redrive's own source (running from a checkout) belong to redrive, not the application. */
const OWN_ROOTS: readonly string[] = (() => {
  const here = fileURLToPath(import.meta.url).replace(/\\/g, '/');
  const cut = Math.max(here.lastIndexOf('/src/'), here.lastIndexOf('/dist/'));
  if (cut < 0) return [];
  const root = here.slice(0, cut);
  return [`${root}/src/`, `${root}/dist/`];
})();

const LOCATION_END = /:\d+(?::\d+)?$/;

/** Splits a frame line (`at fn (file:1:2)` or `at file:1:2`) into function and location. */
function parseFrame(line: string): { fn: string; location: string } | null {
  const text = line.trim();
  if (!text.startsWith('at ')) return null;
  const body = text.slice(3);
  const open = body.indexOf(' (');
  if (open >= 0 && body.endsWith(')')) return { fn: body.slice(0, open), location: body.slice(open + 2, -1) };
  return { fn: '', location: body };
}

/** The file of an in-app location, project-relative and without line and column; null if not in-app. */
function appFile(location: string): string | null {
  if (location.startsWith('node:') || location.startsWith('internal/') || location.includes('eval at ')) {
    return null;
  }
  if (location.includes('node_modules')) return null;
  let path = location.replace(LOCATION_END, '');
  if (path.startsWith('file://')) path = path.slice(7);
  const query = path.indexOf('?');
  if (query >= 0) path = path.slice(0, query);
  path = path.replace(/\\/g, '/');
  if (!path.includes('/')) return null;
  if (path.includes('/node_modules/') || path.includes('/.yarn/') || path.startsWith('webpack/')) return null;
  if (OWN_ROOTS.some((root) => path.startsWith(root))) return null;
  const segments = path.split('/').filter((s) => s !== '');
  let from = Math.max(0, segments.length - 2);
  for (let i = segments.length - 2; i >= 0; i--) {
    if (ROOT_SEGMENTS.has(segments[i]!)) {
      from = i;
      break;
    }
  }
  // Hashed bundle names and release directories must not split a group.
  return segments
    .slice(Math.max(from, segments.length - 4))
    .join('/')
    .replace(/[0-9a-f]{8,}/g, '<hex>');
}

/** The function's own name: no `async `/`new `, no receiver (`Object.`, `Foo.`), no `[as x]` alias. */
function functionName(raw: string): string {
  let fn = raw.replace(/^async /, '').replace(/^new /, '');
  const alias = fn.indexOf(' [as ');
  if (alias >= 0) fn = fn.slice(0, alias);
  const dot = fn.lastIndexOf('.');
  if (dot >= 0 && !fn.endsWith('.<anonymous>')) fn = fn.slice(dot + 1);
  if (fn === '' || fn.endsWith('<anonymous>')) return '<anonymous>';
  return fn;
}

/** Frames parsed per distinct stack body: one bug's stacks repeat, and failures come in bursts. */
const cache = new Map<string, readonly AppFrame[]>();
const CACHE_SIZE = 500;
const MAX_FRAMES = 2;
/** Longer stack bodies are not kept (the cache stays under a few megabytes). */
const CACHED_LENGTH = 4000;

function parseAppFrames(stack: string): readonly AppFrame[] {
  const frames: AppFrame[] = [];
  for (const line of stack.split('\n')) {
    const parsed = parseFrame(line);
    if (!parsed) continue;
    const file = appFile(parsed.location);
    if (file === null) continue;
    const frame = { fn: functionName(parsed.fn), file };
    const last = frames[frames.length - 1];
    // Recursion repeats a frame; once is enough.
    if (last && last.fn === frame.fn && last.file === frame.file) continue;
    frames.push(frame);
    if (frames.length === MAX_FRAMES) break;
  }
  return frames;
}

/**
 * The first `limit` (at most two) in-app frames of a V8 stack, innermost first. Two: the function
 * that threw and its caller. Deeper frames depend on how the call was scheduled — a function that
 * passes a promise through without awaiting it shows in a stack taken before the first `await`
 * and is missing from one taken after — so they would split one bug into several groups.
 */
export function appFrames(stack: string | null | undefined, limit = MAX_FRAMES): readonly AppFrame[] {
  if (!stack) return [];
  if (stack.length > CACHED_LENGTH) return pick(framesOfBody(stack), limit);
  // The same stack text is looked up several times per failure (fingerprint, group identity):
  // as a key it is hashed once, where the body sliced out of it below is a new string each time.
  let frames = byStack.get(stack);
  if (!frames) {
    frames = framesOfBody(stack);
    if (byStack.size >= CACHE_SIZE) byStack.clear();
    byStack.set(stack, frames);
  }
  return pick(frames, limit);
}

/** Frames by whole stack text (a failure storm repeats one text, message line and all). */
const byStack = new Map<string, readonly AppFrame[]>();

function framesOfBody(stack: string): readonly AppFrame[] {
  // The first line carries the message (ids and all), and causes carry theirs; the error's own
  // frames are what repeats.
  const start = stack.indexOf('\n    at ');
  if (start < 0) return [];
  const cause = stack.indexOf('\nCaused by: ', start);
  const body = stack.slice(start, cause < 0 ? undefined : cause);
  if (body.length > CACHED_LENGTH) return parseAppFrames(body);
  let frames = cache.get(body);
  if (!frames) {
    frames = parseAppFrames(body);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(body, frames);
  }
  return frames;
}

function pick(frames: readonly AppFrame[], limit: number): readonly AppFrame[] {
  return limit >= frames.length ? frames : frames.slice(0, limit);
}

/** `fn (file)`, the way a frame is shown to an operator. */
export function formatFrame(frame: AppFrame): string {
  return `${frame.fn} (${frame.file})`;
}
