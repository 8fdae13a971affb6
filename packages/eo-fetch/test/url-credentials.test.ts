import { describe, expect, it } from 'vitest';
import { redactUrlsIn } from '../src/http/retry.js';
import { urlSecrets } from '../src/http/url-credentials.js';
import { type EoFetchError, redactUrl, requestJson, scrub, splitUrlCredentials } from '../src/index.js';

describe('splitUrlCredentials', () => {
  it('moves user:password into a Basic authorization value and strips it from the URL', () => {
    expect(splitUrlCredentials('https://me:s3cret@host.example/data/?a=1')).toEqual({
      url: 'https://host.example/data/?a=1',
      authorization: `Basic ${Buffer.from('me:s3cret').toString('base64')}`,
    });
    // percent-encoded and non-ASCII credentials are sent as their UTF-8 bytes
    const r = splitUrlCredentials('https://us%C3%A9r:p%40ss@host.example/');
    expect(r.url).toBe('https://host.example/');
    expect(r.authorization).toBe(`Basic ${Buffer.from('usér:p@ss', 'utf8').toString('base64')}`);
  });

  it('takes the host after the last "@", as the URL parser does (a raw "@" belongs to the password)', () => {
    expect(splitUrlCredentials('http://bob:S3cr@t-P4ss@host.example/f?a=1')).toEqual({
      url: 'http://host.example/f?a=1',
      authorization: `Basic ${Buffer.from('bob:S3cr@t-P4ss').toString('base64')}`,
    });
  });

  it('leaves URLs without userinfo and non-URLs alone; a malformed escape is kept, not thrown', () => {
    expect(splitUrlCredentials('https://host.example/x')).toEqual({ url: 'https://host.example/x' });
    expect(splitUrlCredentials('not a url')).toEqual({ url: 'not a url' });
    const bad = splitUrlCredentials('https://me:%E0%A4%A@host.example/');
    expect(bad.url).toBe('https://host.example/');
    expect(bad.authorization).toBe(`Basic ${Buffer.from('me:%E0%A4%A').toString('base64')}`);
  });
});

describe('userinfo in every form the URL parser (and so fetch) reads it', () => {
  // the parser takes any run of slashes or backslashes after a special scheme, none included; the rules took `//` only
  const forms = [
    'http:/me:s3cret@host.example/f',
    'https:///me:s3cret@host.example/f',
    'https:\\\\me:s3cret@host.example/f',
    'http:me:s3cret@host.example/f',
    'https://m e:s3cret@host.example/f',
    '  https://me:s3cret@host.example/f',
  ];
  it.each(forms)('%s: split off for host.example only, listed, and redacted (was kept whole)', (url) => {
    const { url: bare, authorization } = splitUrlCredentials(url);
    expect(bare).not.toContain('s3cret');
    expect(new URL(bare).host).toBe('host.example');
    expect(new URL(bare).username).toBe('');
    const parsed = new URL(url);
    expect(authorization).toBe(
      `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:s3cret`).toString('base64')}`,
    );
    expect(urlSecrets(url)).toContain('s3cret');
    expect(redactUrl(url)).not.toContain('s3cret');
    expect(redactUrl(url)).toContain('***@host.example/f');
    // quoted in a message: every form with a slash or backslash after the scheme (and no space) is found in the text
    if (/^\s*https?:[/\\]\S*$/.test(url))
      expect(redactUrlsIn(`failed: ${url.trim()} (reset)`)).not.toContain('s3cret');
  });

  it('the authority ends at a backslash: the credentials stay with the host the parser reads (they went to the last "@"\'s)', () => {
    const url = 'https://me:s3cret@good.example\\x@evil.example/f';
    expect(new URL(url).host).toBe('good.example');
    const { url: bare } = splitUrlCredentials(url);
    expect(new URL(bare).host).toBe('good.example');
    expect(redactUrl(url)).toBe('https://***@good.example\\x@evil.example/f');
  });
});

describe('urlSecrets', () => {
  it('lists the password as the parser splits it, its Basic value and token-like query values, raw and decoded', () => {
    const secrets = urlSecrets('http://bob:S3cr@t-P4ss@host.example/f?se=2030&sig=a%2Bb%3D&token=x+y');
    for (const s of [
      'S3cr@t-P4ss',
      'S3cr%40t-P4ss',
      Buffer.from('bob:S3cr@t-P4ss').toString('base64'),
      'a%2Bb%3D',
      'a+b=',
      'x+y',
      'x y',
    ])
      expect(secrets, s).toContain(s);
    // not secret: the user name beside a password, the other query values
    for (const s of ['bob', '2030', 't-P4ss']) expect(secrets, s).not.toContain(s);
    // a user name alone is the credential (`https://TOKEN@host`)
    expect(urlSecrets('https://ghp_TOKEN123@host.example/')).toContain('ghp_TOKEN123');
    expect(urlSecrets('not a url')).toEqual([]);
  });
});

describe('scrub', () => {
  it('masks a secret in every spelling a server may echo it in, and nothing else (was the raw text only)', () => {
    const secret = 'p@ss wörd/"1"';
    const spellings = [
      secret,
      encodeURIComponent(secret), // p%40ss%20w%C3%B6rd%2F%221%22
      new URLSearchParams({ s: secret })
        .toString()
        .slice(2), // p%40ss+w%C3%B6rd%2F%221%22
      'p%40ss+w%c3%b6rd%2f%221%22', // lower-case hex
      JSON.stringify(secret).slice(1, -1), // p@ss wörd/\"1\"
      'p@ss w\\u00f6rd\\/\\"1\\"', // ensure_ascii JSON, escaped '/'
      'p&#64;ss w&#xF6;rd/&quot;1&quot;', // HTML character references
    ];
    for (const s of spellings) expect(scrub(`[${s}]`, [secret]), s).toBe('[***]');
    // the same characters around other text stay; a longer secret containing another is masked whole
    expect(scrub('p@ss word', [secret])).toBe('p@ss word');
    expect(scrub('x=a.b+c axb', ['a.b+c', 'a.b'])).toBe('x=*** axb');
  });

  it('masks a 64 KiB secret of slashes in its whole spellings, never throwing (was a SyntaxError quoting it)', () => {
    const secret = `k${'/'.repeat(64 * 1024)}y`;
    const spellings = [
      secret,
      encodeURIComponent(secret),
      `k${'%2f'.repeat(64 * 1024)}y`, // lower-case hex
      JSON.stringify(secret).slice(1, -1).replaceAll('/', '\\/'),
    ];
    for (const s of spellings) expect(scrub(`<${s}>`, [secret, 'short/secret'])).toBe('<***>');
    // short secrets next to it keep their mixed spellings
    expect(scrub('a short%2Fsecret b', [secret, 'short/secret'])).toBe('a *** b');
    // a run of slashes that is not the secret stays
    expect(scrub(`k${'/'.repeat(1000)}y`, [secret])).toBe(`k${'/'.repeat(1000)}y`);
  });
});

describe('request headers in every RequestInit form', () => {
  it('requestJson sends and scrubs headers given as a Headers instance or pairs (a spread kept none of them)', async () => {
    for (const headers of [new Headers({ 'x-api-key': 'KEY-123456789' }), [['x-api-key', 'KEY-123456789']]]) {
      const seen: (string | null)[] = [];
      const echo = async (_u: string, init?: RequestInit) => {
        const h = new Headers(init?.headers);
        seen.push(h.get('x-api-key'), h.get('accept'));
        return new Response(`bad key ${h.get('x-api-key')}`, { status: 400 });
      };
      const err = await requestJson(
        'http://127.0.0.1:9/a',
        { headers: headers as never },
        { fetch: echo },
      ).catch((e: unknown) => e as EoFetchError);
      expect(seen).toEqual(['KEY-123456789', 'application/json']);
      expect((err as EoFetchError).code).toBe('HTTP_ERROR');
      expect((err as EoFetchError).message).toBe('HTTP 400  from http://127.0.0.1:9/a: bad key ***');
    }
    // pairs that are no headers: refused up front, the value (maybe a credential) not quoted
    const bad = await requestJson(
      'http://127.0.0.1:9/a',
      { headers: [['bad name', 'SECRET-VALUE-1']] as never },
      {
        fetch: async () => new Response('{}'),
      },
    ).catch((e: unknown) => e as EoFetchError);
    expect((bad as EoFetchError).code).toBe('INVALID_ARGUMENT');
    expect((bad as EoFetchError).message).toBe(
      'requestJson: init.headers must be headers (a record, a Headers instance or [name, value] pairs), got a list that is not [name, value] pairs of valid header names and values',
    );
  });
});
