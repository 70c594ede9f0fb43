import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pingRedis, redisService, redisUrl, uniqueKeyPrefix } from './services.js';

describe('test services', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reports a closed port as unreachable with a reason', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const status = await pingRedis(`redis://127.0.0.1:${port}`, 500);
    expect(status.available).toBe(false);
    if (!status.available) expect(status.reason).toMatch(/ECONNREFUSED|closed/);
  });

  it('treats any RESP reply as reachable and a silent server as unreachable', async () => {
    const server = createServer((socket) =>
      socket.once('data', () => socket.write('-NOAUTH Authentication required.\r\n')),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    expect((await pingRedis(`redis://127.0.0.1:${port}`, 500)).available).toBe(true);
    server.close();
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const p2 = (silent.address() as { port: number }).port;
    const status = await pingRedis(`redis://127.0.0.1:${p2}`, 100);
    expect(status.available).toBe(false);
    silent.close();
  });

  it('uses REDIS_URL and makes unique prefixes', async () => {
    process.env.REDIS_URL = 'redis://example.invalid:6390';
    expect(redisUrl()).toBe('redis://example.invalid:6390');
    expect(uniqueKeyPrefix('a')).not.toBe(uniqueKeyPrefix('a'));
    expect(uniqueKeyPrefix('a')).toMatch(/^test:a:\d+:[0-9a-f]{8}:$/);
  });

  it('finds the local Redis (or skips loudly)', async () => {
    const status = await redisService();
    expect(typeof status.available).toBe('boolean');
  });
});
