/**
 * RedisConnection.close() while Redis cannot be reached: it closes at once, whatever is queued,
 * instead of waiting for a reconnection that QUIT would need.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/store/redis/redis-connection.js';
import { TcpProxy } from '../chaos/tcp-proxy.js';
import { redisService } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { within } from './redis-store-harness.js';

const redis = await redisService();

describe.skipIf(!redis.available)('RedisConnection.close()', () => {
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  async function throughProxy(): Promise<{ connection: RedisConnection; proxy: TcpProxy }> {
    const target = new URL(redis.url);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    return { connection: new RedisConnection({ url: proxy.url }), proxy };
  }

  it('closes at once while a reconnection stalls (accepted, never answered), failing a queued command', async () => {
    const { connection, proxy } = await throughProxy();
    await connection.call('ping', () => connection.client.ping());
    // The connection drops; the next one is accepted and then hears nothing (a partition).
    proxy.setMode('blackhole');
    proxy.resetConnections();
    await waitFor('the client to reconnect into the partition', () => connection.client.status === 'connect');
    const queued = connection.client.ping().then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await within(1000, connection.close(), 'close() while the reconnection stalls');
    expect(await within(5000, queued, 'the queued command')).toMatch(/Connection is closed/);
    await waitFor('the client to end', () => connection.client.status === 'end');
  });

  it('closes at once while waiting to reconnect, failing a queued command, and makes no more connection attempts', async () => {
    const { connection, proxy } = await throughProxy();
    await connection.call('ping', () => connection.client.ping());
    // Every connection is reset, and so is every new one: the client keeps reconnecting.
    proxy.setMode('reset');
    await waitFor('the client to see the connection drop', () => connection.client.status !== 'ready');
    // A command issued on the client itself waits in its offline queue for a reconnection.
    const queued = connection.client.ping().then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await within(2000, connection.close(), 'close() while disconnected with a command queued');
    expect(await within(2000, queued, 'the queued command')).toMatch(/Connection is closed/);
    await waitFor('the client to end', () => connection.client.status === 'end');
    // A closed client makes no more connection attempts, even once Redis is reachable again.
    const accepted = proxy.stats().accepted;
    proxy.setMode('pass');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(proxy.stats().accepted).toBe(accepted);
  });
});
