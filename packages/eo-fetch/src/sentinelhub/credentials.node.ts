// Where SentinelHub credentials come from: the environment (SH_CLIENT_ID, SH_CLIENT_SECRET) or a config file
// (sentinelhub-py's config.toml profile, or JSON). Values never appear in messages.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withoutTrailingSlashes } from '@worldstrat/core';
import { EoFetchError } from '../errors.js';
import { redactUrl } from '../http/retry.js';
import { checkObject, checkOptions, checkString } from '../internal/check-arguments.js';
import type { SentinelHubCredentials } from './sentinel-hub-client.js';

/** Options of {@link loadSentinelHubCredentials}. */
export interface LoadCredentialsOptions {
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Config file (`.toml` as written by `sentinelhub.config`, or `.json` with `sh_client_id`/`sh_client_secret`). */
  configPath?: string;
  /** TOML profile (default: `SH_PROFILE` from `env`, else `default-profile`, as sentinelhub-py chooses). */
  profile?: string;
}

const TOML_ESCAPES: Record<string, string> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  '"': '"',
  '\\': '\\',
};

/** The value of a TOML basic ("...") string: its escapes (`\"`, `\\`, `\uXXXX`) turned into characters. */
function unescapeBasic(text: string): string {
  return text.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (whole, e: string) => {
    if (e.length > 1) {
      const cp = Number.parseInt(e.slice(1), 16);
      return cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : whole;
    }
    return TOML_ESCAPES[e] ?? whole;
  });
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/**
 * The name in a `[section]` line, or undefined: what `/^\[\s*"?([^"\]]+)"?\s*\]$/` captures (its backtracking
 * order replayed), in linear time; the regex is cubic on `[` + spaces + `x`.
 */
function sectionOf(line: string): string | undefined {
  if (line.length < 3 || line[0] !== '[' || line[line.length - 1] !== ']') return undefined;
  const inner = line.slice(1, -1);
  let lead = 0;
  while (isSpace(inner[lead])) lead++;
  /** End of the run of name characters (not `"` or `]`) from `start`. */
  const runEnd = (start: number) => {
    let e = start;
    while (e < inner.length && inner[e] !== '"' && inner[e] !== ']') e++;
    return e;
  };
  /** Whether an optional `"` and spaces take the rest after `e`. */
  const tailOk = (e: number) => {
    let i = inner[e] === '"' ? e + 1 : e;
    while (isSpace(inner[i])) i++;
    return i === inner.length;
  };
  const start = inner[lead] === '"' ? lead + 1 : lead;
  const end = runEnd(start);
  if (end > start && tailOk(end)) return inner.slice(start, end);
  // as the regex does: `\s*` gives back its last space to the name (`[ "` + `" ]` → ` `)
  if (lead > 0) {
    const e = runEnd(lead - 1);
    if (tailOk(e)) return inner.slice(lead - 1, e);
  }
  return undefined;
}

function parseToml(text: string, profile: string): Record<string, string> {
  const out: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const sec = sectionOf(line);
    if (sec !== undefined) {
      section = sec;
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))/.exec(line);
    if (kv && (section === '' || section === profile))
      out[kv[1]] = kv[2] !== undefined ? unescapeBasic(kv[2]) : (kv[3] ?? kv[4]);
  }
  return out;
}

/** SentinelHub's own service, and where sentinelhub-py sends the secret when a profile names no token URL. */
const SH_MAIN_ORIGIN = 'https://services.sentinel-hub.com';

/** A profile's URL setting: absent, or an http(s) URL; anything else is `INVALID_ARGUMENT` naming it. */
function profileUrl(values: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = values[key];
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'string' && URL.canParse(v) && /^https?:$/.test(new URL(v).protocol)) return v;
  throw new EoFetchError(
    'INVALID_ARGUMENT',
    `${where}: ${key} must be an http(s) URL, got ${typeof v === 'string' ? JSON.stringify(redactUrl(v)) : `a ${typeof v}`}`,
  );
}

/**
 * The service endpoints a profile names, as sentinelhub-py reads them: `sh_base_url`, and `sh_token_url` (or the
 * older `sh_auth_base_url` + `/oauth/token`). A base URL of another deployment than SentinelHub's own with no
 * token URL is refused: sentinelhub-py would send that deployment's secret to SentinelHub's token endpoint.
 */
function endpointsOf(
  values: Record<string, unknown>,
  where: string,
): { baseUrl?: string; tokenUrl?: string } {
  const baseUrl = profileUrl(values, 'sh_base_url', where);
  const authBase = profileUrl(values, 'sh_auth_base_url', where);
  let tokenUrl =
    profileUrl(values, 'sh_token_url', where) ??
    (authBase ? `${withoutTrailingSlashes(authBase)}/oauth/token` : undefined);
  if (baseUrl && !tokenUrl) {
    const host = new URL(baseUrl).hostname;
    if (host !== 'sentinel-hub.com' && !host.endsWith('.sentinel-hub.com'))
      throw new EoFetchError(
        'INVALID_ARGUMENT',
        `${where}: sh_base_url ${JSON.stringify(redactUrl(baseUrl))} is not a SentinelHub (sentinel-hub.com) deployment and no sh_token_url says where its client secret goes; add that service's token URL (Copernicus Data Space: https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token)`,
      );
    // SentinelHub's other deployments authenticate at the main one (sentinelhub-py's default token URL)
    tokenUrl = `${SH_MAIN_ORIGIN}/oauth/token`;
  }
  return { ...(baseUrl ? { baseUrl } : {}), ...(tokenUrl ? { tokenUrl } : {}) };
}

/** Largest config file read (a credentials file is a few hundred bytes; a device or a log is not one). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The text of a config file, undefined when there is none; `MISSING_CREDENTIALS` naming the path (never the
 * content) when it is not a regular file or is too large to be a config.
 */
async function readConfig(path: string): Promise<string | undefined> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    // non-blocking: opening a FIFO for reading would otherwise wait for a writer forever
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = await file.stat();
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES)
      throw new EoFetchError(
        'MISSING_CREDENTIALS',
        `${path} is not a config file (${st.isFile() ? `${st.size} bytes, more than ${MAX_CONFIG_BYTES}` : 'not a regular file'})`,
      );
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await file.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
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
  const fn = 'loadSentinelHubCredentials';
  checkOptions(fn, options);
  if (options.env !== undefined) checkObject(fn, 'options.env', options.env);
  checkString(fn, 'options.configPath', options.configPath, true);
  checkString(fn, 'options.profile', options.profile, true);
  const env = options.env ?? process.env;
  // sentinelhub-py's profile selection: the option, else SH_PROFILE, else its default profile
  const profile = options.profile ?? (env.SH_PROFILE || 'default-profile');
  if (env.SH_CLIENT_ID && env.SH_CLIENT_SECRET)
    return { clientId: env.SH_CLIENT_ID, clientSecret: env.SH_CLIENT_SECRET };
  const candidates = options.configPath
    ? [options.configPath]
    : [
        join(homedir(), '.config', 'sentinelhub', 'config.toml'),
        join(homedir(), '.config', 'sentinelhub', 'config.json'),
      ];
  for (const path of candidates) {
    const text = await readConfig(path);
    if (text === undefined) continue;
    let values: Record<string, unknown>;
    if (path.endsWith('.json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new EoFetchError(
          'MISSING_CREDENTIALS',
          `${path} is not a JSON object; expected {"sh_client_id": ..., "sh_client_secret": ...}`,
        );
      values = parsed as Record<string, unknown>;
    } else values = parseToml(text, profile);
    const clientId = values.sh_client_id ?? values.clientId;
    const clientSecret = values.sh_client_secret ?? values.clientSecret;
    if (typeof clientId === 'string' && clientId && typeof clientSecret === 'string' && clientSecret)
      return {
        clientId,
        clientSecret,
        ...endpointsOf(values, path.endsWith('.json') ? path : `${path} [${profile}]`),
      };
  }
  throw new EoFetchError(
    'MISSING_CREDENTIALS',
    `no SentinelHub credentials: set SH_CLIENT_ID and SH_CLIENT_SECRET, or put sh_client_id/sh_client_secret in ${candidates.join(' or ')}`,
  );
}
