import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { memorySource, openGeoTiff, readRaster } from '../src/index.js';
import { NODE_CODECS } from '../src/node.js';
it('one', async () => {
  for (const p of (process.env.FILES as string).split(',')) {
    try {
      const t = await openGeoTiff(memorySource(new Uint8Array(readFileSync(p)), p), { codecs: NODE_CODECS });
      const r = await readRaster(t, {});
      console.log(p, 'OK', r.bands[0]?.slice(0, 4), t.levels.map((l) => [l.width, l.mask]));
    } catch (e) { console.log(p, 'ERR', (e as Error).message.slice(0, 200)); }
  }
});
