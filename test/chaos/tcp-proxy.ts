/** The chaos tests' TCP proxy: the one `redrive chaos --proxy` uses. */
export * from '../../src/cli/chaos/tcp-proxy.js';
