// URL redaction for error messages: a URL may carry `user:pw@` or a signed-URL token in its query, and error
// messages end up in logs and JSON output.
import { checkString } from './check-args.js';

const SECRET_PARAM = /sig|token|key|secret|signature|credential|password|auth/i;

/**
 * A URL safe to print: userinfo becomes `***@`, query parameters whose name looks like a secret become `name=***`.
 *
 * Plain string surgery, so partial or malformed URLs are redacted too.
 *
 * @param url - any URL text
 * @returns the redacted text
 * @example
 * ```ts
 * redactUrl('https://a.blob.core.windows.net/x.tif?st=1&sig=abc'); // '...?st=1&sig=***'
 * redactUrl('https://me:pw@mirror.example/f'); // 'https://***@mirror.example/f'
 * ```
 */
export function redactUrl(url: string): string {
  checkString('redactUrl', 'url', url);
  const out = url.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/gi, '$1***@');
  const q = out.indexOf('?');
  if (q < 0) return out;
  const hash = out.indexOf('#', q);
  const query = hash < 0 ? out.slice(q + 1) : out.slice(q + 1, hash);
  const params = query.split('&').map((kv) => {
    const eq = kv.indexOf('=');
    const key = eq < 0 ? kv : kv.slice(0, eq);
    return SECRET_PARAM.test(key) ? `${key}=***` : kv;
  });
  return `${out.slice(0, q)}?${params.join('&')}${hash < 0 ? '' : out.slice(hash)}`;
}
