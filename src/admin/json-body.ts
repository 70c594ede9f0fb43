/**
 * The admin server's JSON body parser. An empty body is `{}` (a POST without a body); anything
 * else must be JSON, and a key named `__proto__` (at any depth, however it is escaped) is refused
 * with a message that says so: such a body is valid JSON, but copied carelessly it would change an
 * object's prototype, and no field of the API is named that way.
 */
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../core/errors.js';

/** The key refused in bodies. */
const PROTO_KEY = '__proto__';

/**
 * The path (`generations.__proto__`) of the first `__proto__` key in a parsed JSON value, or null.
 * Iterative, so a deeply nested body cannot overflow the stack.
 */
export function findProtoKey(value: unknown): string | null {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const isArray = Array.isArray(current);
    for (const key of Object.keys(current)) {
      const child = path === '' ? key : `${path}.${key}`;
      if (!isArray && key === PROTO_KEY) return child;
      stack.push({ value: (current as Record<string, unknown>)[key], path: child });
    }
  }
  return null;
}

/** Replaces Fastify's JSON parser with the one described above. */
export function registerJsonBodyParser(app: FastifyInstance): void {
  const fastifyJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    let value: unknown;
    try {
      // JSON.parse makes `__proto__` an ordinary own key (it never sets a prototype).
      value = JSON.parse(text);
    } catch {
      fastifyJson(request, text, done); // its error: INVALID_JSON
      return;
    }
    // A key can be escaped (`"\u005f_proto__"`): only then is a scan needed.
    const protoKey = text.includes(PROTO_KEY) || text.includes('\\u') ? findProtoKey(value) : null;
    if (protoKey !== null) {
      done(
        new ValidationError(
          protoKey,
          'a key named __proto__ is refused (no field has this name, and it could alter object prototypes)',
        ),
        undefined,
      );
      return;
    }
    done(null, value);
  });
}
