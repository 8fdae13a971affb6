#!/usr/bin/env node
// Entry point of the `worldstrat` binary (bin → dist/cli.js).
import { runCli } from './cli/program.js';

// `worldstrat … | head`: the reader closed the pipe; stop quietly like other Unix tools instead of crashing.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`worldstrat: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
