// Planetary Computer SAS signing: one token per storage account and container from the token endpoint (as the
// planetary_computer library does), cached until shortly before it expires; concurrent callers share one request.
import { EoFetchError } from '../errors.js';
import { type FetchLike, requestJson } from '../http/request-json.js';
import { type RetryPolicy, redactUrl, SharedRequest } from '../http/retry.js';
import {
  checkFunction,
  checkNumber,
  checkOptions,
  checkRetryPolicy,
  checkString,
} from '../internal/check-arguments.js';
import { itemAssets } from './providers.js';
import type { StacItem } from './stac-types.js';
import { rfc3339Ms } from './validate-item.js';

/** Options of {@link createPlanetaryComputerSigner}. */
export interface PlanetaryComputerSignerOptions {
  /** Token endpoint root (default `https://planetarycomputer.microsoft.com/api/sas/v1/token`). */
  tokenUrl?: string;
  /** Optional Planetary Computer subscription key (`Ocp-Apim-Subscription-Key`). */
  subscriptionKey?: string;
  /** Refresh this long before `msft:expiry` (default 5 min). */
  refreshMarginMs?: number;
  fetch?: FetchLike;
  retry?: Partial<RetryPolicy>;
  /** Clock (tests). */
  now?: () => number;
  /**
   * Which hrefs get the SAS token (default {@link isAzureBlobHref}): only blob storage needs and honours it;
   * API links such as `tilejson` or `rendered_preview` stay as they are.
   */
  isStorageHref?: (url: URL) => boolean;
}

/**
 * Whether an href points at Azure Blob Storage, the only place a Planetary Computer SAS token belongs.
 * Hosts `https://<account>.blob.core.windows.net`.
 *
 * @param url - the parsed href
 * @returns true for blob storage
 */
export function isAzureBlobHref(url: URL): boolean {
  return url.protocol === 'https:' && url.hostname.endsWith('.blob.core.windows.net');
}

/** The storage account and container of a blob href: a SAS token is valid for that one container only. */
interface BlobContainer {
  account: string;
  container: string;
}

/**
 * Account and container of a storage href: `https://<account>.blob.core.windows.net/<container>/<blob>`; for
 * another host a custom `isStorageHref` accepts (a mirror, a test server), the host stands for the account.
 * Undefined when the path names no container.
 */
function blobContainerOf(url: URL): BlobContainer | undefined {
  const container = url.pathname.split('/')[1];
  if (!container) return undefined;
  const account = isAzureBlobHref(url) ? url.hostname.slice(0, -'.blob.core.windows.net'.length) : url.host;
  return { account, container };
}

/** Signs Planetary Computer hrefs. */
export interface PlanetaryComputerSigner {
  /**
   * Appends the SAS token of the href's storage account and container to a blob-storage href; other hrefs come
   * back unchanged. `collection` is no longer used (tokens are per container, never per collection).
   */
  signHref(href: string, collection?: string, signal?: AbortSignal): Promise<string>;
  /** Returns a copy of the item with every blob-storage asset href signed. */
  signItem(item: StacItem, signal?: AbortSignal): Promise<StacItem>;
  /** Token requests made so far. */
  readonly tokenRequests: number;
}

/**
 * Creates a SAS signer for Microsoft Planetary Computer.
 *
 * @param options - token endpoint, subscription key, refresh margin, fetch
 * @returns the signer
 * @throws {@link EoFetchError} `INVALID_RESPONSE` when the token endpoint answers without `token`
 * @example
 * ```ts
 * const signer = createPlanetaryComputerSigner();
 * const signed = await signer.signItem(item);
 * const tiff = await openGeoTiff(httpSource(signed.assets.B04.href));
 * ```
 */
export function createPlanetaryComputerSigner(
  options: PlanetaryComputerSignerOptions = {},
): PlanetaryComputerSigner {
  const fn = 'createPlanetaryComputerSigner';
  checkOptions(fn, options);
  checkString(fn, 'options.tokenUrl', options.tokenUrl, true);
  checkString(fn, 'options.subscriptionKey', options.subscriptionKey, true);
  checkNumber(fn, 'options.refreshMarginMs', options.refreshMarginMs, { optional: true });
  for (const k of ['fetch', 'now', 'isStorageHref'] as const)
    checkFunction(fn, `options.${k}`, options[k], true);
  checkRetryPolicy(fn, 'options.retry', options.retry);
  const tokenUrl = (options.tokenUrl ?? 'https://planetarycomputer.microsoft.com/api/sas/v1/token').replace(
    /\/$/,
    '',
  );
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { token: string; expiresAt: number }>();
  const inflight = new Map<string, SharedRequest<string>>();
  let tokenRequests = 0;

  // one token per storage account and container (a SAS is valid for that container only), as the
  // planetary_computer library asks for it: `<tokenUrl>/<account>/<container>`
  const token = (store: BlobContainer, signal?: AbortSignal): Promise<string> => {
    const key = `${store.account}/${store.container}`;
    const hit = cache.get(key);
    if (hit && hit.expiresAt - margin > now()) return Promise.resolve(hit.token);
    const pending = inflight.get(key);
    if (pending && !pending.abandoned) return pending.join(signal);
    // shared by every caller: one caller's signal firing must not fail the others as an abort; each caller stops
    // waiting on its own signal, and the request stops once all of them have
    const shared = new SharedRequest(async (requestSignal) => {
      tokenRequests++;
      const headers: Record<string, string> = options.subscriptionKey
        ? { 'Ocp-Apim-Subscription-Key': options.subscriptionKey }
        : {};
      const res = await requestJson<{ token?: string; 'msft:expiry'?: string }>(
        // the container is a path segment as the href spelled it
        `${tokenUrl}/${encodeURIComponent(store.account)}/${store.container}`,
        { headers },
        {
          fetch: options.fetch,
          retry: options.retry,
          signal: requestSignal,
          redact: options.subscriptionKey ? [options.subscriptionKey] : [],
        },
      );
      if (typeof res?.token !== 'string' || !res.token)
        throw new EoFetchError(
          'INVALID_RESPONSE',
          `SAS token endpoint ${redactUrl(tokenUrl)} returned no token string for storage account ${store.account}, container ${store.container}`,
        );
      // an unreadable expiry means the default lifetime, never a date Date.parse guessed
      const exp = rfc3339Ms(res['msft:expiry']);
      const entry = { token: res.token.replace(/^\?/, ''), expiresAt: exp ?? now() + 45 * 60_000 };
      cache.set(key, entry);
      return entry.token;
    });
    const done = () => {
      if (inflight.get(key) === shared) inflight.delete(key);
    };
    shared.promise.then(done, done);
    inflight.set(key, shared);
    return shared.join(signal);
  };

  const isStorage = options.isStorageHref ?? isAzureBlobHref;
  const signHref = async (href: string, _collection?: string, signal?: AbortSignal) => {
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      return href; // relative or malformed: not a storage URL
    }
    if (!isStorage(url) || /[?&]sig=/.test(href)) return href; // not storage, or already signed
    const store = blobContainerOf(url);
    if (!store) return href; // no container to ask a token for (the account's root)
    const t = await token(store, signal);
    return `${href}${href.includes('?') ? '&' : '?'}${t}`;
  };

  return {
    signHref,
    async signItem(item, signal) {
      const signed: [string, StacItem['assets'][string]][] = [];
      for (const [k, a] of Object.entries(itemAssets(item)))
        signed.push([
          k,
          a && typeof a === 'object' && typeof a.href === 'string'
            ? { ...a, href: await signHref(a.href, undefined, signal) }
            : a,
        ]);
      // fromEntries defines own keys: assigning an asset named `__proto__` set the copy's prototype instead
      return { ...item, assets: Object.fromEntries(signed) };
    },
    get tokenRequests() {
      return tokenRequests;
    },
  };
}
