import { describe, expect, it } from 'vitest';
import { resetConnection } from '../../src/resilient-redis/client.js';

function client(stream?: { destroyed?: boolean; resetAndDestroy?: () => void; destroy: () => void }) {
  const calls: string[] = [];
  return {
    calls,
    client: {
      stream,
      disconnect: (reconnect?: boolean) => {
        calls.push(`disconnect(${String(reconnect)})`);
      },
    },
  };
}

describe('resetConnection', () => {
  it('resets the socket (RST) rather than closing it gracefully', () => {
    const log: string[] = [];
    const { client: c, calls } = client({
      resetAndDestroy: () => log.push('reset'),
      destroy: () => log.push('destroy'),
    });
    expect(resetConnection(c)).toBe('reset');
    expect([...log, ...calls]).toEqual(['reset']);
  });

  it('destroys a socket that cannot be reset (TLS), and disconnects a client without a live socket', () => {
    const log: string[] = [];
    const tls = client({
      resetAndDestroy: () => {
        throw new Error('ERR_INVALID_HANDLE_TYPE');
      },
      destroy: () => log.push('destroy'),
    });
    expect(resetConnection(tls.client)).toBe('destroyed');
    expect(log).toEqual(['destroy']);
    const none = client(undefined);
    expect(resetConnection(none.client)).toBe('disconnected');
    const gone = client({ destroyed: true, destroy: () => log.push('destroy again') });
    expect(resetConnection(gone.client)).toBe('disconnected');
    expect([...none.calls, ...gone.calls]).toEqual(['disconnect(true)', 'disconnect(true)']);
    expect(log).toEqual(['destroy']);
  });
});
