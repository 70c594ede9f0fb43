#!/usr/bin/env node
// The `redrive` command: runs the built CLI (dist/cli/main.js) when there is one, otherwise the
// TypeScript source through tsx. REDRIVE_CLI_FROM_SOURCE=1 forces the source.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);

let cli;
if (existsSync(built) && !process.env.REDRIVE_CLI_FROM_SOURCE) {
  cli = await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      'redrive: the CLI is not built (npm run build) and tsx is not installed to run its source\n',
    );
    process.exit(1);
  }
  register();
  cli = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
await cli.runAsProgram();
