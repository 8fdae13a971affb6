// `worldstrat download-release`: the published dataset from Zenodo (or a mirror), MD5-checked and unpacked.

import {
  downloadRelease,
  RELEASE_RECORDS,
  type ReleaseRecord,
  ZENODO_RECORD,
  ZENODO_RECORD_V1_1,
} from '@worldstrat/dataset/node';
import type { Command } from 'commander';
import { WorldStratError } from '../../errors.js';
import { commaListOption, intOption, repeatableOption } from '../options.js';
import { displayUrl } from '../redact.js';
import type { CliRunner } from '../runtime.js';

/** Longest `--idle-timeout` accepted (a day): larger values are typos, not policies. */
const MAX_IDLE_TIMEOUT_S = 86_400;

/**
 * Parses `--idle-timeout <s>` (commander argParser): seconds without data before an attempt is aborted and
 * retried, a number in [0, 86400]; 0 turns the idle check off.
 *
 * @param v - the option value
 * @returns the seconds
 * @throws {WorldStratError} `INVALID_ARGUMENT`
 */
export function parseIdleTimeout(v: string): number {
  idleTimeoutMs(v);
  return Number(v);
}

/**
 * The idle timeout in ms from the option's seconds, checked again here because a config file's value does not
 * pass through the argParser.
 *
 * @param v - seconds (number or numeric string), or undefined for the default
 * @returns milliseconds, or undefined
 * @throws {WorldStratError} `INVALID_ARGUMENT`
 */
export function idleTimeoutMs(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(s) || s < 0 || s > MAX_IDLE_TIMEOUT_S)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--idle-timeout ${String(v)}: expected seconds between 0 (off) and ${MAX_IDLE_TIMEOUT_S}`,
    );
  return Math.round(s * 1000);
}

/**
 * Parses `--record <id>`: one of the Zenodo records download-release knows.
 *
 * @param v - the option value
 * @returns the record
 * @throws {WorldStratError} `INVALID_ARGUMENT`
 */
export function parseRecord(v: string): ReleaseRecord {
  const n = Number(v);
  if (n !== ZENODO_RECORD && n !== ZENODO_RECORD_V1_1)
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `--record ${v}: expected ${ZENODO_RECORD} (tar.gz archives) or ${ZENODO_RECORD_V1_1} (v1.1 zips)`,
    );
  return n;
}

/** Options of `worldstrat download-release`. */
interface DownloadReleaseOptions {
  /** Zenodo record (a config file's value is checked again by {@link parseRecord}). */
  record: ReleaseRecord | string;
  /** Comma-separated names; a config file may give a list instead. */
  files?: string | string[];
  baseUrl?: string;
  md5?: string[];
  skipChecksum: boolean;
  /** false with `--no-extract`. */
  extract: boolean;
  deleteArchives: boolean;
  concurrency: number;
  retries: number;
  /** Seconds; a config file's value is checked again by {@link idleTimeoutMs}. */
  idleTimeout?: number;
  dryRun: boolean;
}

/** Register the command. */
export function registerDownloadRelease(program: Command, run: CliRunner): void {
  program
    .command('download-release')
    .description(
      `download the WorldStrat release (Zenodo record ${ZENODO_RECORD} or v1.1 ${ZENODO_RECORD_V1_1}), verify MD5s and unpack it (resumable)`,
    )
    .argument('<root>', 'dataset folder to create (hr_dataset/, lr_dataset/, CSVs; archives in downloads/)')
    .option(
      '--record <id>',
      `Zenodo record: ${ZENODO_RECORD} (tar.gz) or ${ZENODO_RECORD_V1_1} (v1.1 zips)`,
      parseRecord,
      ZENODO_RECORD,
    )
    .option(
      '--files <list>',
      `comma-separated subset of the record's files, e.g. ${RELEASE_RECORDS[ZENODO_RECORD].files.map((f) => f.name).join(', ')} or ${RELEASE_RECORDS[ZENODO_RECORD_V1_1].files.map((f) => f.name).join(', ')} (default: all)`,
      commaListOption(),
    )
    .option(
      '--base-url <url>',
      `mirror base URL; files are fetched from <url>/<name>?download=1 (default: the record's, e.g. ${RELEASE_RECORDS[ZENODO_RECORD].baseUrl})`,
    )
    .option(
      '--md5 <name=sum>',
      'expected MD5 of a file (repeatable; overrides the published sum)',
      repeatableOption(),
    )
    .option('--skip-checksum', 'do not verify MD5 sums (not recommended)', false)
    .option('--no-extract', 'download only, do not unpack the archives')
    .option('--delete-archives', 'delete each archive once unpacked', false)
    .option('--concurrency <n>', 'parallel downloads', intOption('concurrency', { min: 1, max: 16 }), 2)
    .option(
      '--retries <n>',
      'retries per file after the first attempt',
      intOption('retries', { min: 0, max: 100 }),
      5,
    )
    .option(
      '--idle-timeout <s>',
      'seconds without data before an attempt is aborted and retried (default 60; 0: off)',
      parseIdleTimeout,
    )
    .option('--dry-run', 'list what would be downloaded and unpacked; touch nothing', false)
    .action((root: string, _opts, cmd: Command) =>
      run<DownloadReleaseOptions>(cmd, async (o, rt) => {
        const record = parseRecord(String(o.record));
        const baseUrl = o.baseUrl === undefined ? undefined : String(o.baseUrl);
        const md5: Record<string, string> = {};
        for (const pair of o.md5 ?? []) {
          const m = /^([^=]+)=([0-9a-fA-F]{32})$/.exec(pair);
          if (!m)
            throw new WorldStratError(
              'INVALID_ARGUMENT',
              `--md5 ${pair}: expected <file name>=<32 hex digits>`,
            );
          md5[m[1]] = m[2];
        }
        const files = o.files
          ? String(o.files)
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : undefined;
        const res = await downloadRelease(
          {
            root,
            record,
            files,
            baseUrl,
            md5,
            skipChecksum: Boolean(o.skipChecksum),
            extract: o.extract !== false,
            deleteArchives: Boolean(o.deleteArchives),
            concurrency: o.concurrency,
            retries: o.retries,
            idleTimeoutMs: idleTimeoutMs(o.idleTimeout),
            dryRun: Boolean(o.dryRun),
          },
          { signal: rt.signal, onProgress: rt.onProgress, log: rt.info },
        );
        const lines = res.files.map(
          (f) =>
            `${f.download.padEnd(10)} ${f.name}${f.extraction ? ` → ${f.extraction.status}${f.extraction.extracted || f.extraction.skipped ? ` (${f.extraction.extracted} written, ${f.extraction.skipped} already there)` : ''}` : ''}`,
        );
        lines.push(
          res.dryRun
            ? `dry run: ${res.requests} request(s) would be sent`
            : `${res.requests} request(s), ${res.retries} retr${res.retries === 1 ? 'y' : 'ies'}, ${res.bytesDownloaded} bytes; dataset in ${root}`,
        );
        // URLs are shown without userinfo or token parameters
        rt.done(
          { ...res, files: res.files.map((f) => ({ ...f, url: displayUrl(f.url) })) },
          lines.join('\n'),
        );
      }),
    );
}
