// `worldstrat status`: job counts per stage and state on a queue, and failed jobs with their typed codes.
import type { Command } from 'commander';
import { queueStatus } from '../../executors/queue-executor.node.js';
import type { CliRunner } from '../runtime.js';

/** Register the command. */
export function registerStatus(program: Command, run: CliRunner): void {
  program
    .command('status')
    .description('show queued pipeline units per stage and state, and failed units with their error codes')
    .requiredOption('--queue <url>', '(required) Redis of the queue: redis://HOST:PORT[/DB]')
    .action((_opts, cmd: Command) =>
      run(cmd, async (o, rt) => {
        const s = await queueStatus(o.queue as string);
        const lines = [`queue ${s.queue}`];
        for (const [stage, counts] of Object.entries(s.stages))
          lines.push(
            `${stage}: ${Object.entries(counts)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ')}`,
          );
        for (const f of s.failed)
          lines.push(`failed ${f.stage} ${f.unit} [${f.code}] after ${f.attempts} attempt(s): ${f.message}`);
        rt.done(s, lines.join('\n'));
      }),
    );
}
