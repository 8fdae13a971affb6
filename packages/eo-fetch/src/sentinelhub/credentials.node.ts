// Where SentinelHub credentials come from: the environment (SH_CLIENT_ID, SH_CLIENT_SECRET) or a config file
// (sentinelhub-py's config.toml profile, or JSON). Values never appear in messages.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EoFetchError } from '../errors.js';
import type { SentinelHubCredentials } from './sentinel-hub-client.js';

/** Options of {@link loadSentinelHubCredentials}. */
export interface LoadCredentialsOptions {
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Config file (`.toml` as written by `sentinelhub.config`, or `.json` with `sh_client_id`/`sh_client_secret`). */
  configPath?: string;
  /** TOML profile (default `default-profile`). */
  profile?: string;
}

function parseToml(text: string, profile: string): Record<string, string> {
  const out: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const sec = /^\[\s*"?([^"\]]+)"?\s*\]$/.exec(line);
    if (sec) {
      section = sec[1];
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))/.exec(line);
    if (kv && (section === '' || section === profile)) out[kv[1]] = kv[2] ?? kv[3] ?? kv[4];
  }
  return out;
}

/**
 * Loads SentinelHub OAuth credentials: `SH_CLIENT_ID` + `SH_CLIENT_SECRET` from the environment first, else the
 * config file (`configPath`, or `~/.config/sentinelhub/config.toml` / `config.json`).
 *
 * @param options - env, configPath, profile
 * @returns `{ clientId, clientSecret }`
 * @throws {@link EoFetchError} `MISSING_CREDENTIALS` naming the places searched (never the values)
 * @example
 * ```ts
 * const sh = new SentinelHubClient(await loadSentinelHubCredentials());
 * ```
 */
export async function loadSentinelHubCredentials(
  options: LoadCredentialsOptions = {},
): Promise<SentinelHubCredentials> {
  const env = options.env ?? process.env;
  if (env.SH_CLIENT_ID && env.SH_CLIENT_SECRET)
    return { clientId: env.SH_CLIENT_ID, clientSecret: env.SH_CLIENT_SECRET };
  const candidates = options.configPath
    ? [options.configPath]
    : [
        join(homedir(), '.config', 'sentinelhub', 'config.toml'),
        join(homedir(), '.config', 'sentinelhub', 'config.json'),
      ];
  for (const path of candidates) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    let values: Record<string, unknown>;
    if (path.endsWith('.json')) {
      try {
        values = JSON.parse(text);
      } catch {
        throw new EoFetchError(
          'MISSING_CREDENTIALS',
          `${path} is not valid JSON; expected {"sh_client_id": ..., "sh_client_secret": ...}`,
        );
      }
    } else values = parseToml(text, options.profile ?? 'default-profile');
    const clientId = values.sh_client_id ?? values.clientId;
    const clientSecret = values.sh_client_secret ?? values.clientSecret;
    if (typeof clientId === 'string' && clientId && typeof clientSecret === 'string' && clientSecret)
      return { clientId, clientSecret };
  }
  throw new EoFetchError(
    'MISSING_CREDENTIALS',
    `no SentinelHub credentials: set SH_CLIENT_ID and SH_CLIENT_SECRET, or put sh_client_id/sh_client_secret in ${candidates.join(' or ')}`,
  );
}
