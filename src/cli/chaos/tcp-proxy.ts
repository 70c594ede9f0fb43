/**
 * A local TCP proxy (node:net) between a client and a server, whose behaviour can be switched at
 * runtime to imitate network failures:
 * - `pass`: bytes flow both ways.
 * - `blackhole`: a partition. Connections stay open (no FIN, no RST) but nothing is delivered in
 *   either direction; bytes are held, as TCP would keep retransmitting them, and are delivered in
 *   order when the mode goes back to `pass` or `delay` (a healed partition). New connections are
 *   accepted and stall the same way. If either end closes meanwhile, its held bytes die with it.
 * - `retransmit`: a partition as the kernels see it. Like `blackhole`, except for a client that
 *   closes gracefully (FIN) meanwhile: its kernel keeps retransmitting what it had sent, so those
 *   held bytes are kept, and delivered — late — only by {@link TcpProxy.deliverLate}, after
 *   whatever the newer connections send once healed. A client that resets (RST) discards them, as
 *   its kernel does (counted in `discarded`).
 * - `reset`: every open connection is reset (RST) now, and new ones are reset on accept.
 * - `{ delayMs }`: every chunk is delivered `delayMs` late, in order.
 * When the target refuses a connection (server down), the client's connection is reset.
 *
 * Used by `redrive chaos --proxy` to cut workers off their store, and by the chaos tests.
 */

import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { type Clock, systemClock, type TimerHandle } from '../../core/clock.js';

/** How the proxy treats traffic. */
export type ProxyMode = 'pass' | 'blackhole' | 'retransmit' | 'reset' | { delayMs: number };

/** Counters of a {@link TcpProxy}. */
export interface ProxyStats {
  accepted: number;
  active: number;
  /** Connections reset by the proxy (mode `reset`, or the target refused). */
  resets: number;
  bytesToServer: number;
  bytesToClient: number;
  /** Bytes held now by `blackhole`, `retransmit` or `delay` (late ones included). */
  held: number;
  /** Bytes held for a late delivery: sent by clients that closed gracefully during `retransmit`. */
  late: number;
  /** Bytes held towards the server and discarded because their client reset its connection. */
  discarded: number;
  /** Bytes delivered late by {@link TcpProxy.deliverLate}. */
  deliveredLate: number;
}

/** One direction of one connection: delivers, holds or delays chunks, always in order. */
class Lane {
  private readonly queue: { chunk: Buffer; dueAt: number }[] = [];
  private timer: TimerHandle | undefined;
  heldBytes = 0;
  /** Held for {@link TcpProxy.deliverLate}: delivered by nothing else. */
  late = false;

  constructor(
    private readonly proxy: TcpProxy,
    private readonly to: () => Socket | undefined,
    private readonly count: (n: number) => void,
  ) {}

  push(chunk: Buffer): void {
    const mode = this.proxy.mode;
    const delay = typeof mode === 'object' ? mode.delayMs : 0;
    this.queue.push({ chunk, dueAt: this.proxy.clock.now() + delay });
    this.heldBytes += chunk.length;
    this.pump();
  }

  /** Delivers what is due under the current mode; re-arms a timer for what is not yet due. */
  pump(): void {
    if (this.timer) {
      this.proxy.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const mode = this.proxy.mode;
    if (this.late || mode === 'blackhole' || mode === 'retransmit' || mode === 'reset') return;
    const dest = this.to();
    if (!dest || dest.connecting || dest.destroyed) return;
    const now = this.proxy.clock.now();
    while (this.queue.length > 0) {
      const head = this.queue[0] as { chunk: Buffer; dueAt: number };
      if (typeof mode === 'object' && head.dueAt > now) {
        this.timer = this.proxy.clock.setTimeout(() => this.pump(), head.dueAt - now);
        return;
      }
      this.queue.shift();
      this.heldBytes -= head.chunk.length;
      this.count(head.chunk.length);
      dest.write(head.chunk);
    }
  }

  /** Held chunks released after a partition heal get a fresh delay (they were not in flight). */
  restamp(delayMs: number): void {
    const due = this.proxy.clock.now() + delayMs;
    for (const item of this.queue) item.dueAt = Math.max(item.dueAt, due);
  }

  /** Delivers everything held now, whatever the mode (a late delivery). */
  flush(): void {
    const dest = this.to();
    for (const { chunk } of this.queue.splice(0)) {
      this.count(chunk.length);
      dest?.write(chunk);
    }
    this.heldBytes = 0;
  }

  drop(): void {
    if (this.timer) this.proxy.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.heldBytes = 0;
  }
}

class Pair {
  upstream: Socket | undefined;
  readonly up: Lane;
  readonly down: Lane;
  private closed = false;
  /** The client closed gracefully during `retransmit`: what it sent is delivered late. */
  orphan = false;

  constructor(
    readonly proxy: TcpProxy,
    readonly client: Socket,
  ) {
    this.up = new Lane(
      proxy,
      () => this.upstream,
      (n) => proxy.count('up', n),
    );
    this.down = new Lane(
      proxy,
      () => this.client,
      (n) => proxy.count('down', n),
    );
  }

  close(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.down.drop();
    if (this.orphan && !reset) {
      this.up.late = true;
      this.proxy.forget(this, true);
      return;
    }
    this.up.drop();
    for (const s of [this.client, this.upstream]) {
      if (!s || s.destroyed) continue;
      if (reset && typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
      else s.destroy();
    }
    this.proxy.forget(this);
  }
}

/** A switchable TCP proxy: the chaos command's network cuts, and the chaos tests'. */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  /** Connections whose client closed gracefully during `retransmit`, with bytes to deliver late. */
  private readonly orphans = new Set<Pair>();
  private current: ProxyMode = 'pass';
  private readonly counters = {
    accepted: 0,
    resets: 0,
    bytesToServer: 0,
    bytesToClient: 0,
    discarded: 0,
    deliveredLate: 0,
  };
  private listenPort = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    /** Times the `delay` mode. */
    readonly clock: Clock,
  ) {}

  /** Starts a proxy on 127.0.0.1 (an ephemeral port unless `port` is given) in `pass` mode. */
  static async start(
    target: { host: string; port: number },
    port = 0,
    clock: Clock = systemClock,
  ): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, clock);
    await proxy.listen(port);
    return proxy;
  }

  /** The port the proxy listens on. */
  get port(): number {
    return this.listenPort;
  }

  /** A `redis://` URL pointing at the proxy. */
  get url(): string {
    return `redis://127.0.0.1:${this.listenPort}`;
  }

  /** The current mode. */
  get mode(): ProxyMode {
    return this.current;
  }

  /** Switches the mode; applies to open connections at once. */
  setMode(mode: ProxyMode): void {
    const was = this.current;
    this.current = mode;
    if (mode === 'reset') {
      for (const pair of [...this.pairs]) {
        this.counters.resets++;
        pair.close(true);
      }
      return;
    }
    for (const pair of this.pairs) {
      if (was === 'blackhole' && typeof mode === 'object') {
        pair.up.restamp(mode.delayMs);
        pair.down.restamp(mode.delayMs);
      }
      pair.up.pump();
      pair.down.pump();
    }
  }

  /** Resets every open connection now, whatever the mode (new ones follow the mode). */
  resetConnections(): void {
    for (const pair of [...this.pairs]) {
      this.counters.resets++;
      pair.close(true);
    }
  }

  /** A snapshot of the counters. */
  stats(): ProxyStats {
    let held = 0;
    let late = 0;
    for (const p of this.pairs) held += p.up.heldBytes + p.down.heldBytes;
    for (const p of this.orphans) late += p.up.heldBytes;
    return { ...this.counters, active: this.pairs.size, held: held + late, late };
  }

  /**
   * Delivers the bytes held for connections closed gracefully during `retransmit`, then their FIN,
   * and resolves once the server has closed those connections (so it has read and run everything
   * delivered). Returns the bytes delivered.
   */
  async deliverLate(): Promise<number> {
    const orphans = [...this.orphans];
    this.orphans.clear();
    let bytes = 0;
    await Promise.all(
      orphans.map(async (pair) => {
        const upstream = pair.upstream;
        if (!upstream || upstream.destroyed) return;
        if (upstream.connecting) await new Promise((resolve) => upstream.once('connect', resolve));
        const closed = new Promise((resolve) => upstream.once('close', resolve));
        bytes += pair.up.heldBytes;
        pair.up.late = false;
        pair.up.flush();
        upstream.end();
        await closed;
      }),
    );
    this.counters.deliveredLate += bytes;
    return bytes;
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const pair of [...this.pairs]) pair.close(false);
    for (const pair of this.orphans) pair.upstream?.destroy();
    this.orphans.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** @internal */
  count(direction: 'up' | 'down', bytes: number): void {
    if (direction === 'up') this.counters.bytesToServer += bytes;
    else this.counters.bytesToClient += bytes;
  }

  /** @internal */
  forget(pair: Pair, late = false): void {
    this.pairs.delete(pair);
    if (late) this.orphans.add(pair);
  }

  private listen(port: number): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.listenPort = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    this.counters.accepted++;
    client.setNoDelay(true);
    if (this.current === 'reset') {
      this.counters.resets++;
      client.resetAndDestroy();
      return;
    }
    const pair = new Pair(this, client);
    this.pairs.add(pair);
    client.on('data', (chunk: Buffer) => pair.up.push(chunk));
    client.on('end', () => {
      if (this.current === 'retransmit') pair.orphan = true;
    });
    client.on('error', () => {
      // A reset by the client: its kernel drops what it had sent and the server has not received.
      this.counters.discarded += pair.up.heldBytes;
      pair.close(true);
    });
    client.on('close', () => pair.close(false));
    const upstream = tcpConnect({ host: this.target.host, port: this.target.port });
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    upstream.on('connect', () => pair.up.pump());
    upstream.on('data', (chunk: Buffer) => pair.down.push(chunk));
    upstream.on('error', () => {
      this.counters.resets++;
      pair.close(true);
    });
    upstream.on('close', () => pair.close(false));
  }
}
