// Where a file's blocks lie, as the reader locates them: for tests that damage or cut chosen blocks.
import { openGeoTiffFile } from '../../src/node.js';
import { geoTiffInternals } from '../../src/read/open-geotiff.js';

const TAG_IDS = { TileOffsets: 324, StripOffsets: 273, TileByteCounts: 325, StripByteCounts: 279 } as const;

/**
 * The full image's block offsets and byte counts (one per tile or strip, planes in order), or with `mask` those of
 * its internal mask, and whether it is tiled.
 */
export async function blockLocations(
  path: string,
  { mask = false } = {},
): Promise<{ offsets: number[]; counts: number[]; tiled: boolean }> {
  const tiff = await openGeoTiffFile(path);
  try {
    const level = mask ? geoTiffInternals(tiff).masks[0]?.level : tiff.levels[0];
    if (!level) throw new Error(`${path}: no ${mask ? 'mask' : 'image'}`);
    const tiled = level.tileWidth !== undefined;
    const bw = level.tileWidth ?? level.width;
    const bh = level.tileHeight ?? level.rowsPerStrip ?? level.height;
    const planes = level.planarConfiguration === 2 ? level.bandCount : 1;
    const total = Math.ceil(level.width / bw) * Math.ceil(level.height / bh) * planes;
    const { blockArray } = geoTiffInternals(tiff);
    const read = async (tag: keyof typeof TAG_IDS) => {
      const values = await blockArray(level.ifd, TAG_IDS[tag], total);
      if (!values) throw new Error(`${path}: cannot read ${tag}`);
      return values;
    };
    return { offsets: await read(level.offsetsTag), counts: await read(level.countsTag), tiled };
  } finally {
    await tiff.close();
  }
}
