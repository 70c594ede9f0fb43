import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pause, waitFor } from '../support/wait.js';
import { TcpProxy } from './tcp-proxy.js';

/** An echo server on an ephemeral port. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

function client(port: number): Promise<{ socket: Socket; received: () => string; events: string[] }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const events: string[] = [];
    const socket = connect({ host: '127.0.0.1', port }, () =>
      resolve({ socket, received: () => data, events }),
    );
    socket.on('data', (c) => {
      data += c.toString();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => events.push(`error:${e.code}`));
    socket.on('close', () => events.push('close'));
    socket.once('error', reject);
  });
}

describe('TcpProxy', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup() {
    const echo = await echoServer();
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: echo.port });
    cleanup.push(() => new Promise<void>((r) => echo.server.close(() => r())));
    cleanup.push(() => proxy.close());
    return { echo, proxy };
  }

  it('passes bytes both ways', async () => {
    const { proxy } = await setup();
    const c = await client(proxy.port);
    cleanup.push(() => void c.socket.destroy());
    c.socket.write('hello');
    await waitFor('echo', () => c.received() === 'hello');
    expect(proxy.stats()).toMatchObject({ accepted: 1, active: 1, bytesToServer: 5, bytesToClient: 5 });
  });

  it('blackhole holds bytes without closing, and delivers them in order when healed', async () => {
    const { proxy } = await setup();
    const c = await client(proxy.port);
    cleanup.push(() => void c.socket.destroy());
    proxy.setMode('blackhole');
    c.socket.write('a');
    c.socket.write('b');
    await pause(30);
    expect(c.received()).toBe('');
    expect(c.events).toEqual([]);
    expect(proxy.stats().held).toBe(2);
    const late = await client(proxy.port); // new connections stall too
    cleanup.push(() => void late.socket.destroy());
    late.socket.write('z');
    await pause(20);
    expect(late.received()).toBe('');
    proxy.setMode('pass');
    await waitFor('healed', () => c.received() === 'ab' && late.received() === 'z');
  });

  it('retransmit delivers the bytes of a gracefully closed client late, on demand; a reset client loses them', async () => {
    const received: string[] = [];
    const recorder = createServer((s) => {
      s.on('error', () => {});
      s.on('data', (chunk) => received.push(chunk.toString()));
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => recorder.close(() => r())));
    const proxy = await TcpProxy.start({
      host: '127.0.0.1',
      port: (recorder.address() as { port: number }).port,
    });
    cleanup.push(() => proxy.close());
    const graceful = await client(proxy.port);
    const reset = await client(proxy.port);
    proxy.setMode('retransmit');
    graceful.socket.write('old');
    reset.socket.write('gone');
    await waitFor('held', () => proxy.stats().held === 7);
    graceful.socket.end(); // FIN: its kernel would keep retransmitting 'old'
    reset.socket.resetAndDestroy(); // RST: its kernel drops 'gone'
    await waitFor('both closed', () => proxy.stats().active === 0);
    expect(proxy.stats()).toMatchObject({ late: 3, discarded: 4 });
    const fresh = await client(proxy.port);
    cleanup.push(() => void fresh.socket.destroy());
    fresh.socket.write('new');
    await pause(20);
    expect(received).toEqual([]);
    proxy.setMode('pass');
    await waitFor('the new connection healed', () => received.join('') === 'new');
    await pause(20);
    expect(received).toEqual(['new']); // the late bytes wait for deliverLate
    expect(await proxy.deliverLate()).toBe(3);
    expect(received.join('')).toBe('newold');
    expect(proxy.stats()).toMatchObject({ late: 0, deliveredLate: 3 });
  });

  it('reset resets open connections and refuses new ones; pass recovers', async () => {
    const { proxy } = await setup();
    const c = await client(proxy.port);
    proxy.setMode('reset');
    await waitFor('reset seen', () => c.events.includes('close'));
    expect(c.events[0]).toBe('error:ECONNRESET');
    const refused = await new Promise<string[]>((resolve) => {
      const events: string[] = [];
      const s = connect({ host: '127.0.0.1', port: proxy.port });
      s.on('error', (e: NodeJS.ErrnoException) => events.push(`error:${e.code}`));
      s.on('close', () => resolve(events));
    });
    expect(refused).toContain('error:ECONNRESET');
    proxy.setMode('pass');
    const again = await client(proxy.port);
    cleanup.push(() => void again.socket.destroy());
    again.socket.write('ok');
    await waitFor('echo after reset', () => again.received() === 'ok');
    expect(proxy.stats().resets).toBeGreaterThanOrEqual(2);
  });

  it('delay delivers every chunk late, in order', async () => {
    const { proxy } = await setup();
    const c = await client(proxy.port);
    cleanup.push(() => void c.socket.destroy());
    proxy.setMode({ delayMs: 40 });
    const t0 = Date.now();
    c.socket.write('1');
    c.socket.write('2');
    await waitFor('delayed echo', () => c.received() === '12');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75); // 40 ms each way
  });

  it('resets the client when the target refuses the connection', async () => {
    const { echo, proxy } = await setup();
    await new Promise<void>((r) => echo.server.close(() => r()));
    const events = await new Promise<string[]>((resolve) => {
      const out: string[] = [];
      const s = connect({ host: '127.0.0.1', port: proxy.port });
      s.on('error', (e: NodeJS.ErrnoException) => out.push(`error:${e.code}`));
      s.on('close', () => resolve(out));
    });
    expect(events).toContain('error:ECONNRESET');
  });
});
