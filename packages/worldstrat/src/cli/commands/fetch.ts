// `worldstrat fetch`: download matched revisits (from `worldstrat search --out`) into the release layout.

import { downloadRevisits } from '@worldstrat/eo-fetch/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import {
  bad,
  type DocumentSource,
  flag,
  isoDate,
  levels,
  matchAois,
  optional,
  provider,
  record,
  revisitsByLevel,
} from '../../executors/document-checks.node.js';
import { downloadFailureError, leadingFailure } from '../../internal/download-failures.js';
import { readInputText } from '../../pipelines/read-input.node.js';
import {
  addReadLimitOptions,
  commaListOption,
  concurrencyOption,
  type ReadLimitOptions,
  readLimitsFrom,
} from '../options.js';
import type { CliRunner, CliRuntime } from '../runtime.js';
import { idleTimeoutMs, parseIdleTimeout } from './download-release.js';
import { type MatchesFile, parseLevels, providerAccess } from './search.js';

/** Largest matches file read (a million revisits is about 500 MB of JSON). */
const MAX_MATCHES_BYTES = 512 * 1024 * 1024;

/** Register the command. */
export function registerFetch(program: Command, run: CliRunner): void {
  addReadLimitOptions(program.command('fetch'))
    .description(
      'download matched revisits (from `worldstrat search --out`) into lr_dataset/<AOI>/<level>/ (resumable via manifests)',
    )
    .argument('<root>', 'dataset folder (manifests in <root>/rebuild/)')
    .requiredOption('--matches <file.json>', '(required) output of `worldstrat search --out`')
    .option(
      '--levels <list>',
      'subset of the levels in the matches file (default: all of them)',
      commaListOption(),
    )
    .option('--stac-url <url>', 'override the STAC API root recorded in the matches file')
    .option('--sh-config <file>', 'SentinelHub credentials file (default: SH_CLIENT_ID / SH_CLIENT_SECRET)')
    .option(
      '--concurrency <n>',
      'revisits (STAC) or requests (SentinelHub) in flight',
      concurrencyOption(),
      4,
    )
    .option(
      '--idle-timeout <s>',
      'seconds without data before a request is aborted and retried (default 60; 0: off)',
      parseIdleTimeout,
    )
    .option('--dry-run', 'count the requests (and SentinelHub processing units); download nothing', false)
    .action((root: string, _opts, cmd: Command) =>
      run<FetchCommandOptions>(cmd, (o, rt) => fetchAction(root, o, rt)),
    );
}

/** Options of `worldstrat fetch`. */
interface FetchCommandOptions extends ReadLimitOptions {
  matches: string;
  levels?: unknown;
  stacUrl?: string;
  shConfig?: string;
  concurrency: number;
  idleTimeout?: unknown;
  dryRun: boolean;
}

/** Read and check a matches file written by `worldstrat search --out` (bounded size, version 1 shape). */
async function readMatchesFile(path: string): Promise<MatchesFile> {
  const text = await readInputText(path, 'matches file', MAX_MATCHES_BYTES);
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new WorldStratError(
      'UNREADABLE_FILE',
      `matches file ${path} is not JSON (${(e as Error).message}); write it again with \`worldstrat search --out\``,
      { cause: e },
    );
  }
  return checkMatchesFile(m, path);
}

/**
 * Check a parsed matches file member by member (what `fetch` hands to the downloads).
 *
 * @param m - the parsed JSON.
 * @param path - the file, for messages.
 * @returns the same document, typed.
 * @throws {WorldStratError} `UNREADABLE_FILE` naming the file and the member.
 */
export function checkMatchesFile(m: unknown, path: string): MatchesFile {
  const doc: DocumentSource = { source: `matches file ${path}`, code: 'UNREADABLE_FILE' };
  const f = record(doc, m, '(root)');
  if (f.version !== 1) bad(doc, 'version', 'is not 1: write it again with `worldstrat search --out`');
  provider(doc, f.provider, 'provider');
  levels(doc, f.levels, 'levels');
  isoDate(doc, f.targetDate, 'targetDate');
  const names = matchAois(doc, f.aois, 'aois');
  revisitsByLevel(doc, f.revisits, 'revisits', names);
  optional(f.credentialsOmitted, (x) => flag(doc, x, 'credentialsOmitted'));
  return f as unknown as MatchesFile;
}

/** Download the matched revisits with the recorded provider (URL / credentials file overridable). */
async function fetchAction(root: string, o: FetchCommandOptions, rt: CliRuntime): Promise<void> {
  const m = await readMatchesFile(o.matches);
  const recorded = { ...m.provider };
  if (recorded.kind === 'stac' && o.stacUrl) recorded.url = o.stacUrl;
  if (recorded.kind === 'sentinelhub' && o.shConfig) recorded.configPath = o.shConfig;
  if (m.credentialsOmitted && !(recorded.kind === 'stac' && o.stacUrl))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `matches file ${o.matches} records the catalogue URL without its credentials; pass --stac-url with them`,
    );
  const { provider, fetch } = providerAccess(recorded);
  const levels = o.levels ? parseLevels(o.levels) : m.levels;
  for (const l of levels)
    if (!m.revisits[l])
      throw new WorldStratError('INVALID_ARGUMENT', `--levels: the matches file has no ${l} revisits`);
  const readLimits = readLimitsFrom(o);
  const res = await downloadRevisits(
    m.aois,
    m.revisits,
    {
      root,
      provider,
      levels,
      concurrency: o.concurrency,
      idleTimeoutMs: idleTimeoutMs(o.idleTimeout),
      ...(readLimits ? { readLimits } : {}),
      dryRun: Boolean(o.dryRun),
      ...(fetch ? { fetch } : {}),
    },
    { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
  );
  const lines = Object.entries(res.downloads).map(([level, d]) =>
    o.dryRun
      ? `${level}: ${d.planned} revisits to download`
      : `${level}: ${d.downloaded} downloaded, ${d.skipped} already complete, ${d.failed} failed`,
  );
  if (o.dryRun)
    lines.push(
      `dry run: ${res.plannedRequests} requests${res.processingUnits ? `, ≈${res.processingUnits.toFixed(1)} processing units` : ''}`,
    );
  rt.done(res, lines.join('\n'));
  const lead = leadingFailure(res.failures);
  if (lead)
    throw downloadFailureError(
      res.failures,
      `${res.failures.length} revisit(s) failed (first: ${lead.aoi}-${lead.n}: ${lead.message})`,
      'run again to retry',
    );
}
