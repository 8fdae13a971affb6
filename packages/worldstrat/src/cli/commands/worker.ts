// `worldstrat worker`: process queued pipeline units (BullMQ on Redis) until SIGTERM/SIGINT.
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { EXECUTOR_STAGES, type ExecutorStage } from '../../executors/executor.js';
import { runQueueWorker } from '../../executors/queue-executor.node.js';
import { DEFAULT_SENTINEL_HUB_URL } from '../../executors/worker-sentinel-hub.node.js';
import { commaListOption, concurrencyOption, intOption } from '../options.js';
import type { CliRunner } from '../runtime.js';

/** Short names of the stages for `--stages` (the full names work too). */
const STAGE_ALIASES: Readonly<Record<string, ExecutorStage>> = {
  search: 'rebuild-search',
  download: 'rebuild-download',
  spot: 'rebuild-spot-order',
  region: 'region-sr-tile',
};

/**
 * Parse `--stages a,b` against {@link EXECUTOR_STAGES} or their short names (`search`, `download`, `spot`,
 * `region`).
 *
 * @param v - comma-separated stage names.
 * @returns the stages.
 * @throws {WorldStratError} `INVALID_ARGUMENT` for an unknown or empty stage.
 */
export function parseStages(v: string): ExecutorStage[] {
  const stages = v.split(',').map((s) => STAGE_ALIASES[s.trim()] ?? s.trim());
  for (const s of stages)
    if (!(EXECUTOR_STAGES as readonly string[]).includes(s))
      throw new WorldStratError(
        'INVALID_ARGUMENT',
        `--stages ${s}: use ${EXECUTOR_STAGES.join(', ')} (or ${Object.keys(STAGE_ALIASES).join(', ')})`,
      );
  return [...new Set(stages)] as ExecutorStage[];
}

/** Register the command. */
export function registerWorker(program: Command, run: CliRunner): void {
  program
    .command('worker')
    .description(
      'process queued units of `rebuild --queue` until stopped (SIGTERM/Ctrl-C: finishes the jobs in flight); every worker must see the same dataset root path (shared filesystem)',
    )
    .requiredOption('--queue <url>', '(required) Redis of the queue: redis://HOST:PORT[/DB]')
    .option('--concurrency <n>', 'jobs in flight in this process', concurrencyOption(), 1)
    .option(
      '--stages <list>',
      `stages to serve (${EXECUTOR_STAGES.join(',')}; short: ${Object.keys(STAGE_ALIASES).join(',')})`,
      commaListOption(),
      EXECUTOR_STAGES.join(','),
    )
    .option(
      '--lock-duration <ms>',
      'job lock lifetime: a dead worker’s job goes to another worker after about this long',
      intOption('lock-duration', { min: 1000, max: 3_600_000 }),
      30_000,
    )
    .option(
      '--host-concurrency <n>',
      'requests in flight per host, shared by every worker on this Redis',
      intOption('host-concurrency', { min: 1, max: 10_000 }),
    )
    .option(
      '--host-rps <n>',
      'requests started per host and second, shared by every worker on this Redis',
      intOption('host-rps', { min: 1, max: 100_000 }),
    )
    .option(
      '--sh-pu-per-minute <n>',
      'SentinelHub processing units per minute, shared by every worker on this Redis',
      intOption('sh-pu-per-minute', { min: 1, max: 1_000_000_000 }),
    )
    .option(
      '--sh-url <url>',
      `SentinelHub API root this worker's credentials are for (default ${DEFAULT_SENTINEL_HUB_URL}); jobs naming another are refused, so a queue's writer cannot send them elsewhere`,
    )
    .option(
      '--sh-config <file>',
      "this worker's SentinelHub credentials file (default: SH_CLIENT_ID / SH_CLIENT_SECRET); a job's own path is never used",
    )
    .option(
      '--gc <mode>',
      'V8 garbage collector: single (the jobs run in a child process under --single-threaded-gc: with one worker per core, collector threads only slow the other workers) or parallel (V8 default, one process)',
      'single',
    )
    .action((_opts, cmd: Command) =>
      run(cmd, async (o, rt) => {
        if (o.gc !== 'single' && o.gc !== 'parallel')
          throw new WorldStratError('INVALID_ARGUMENT', `--gc ${String(o.gc)}: use single or parallel`);
        const res = await runQueueWorker({
          url: o.queue as string,
          concurrency: o.concurrency as number,
          stages: parseStages(o.stages as string),
          lockDurationMs: o.lockDuration as number,
          ...(o.hostConcurrency !== undefined || o.hostRps !== undefined
            ? {
                hostLimits: {
                  concurrency: o.hostConcurrency as number | undefined,
                  perSecond: o.hostRps as number | undefined,
                },
              }
            : {}),
          ...(o.shPuPerMinute !== undefined
            ? { processingUnits: { perWindow: o.shPuPerMinute as number } }
            : {}),
          ...(o.shUrl !== undefined || o.shConfig !== undefined
            ? {
                sentinelHub: {
                  ...(o.shUrl !== undefined ? { url: o.shUrl as string } : {}),
                  ...(o.shConfig !== undefined ? { configPath: o.shConfig as string } : {}),
                },
              }
            : {}),
          signal: rt.signal,
          log: rt.info,
        });
        rt.done(res, `worker stopped: ${res.completed} job(s) done, ${res.failed} failed`);
      }),
    );
}
