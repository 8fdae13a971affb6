// A remote file replaced between range requests: later ranges must not come from another version (the blocks of
// a COG would mix two files). The first answer's strong ETag goes out as If-Match; a changed ETag,
// Last-Modified or total size, or a 412, is RANGE_REQUEST_FAILED.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpSource } from '../../src/index.js';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

interface Version {
  bytes: Uint8Array;
  etag?: string;
  lastModified?: string;
}

/** Serves `versions[n]` to the n-th request (the last one after that); honours If-Match when `ifMatch`. */
async function serve(
  versions: Version[],
  ifMatch: boolean,
): Promise<{ url: string; ifMatchSeen: (string | undefined)[] }> {
  const ifMatchSeen: (string | undefined)[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const v = versions[Math.min(n++, versions.length - 1)] as Version;
    const asked = req.headers['if-match'];
    ifMatchSeen.push(asked);
    const headers: Record<string, string> = {};
    if (v.etag) headers.etag = v.etag;
    if (v.lastModified) headers['last-modified'] = v.lastModified;
    if (ifMatch && asked && asked !== v.etag) return void res.writeHead(412, headers).end();
    const [, a, b] = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '') ?? [];
    const start = Number(a);
    const stop = Math.min(Number(b), v.bytes.byteLength - 1);
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${stop}/${v.bytes.byteLength}` });
    res.end(v.bytes.subarray(start, stop + 1));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scene.tif`, ifMatchSeen };
}

const v1 = new Uint8Array(400).fill(1);
const v2 = new Uint8Array(400).fill(2);

describe('httpSource: one version of the file per source', () => {
  it('sends the first strong ETag as If-Match and reads on while it stays', async () => {
    const { url, ifMatchSeen } = await serve([{ bytes: v1, etag: '"a"' }], true);
    const src = httpSource(url);
    expect(Array.from(await src.read(0, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(await src.read(200, 4))).toEqual([1, 1, 1, 1]);
    expect(ifMatchSeen).toEqual([undefined, '"a"']);
  });

  it.each([
    [
      'a changed ETag (a server ignoring If-Match)',
      { etag: '"a"' },
      { etag: '"b"' },
      false,
      'ETag "a", now "b"',
    ],
    ['a 412 to If-Match', { etag: '"a"' }, { etag: '"b"' }, true, 'ETag "a", now another (HTTP 412)'],
    [
      'a changed Last-Modified (no ETag)',
      { lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' },
      { lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT' },
      false,
      'Last-Modified Mon, 01 Jan 2024 00:00:00 GMT, now Tue, 02 Jan 2024 00:00:00 GMT',
    ],
  ])(
    '%s between two ranges is RANGE_REQUEST_FAILED, never the other version’s bytes',
    async (_, a, b, ifMatch, says) => {
      const { url } = await serve(
        [
          { bytes: v1, ...a },
          { bytes: v2, ...b },
        ],
        ifMatch,
      );
      const src = httpSource(url);
      await src.read(0, 4);
      await expect(src.read(200, 4)).rejects.toMatchObject({
        code: 'RANGE_REQUEST_FAILED',
        message: expect.stringContaining(`the file changed between range requests (${says})`),
      });
    },
  );

  it('a total size that changes between ranges is RANGE_REQUEST_FAILED', async () => {
    const { url } = await serve([{ bytes: v1 }, { bytes: new Uint8Array(500) }], false);
    const src = httpSource(url);
    await src.read(0, 4);
    await expect(src.read(200, 4)).rejects.toMatchObject({
      code: 'RANGE_REQUEST_FAILED',
      message: expect.stringContaining('(400 bytes, now 500 bytes)'),
    });
  });

  it('a weak ETag names no version: not sent, not compared', async () => {
    const { url, ifMatchSeen } = await serve(
      [
        { bytes: v1, etag: 'W/"a"' },
        { bytes: v1, etag: 'W/"b"' },
      ],
      true,
    );
    const src = httpSource(url);
    await src.read(0, 4);
    expect(Array.from(await src.read(200, 4))).toEqual([1, 1, 1, 1]);
    expect(ifMatchSeen).toEqual([undefined, undefined]);
  });
});
