// A queue job names the SentinelHub service its unit talks to, and the worker signs those requests with its own
// credentials. Whoever can write to the queue's Redis could then have the worker post its client secret to any
// host; so a worker sends its credentials only to the service they belong to (its --sh-url, else the default
// service), and loads them only from its own files, never from a path the job names.
import { redactUrl } from '@worldstrat/raster-io';
import { WorldStratError } from '../errors.js';
import type { DocumentSource } from './document-checks.node.js';

/** The SentinelHub service a worker's credentials belong to, and where the worker loads them from. */
export interface WorkerSentinelHub {
  /** API root the credentials are for (default `https://services.sentinel-hub.com`). */
  url?: string;
  /** The worker's sentinelhub-py config file (default: `SH_CLIENT_ID`/`SH_CLIENT_SECRET`, then the usual files). */
  configPath?: string;
  /** Its profile (default `SH_PROFILE`, else `default-profile`). */
  profile?: string;
}

/** SentinelHub's own API root, where credentials of no stated service go. */
export const DEFAULT_SENTINEL_HUB_URL = 'https://services.sentinel-hub.com';

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/**
 * A job's parameters with its SentinelHub provider checked against this worker's service and given the worker's
 * own credential files; parameters of other providers unchanged.
 *
 * @param params - the job's checked parameters.
 * @param own - this worker's SentinelHub settings.
 * @param doc - the job, for messages.
 * @returns the parameters to run the unit with.
 * @throws {WorldStratError} `INVALID_ARGUMENT` when the job asks for another service than the worker's.
 */
export function withWorkerSentinelHub<P>(
  params: P,
  own: WorkerSentinelHub | undefined,
  doc: DocumentSource,
): P {
  const provider = (params as { provider?: { kind?: unknown; baseUrl?: string } } | null)?.provider;
  if (provider?.kind !== 'sentinelhub') return params;
  const allowed = own?.url ?? DEFAULT_SENTINEL_HUB_URL;
  const asked = provider.baseUrl;
  if (asked !== undefined && originOf(asked) !== originOf(allowed))
    throw new WorldStratError(
      'INVALID_ARGUMENT',
      `${doc.source}: provider.baseUrl ${redactUrl(asked)} is not this worker's SentinelHub (${redactUrl(allowed)}), and the worker's credentials go nowhere else; start the worker with --sh-url ${redactUrl(asked)} if that service is the one its credentials are for`,
    );
  return {
    ...params,
    provider: {
      kind: 'sentinelhub',
      ...(asked !== undefined ? { baseUrl: asked } : own?.url ? { baseUrl: own.url } : {}),
      ...(own?.configPath !== undefined ? { configPath: own.configPath } : {}),
      ...(own?.profile !== undefined ? { profile: own.profile } : {}),
    },
  };
}
