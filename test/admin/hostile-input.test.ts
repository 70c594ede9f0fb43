/**
 * The admin API against careless and hostile requests: every 4xx in the documented error shape
 * (over-long ids, malformed escapes, headers too large), bodies with `__proto__` keys, strict times,
 * generation maps with inherited-looking ids, `/readyz` without raw messages — and what already
 * held: no prototype pollution, no SQL injection, no 5xx, no traversal.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminHarness, createAdminHarness, TOKENS } from './helpers.js';

let h: AdminHarness;

beforeEach(() => {
  h = createAdminHarness();
});

afterEach(async () => {
  await h.close();
});

const JSON_HEADERS = { headers: { 'content-type': 'application/json' } };

/** Asserts the documented `{ error: { code, message } }` shape and returns the error. */
function errorOf(r: { statusCode: number; body: string; headers: Record<string, unknown> }) {
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(r.body) as { error: { code: string; message: string; details?: unknown } };
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  expect(body.error.code).not.toMatch(/^FST_/);
  return body.error;
}

function notPolluted(): void {
  for (const probe of [{}, Object.create(null) as object, []]) {
    expect((probe as { polluted?: unknown }).polluted).toBeUndefined();
  }
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('every 4xx in the documented shape', () => {
  it('an id longer than the router reads is a 414 URI_TOO_LONG', async () => {
    const r = await h.call('viewer', 'GET', `/api/dead-letters/${'a'.repeat(400)}`);
    expect(r.statusCode).toBe(414);
    expect(errorOf(r)).toMatchObject({ code: 'URI_TOO_LONG' });
    const retry = await h.call('operator', 'POST', `/api/dead-letters/${'a'.repeat(400)}/retry`, {
      generation: 1,
    });
    expect(retry.statusCode).toBe(414);
    expect(errorOf(retry).code).toBe('URI_TOO_LONG');
  });

  it('an id over 200 characters (that the router still reads) is a 400 naming the field', async () => {
    const r = await h.call('viewer', 'GET', `/api/dead-letters/${'a'.repeat(250)}`);
    expect(r.statusCode).toBe(400);
    expect(errorOf(r)).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'id: must be at most 200 characters',
      details: { field: 'id' },
    });
  });

  it('a malformed %-escape in the path is a 400 BAD_URL', async () => {
    for (const url of ['/api/dead-letters/%zz', '/api/jobs/%E0%A4%A', '/api/queues/%/pause']) {
      const r = await h.call('operator', url.endsWith('pause') ? 'POST' : 'GET', url);
      expect(r.statusCode, url).toBe(400);
      expect(errorOf(r).code, url).toBe('BAD_URL');
    }
  });

  it('headers too large are a 431 in the same shape (a real socket)', async () => {
    const { port } = await h.server.listen({ host: '127.0.0.1', port: 0 });
    const reply = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/api/whoami',
          headers: { authorization: `Bearer ${TOKENS.viewer}`, 'x-padding': 'a'.repeat(32 * 1024) },
        },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(reply.status).toBe(431);
    expect(reply.type).toMatch(/^application\/json/);
    expect(JSON.parse(reply.body)).toEqual({
      error: { code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' },
    });
  });
});

describe('bodies with a __proto__ key', () => {
  it('are refused with a message that says why (not "invalid JSON"), at any depth, however escaped', async () => {
    const id = await h.deadLetter();
    const bodies: [string, string][] = [
      ['{"generation": 1, "__proto__": {"polluted": 1}}', '__proto__'],
      ['{"generation": 1, "\\u005f_proto__": {"polluted": 1}}', '__proto__'],
    ];
    for (const [body, field] of bodies) {
      const r = await h.call('operator', 'POST', `/api/dead-letters/${id}/resolve`, body, JSON_HEADERS);
      expect(r.statusCode, body).toBe(400);
      expect(errorOf(r)).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
      expect(errorOf(r).message).toMatch(/__proto__ is refused/);
    }
    const nested = await h.call(
      'operator',
      'POST',
      '/api/dead-letters/batch/resolve',
      `{"ids": ["${id}"], "generations": {"__proto__": {"polluted": 1}}}`,
      JSON_HEADERS,
    );
    expect(errorOf(nested)).toMatchObject({ details: { field: 'generations.__proto__' } });
    expect((await h.dlq.mustGet(id)).status).toBe('pending');
    notPolluted();
  });

  it('a constructor.prototype body pollutes nothing and is refused as an unknown field', async () => {
    const id = await h.deadLetter();
    const r = await h.call(
      'operator',
      'POST',
      `/api/dead-letters/${id}/resolve`,
      '{"generation": 1, "constructor": {"prototype": {"polluted": 1}}}',
      JSON_HEADERS,
    );
    expect(errorOf(r)).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'constructor' } });
    notPolluted();
  });
});

describe('generation maps', () => {
  it('batch resolve (and its dry run) reads generations by own key only', async () => {
    const id = await h.deadLetter();
    const generation = (await h.dlq.mustGet(id)).generation;
    const dry = await h.call('operator', 'POST', '/api/dead-letters/batch/resolve', {
      ids: [id],
      generations: { toString: 4, constructor: 5 },
      dryRun: true,
    });
    expect(dry.json()).toMatchObject({ resolved: 1, skipped: 0 });
    const stale = await h.call('operator', 'POST', '/api/dead-letters/batch/resolve', {
      ids: [id],
      generations: { [id]: generation + 1 },
    });
    expect(stale.json()).toMatchObject({ resolved: 0, skipped: 1 });
    const fresh = await h.call('operator', 'POST', '/api/dead-letters/batch/resolve', {
      ids: [id],
      generations: { [id]: generation, valueOf: 1 },
    });
    expect(fresh.json()).toMatchObject({ resolved: 1, skipped: 0 });
  });
});

describe('strict time filters', () => {
  it('take epoch milliseconds or ISO 8601, and refuse any other date text', async () => {
    await h.deadLetter();
    for (const from of ['March%207', '2026-02-30', 'yesterday', '7%2F3%2F2026', '2026-03-07T25:00Z']) {
      const r = await h.call('viewer', 'GET', `/api/dead-letters?from=${from}`);
      expect(r.statusCode, from).toBe(400);
      expect(errorOf(r)).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'from' } });
    }
    for (const from of ['0', '2000-01-01', '2000-01-01T00:00:00Z', '2000-01-01T00:00:00.000%2B02:00']) {
      const r = await h.call('viewer', 'GET', `/api/dead-letters?from=${from}`);
      expect(r.statusCode, from).toBe(200);
      expect(r.json<{ total: number }>().total, from).toBe(1);
    }
  });
});

describe('/readyz', () => {
  it('says the store is not answering without echoing its error message', async () => {
    const secret = '/srv/secret-path/redrive.db: SQLITE_CANTOPEN user=alice';
    h.store.listQueues = async () => {
      throw new Error(secret);
    };
    const r = await h.call(null, 'GET', '/readyz');
    expect(r.statusCode).toBe(503);
    expect(r.body).not.toContain('secret-path');
    expect(r.body).not.toContain('alice');
    expect(r.json()).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
  });
});

describe('what already held', () => {
  it('SQL-looking text in filters is data: nothing matches, nothing breaks, the table is intact', async () => {
    await h.deadLetter();
    const hostile = [
      'q=%27%20OR%201%3D1%20--',
      'domain=payment%27%20OR%20%271%27%3D%271',
      'payload.customer.id=1%20OR%201%3D1',
      'payload.a%27%5D%3B%20DROP%20TABLE%20dead_letters%3B--=1',
      'entityId=%22%29%20UNION%20SELECT%20*%20FROM%20sqlite_master--',
      'q=%22%2A%22%20OR%20NEAR(a%2Cb)',
    ];
    for (const query of hostile) {
      const r = await h.call('viewer', 'GET', `/api/dead-letters?${query}`);
      expect(r.statusCode, query).toBeLessThan(500);
      if (r.statusCode === 200) expect(r.json<{ total: number }>().total, query).toBe(0);
      else errorOf(r);
    }
    expect((await h.call('viewer', 'GET', '/api/dead-letters')).json<{ total: number }>().total).toBe(1);
  });

  it('no hostile request gets a 5xx, and every refusal is in the error shape', async () => {
    const id = await h.deadLetter();
    const requests: [string, string, unknown?][] = [
      ['GET', `/api/dead-letters?pageSize=${'9'.repeat(400)}`],
      ['GET', '/api/dead-letters?page=-1&pageSize=0'],
      ['GET', '/api/dead-letters?status=pending&status=nope'],
      ['GET', `/api/dead-letters?cursor=${'%FF'.repeat(50)}`],
      ['GET', `/api/dead-letters?${Array.from({ length: 20 }, (_, i) => `payload.k${i}=1`).join('&')}`],
      ['GET', '/api/jobs?state=%00'],
      ['GET', '/api/audit?before=1e99'],
      ['POST', `/api/dead-letters/${id}/retry`, { generation: -1 }],
      ['POST', `/api/dead-letters/${id}/retry`, { generation: 1e300 }],
      ['POST', `/api/dead-letters/${id}/retry`, [1, 2, 3]],
      ['POST', `/api/dead-letters/${id}/retry`, 'null'],
      ['POST', `/api/dead-letters/${id}/resolve`, { generation: '1' }],
      ['POST', '/api/dead-letters/batch/resolve', { ids: Array(3).fill({ a: 1 }) }],
      ['POST', '/api/dead-letters/batch/resolve', { filter: { where: 'x' } }],
      ['POST', '/api/dead-letters/purge', { olderThanDays: 'NaN' }],
      ['POST', '/api/dead-letters/batch/preview', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ];
    for (const [method, url, body] of requests) {
      const r = await h.call(
        'admin',
        method as 'GET' | 'POST',
        url,
        body,
        typeof body === 'string' ? JSON_HEADERS : {},
      );
      expect(r.statusCode, `${method} ${url}`).toBeLessThan(500);
      if (r.statusCode >= 400) errorOf(r);
    }
    notPolluted();
  });
});
