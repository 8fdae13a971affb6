import { describe, expect, it } from 'vitest';
import { splitUrlCredentials } from '../src/index.js';

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

  it('leaves URLs without userinfo and non-URLs alone; a malformed escape is kept, not thrown', () => {
    expect(splitUrlCredentials('https://host.example/x')).toEqual({ url: 'https://host.example/x' });
    expect(splitUrlCredentials('not a url')).toEqual({ url: 'not a url' });
    const bad = splitUrlCredentials('https://me:%E0%A4%A@host.example/');
    expect(bad.url).toBe('https://host.example/');
    expect(bad.authorization).toBe(`Basic ${Buffer.from('me:%E0%A4%A').toString('base64')}`);
  });
});
