/**
 * `redrive serve`: the admin server — JSON API, web dashboard, /metrics, /healthz, /readyz — on
 * the store, until Ctrl-C. Tokens come from REDRIVE_ADMIN_TOKEN, `--token-file` or `--tokens-file`
 * (a token given with `--token` works but is visible to every user in the process list, so it is
 * warned about). Without any it makes a random admin token and prints the dashboard URL with it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type AdminToken, isRole, ROLES, type Role } from '../../admin/auth.js';
import type { AdminServer } from '../../admin/server.js';
import { CliError, UsageError } from '../cli-error.js';
import {
  type CommonOptions,
  cliDeadLetterQueue,
  collect,
  loadReplayHandlers,
  nonNegativeInt,
  positiveInt,
  withCommonOptions,
} from '../common.js';
import { missingStoreError, openStore, parseStoreUrl, resolveStoreUrl, storeExists } from '../store-url.js';

interface ServeOptions extends CommonOptions {
  host: string;
  port: number;
  token?: string[];
  tokenFile?: string[];
  role: string;
  create?: boolean;
  actor: string;
  tokensFile?: string;
  trustedProxy?: string[];
  proxyUserHeader: string;
  proxyRoleHeader: string;
  handlers?: string;
  bodyLimit?: number;
  logLevel: string;
}

/** The default port (7878), as in `admin/server.ts`. */
const DEFAULT_ADMIN_PORT = 7878;

/** Parses `--token <token>` or `--token <token>:<role>[:<actor>]`. */
function parseTokenSpec(spec: string, defaultRole: Role, defaultActor: string): AdminToken {
  const [token, role, ...actor] = spec.split(':');
  if (role !== undefined && !isRole(role)) {
    throw new UsageError(`--token role '${role}' is not one of ${ROLES.join(', ')}`);
  }
  return {
    token: token ?? '',
    role: (role as Role | undefined) ?? defaultRole,
    actor: actor.join(':') || defaultActor,
  };
}

/** The warning printed when a token is given on the command line. */
export const TOKEN_ON_COMMAND_LINE_WARNING =
  'warning: --token puts the secret in the process list and the shell history, where other users can read it; use REDRIVE_ADMIN_TOKEN or --token-file instead';

/** Reads a `--token-file`: one `token[:role[:actor]]`, surrounding whitespace ignored. */
function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new CliError(`cannot read --token-file ${path}: ${(error as Error).message}`);
  }
  if (text === '' || /\s/.test(text)) {
    throw new CliError(`--token-file ${path} must hold one token[:role[:actor]] (no spaces or line breaks)`);
  }
  return text;
}

function readTokensFile(path: string): AdminToken[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read --tokens-file ${path}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed))
    throw new CliError(`--tokens-file ${path} must hold a JSON array of { token, role, actor }`);
  return parsed as AdminToken[];
}

export function registerServe(program: Command): void {
  withCommonOptions(
    program
      .command('serve')
      .description('serve the admin API, the web dashboard and /metrics until Ctrl-C')
      .option('--host <host>', 'address to bind (another than loopback needs tokens)', '127.0.0.1')
      .option('--create', 'create the database when it does not exist (an empty store to watch)')
      .option('--port <port>', 'port (0 picks a free one)', nonNegativeInt, DEFAULT_ADMIN_PORT)
      .option(
        '--token <token[:role[:actor]]>',
        'a bearer token (repeatable; default role --role); visible in the process list: prefer REDRIVE_ADMIN_TOKEN or --token-file',
        collect,
      )
      .option(
        '--token-file <path>',
        'a file holding one token[:role[:actor]] (repeatable), e.g. a mounted secret',
        collect,
      )
      .option('--role <role>', `role of --token / the generated token: ${ROLES.join(', ')}`, 'admin')
      .option('--actor <name>', 'actor name of --token / the generated token (audit trail)', 'admin')
      .option('--tokens-file <path>', 'a JSON file: [{ "token", "role", "actor" }]')
      .option(
        '--trusted-proxy <ip>',
        'take identity from proxy headers sent by this address (repeatable)',
        collect,
      )
      .option('--proxy-user-header <name>', 'header with the user name', 'x-forwarded-user')
      .option('--proxy-role-header <name>', 'header with the role', 'x-forwarded-role')
      .option('--handlers <module>', 'a module exporting a ReplayRegistry with your replay handlers')
      .option('--body-limit <bytes>', 'largest request body (default 1 MiB)', positiveInt(100 * 1_048_576))
      .option('--log-level <level>', 'pino log level (logs go to stderr)', 'info'),
  )
    .addHelpText(
      'after',
      `
Prints the dashboard URL (with #token=... for a generated token). With --json, prints one JSON line
{ url, dashboardUrl, token, role } instead. Logs (pino, JSON) go to stderr.

Keep tokens off the command line (ps shows it to every user): put one in REDRIVE_ADMIN_TOKEN
(token[:role[:actor]]), in a file (--token-file), or several in a JSON file (--tokens-file).

Examples:
  redrive serve
  redrive serve --port 0 --json
  REDRIVE_ADMIN_TOKEN="$(cat /run/secrets/redrive):operator:ops" redrive serve
  redrive serve --token-file /run/secrets/ops-token --token-file /run/secrets/admin-token
  redrive serve --host 0.0.0.0 --tokens-file /etc/redrive/tokens.json
  redrive serve --trusted-proxy 10.0.0.5 --proxy-user-header x-auth-user --proxy-role-header x-auth-role`,
    )
    .action(async (options: ServeOptions) => {
      if (!isRole(options.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const specs = [...(options.token ?? []), ...(options.tokenFile ?? []).map(readTokenFile)];
      const fromEnv = process.env.REDRIVE_ADMIN_TOKEN;
      if (specs.length === 0 && fromEnv && fromEnv.trim() !== '') specs.push(fromEnv.trim());
      const tokens = specs.map((s) => parseTokenSpec(s, options.role as Role, options.actor));
      if (options.tokensFile) tokens.push(...readTokensFile(options.tokensFile));
      let generated: string | null = null;
      if (tokens.length === 0 && !options.trustedProxy) {
        generated = randomBytes(24).toString('base64url');
        tokens.push({ token: generated, role: options.role as Role, actor: options.actor });
      }
      const registry = await loadReplayHandlers(options.handlers);
      const location = parseStoreUrl(resolveStoreUrl(options.store));
      // Like every command that reads, serve does not create a database unless told to.
      if (!options.create && !storeExists(location)) throw missingStoreError(location);
      const store = openStore(location);
      // Loaded here, not at startup: the other commands need neither Fastify nor pino.
      const [{ createAdminServer }, { pino }] = await Promise.all([
        import('../../admin/server.js'),
        import('pino'),
      ]);
      const logger = pino({ name: 'redrive-admin', level: options.logLevel }, pino.destination(2));
      let server: AdminServer;
      try {
        server = createAdminServer({
          store,
          deadLetterQueue: cliDeadLetterQueue(store, registry),
          tokens,
          ...(options.trustedProxy
            ? {
                trustedProxies: {
                  addresses: options.trustedProxy,
                  userHeader: options.proxyUserHeader,
                  roleHeader: options.proxyRoleHeader,
                },
              }
            : {}),
          host: options.host,
          port: options.port,
          ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
          logger,
        });
      } catch (error) {
        await store.close();
        throw error;
      }
      let url: string;
      try {
        ({ url } = await server.listen());
      } catch (error) {
        await server.close();
        await store.close();
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new CliError(`port ${options.port} on ${options.host} is in use (--port 0 picks a free one)`);
        }
        throw error;
      }
      // Once the tokens are in use (a refused one is reported alone, on one line).
      if (options.token && options.token.length > 0)
        process.stderr.write(`${TOKEN_ON_COMMAND_LINE_WARNING}\n`);
      const dashboardUrl = generated ? `${url}#token=${generated}` : url;
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({ url, dashboardUrl, token: generated, role: generated ? options.role : null, store: location.url })}\n`,
        );
      } else {
        process.stdout.write(`redrive admin on ${location.url}\n  dashboard: ${dashboardUrl}\n`);
        if (generated) process.stdout.write(`  token (${options.role}): ${generated}\n`);
        process.stdout.write(`  metrics:   ${url}metrics\nCtrl-C stops.\n`);
      }
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      logger.info({ signal }, 'shutting down');
      await server.close();
      await store.close();
    });
}
