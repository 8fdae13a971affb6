import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { blockCache, httpSource, memorySource } from '../../src/index.js';
import { fileSource } from '../../src/node.js';
import { type RangeServer, startRangeServer } from '../support/range-server.js';
import { useTmpDir } from '../support/tmp.js';
import { SUITE_BYTES, byteSourceSuite } from './byte-source.suite.js';

const tmp = useTmpDir();
let server: RangeServer;
beforeAll(async () => {
  server = await startRangeServer();
  server.files.set('suite.bin', SUITE_BYTES);
  writeFileSync(join(tmp(), 'suite.bin'), SUITE_BYTES);
});
afterAll(() => server.close());

byteSourceSuite('memorySource', async () => memorySource(SUITE_BYTES, 'suite'));
byteSourceSuite('memorySource over an ArrayBuffer', async () => memorySource(SUITE_BYTES.slice().buffer, 'suite'));
byteSourceSuite('fileSource', () => fileSource(join(tmp(), 'suite.bin')));
byteSourceSuite('httpSource', async () => httpSource(server.url('/files/suite.bin')));
byteSourceSuite('httpSource on a server that ignores Range (200)', async () => httpSource(server.url('/norange/suite.bin')));
byteSourceSuite('blockCache(httpSource), 4 KiB blocks', async () => blockCache(httpSource(server.url('/files/suite.bin')), { blockSize: 4096, maxBlocks: 8 }));
byteSourceSuite('blockCache(memorySource), default blocks', async () => blockCache(memorySource(SUITE_BYTES)));
