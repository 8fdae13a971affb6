#!/usr/bin/env node
// Entry point of the `worldstrat` binary (bin → dist/cli.js).
import { runCli } from './cli/program.js';

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`worldstrat: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
