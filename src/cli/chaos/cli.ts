/**
 * `npm run chaos -- <options>`: `redrive chaos` run from the sources (no build needed).
 */
import { runAsProgram } from '../main.js';

process.argv.splice(2, 0, 'chaos');
await runAsProgram();
