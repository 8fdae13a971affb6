#!/usr/bin/env node
// Entry point of the `worldstrat` binary (bin → dist/cli.js).
import { runCli } from './cli/program.js';
import { exitWithParentWorker, runWorkerInChildProcess } from './cli/worker-process.node.js';

// `worldstrat … | head`: the reader closed the pipe; stop quietly like other Unix tools instead of crashing.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });

exitWithParentWorker();
// `worker` runs as a child process under V8's single-threaded collector (see worker-process.node.ts)
const run = runWorkerInChildProcess(process.argv) ?? runCli(process.argv);
run.then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`worldstrat: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
