// loadLandMaskFromGeoTiff: a user mask GeoTIFF read through raster-io and wrapped by geo-sampling.
import { landMaskFromRaster, samplePointsOnLand } from '@worldstrat/geo-sampling';
import { encodeGeoTiff } from '@worldstrat/raster-io';
import { describe, expect, it } from 'vitest';
import { loadLandMaskFromGeoTiff } from '../src/index.js';

describe('loadLandMaskFromGeoTiff', () => {
  // 4×2 global raster of 90° pixels: land only in the pixel [0°, 90°) × (0°, 90°].
  const raster = {
    width: 4,
    height: 2,
    dtype: 'uint8' as const,
    bands: [Uint8Array.from([0, 0, 1, 0, 0, 0, 0, 255])],
    noData: 255,
    geo: {
      epsg: 4326,
      transform: [-180, 90, 0, 90, 0, -90] as [number, number, number, number, number, number],
    },
  };

  it('reads a user mask GeoTIFF through raster-io (band choice, land codes)', async () => {
    const bytes = encodeGeoTiff(
      { ...raster, bands: [raster.bands[0], Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0])] },
      { compression: 'deflate' },
    );
    const mask = await loadLandMaskFromGeoTiff(bytes, { land: [1] });
    expect(mask.isLand(45, 45)).toBe(true);
    expect(mask.isLand(-45, 45)).toBe(false);
    const second = await loadLandMaskFromGeoTiff(bytes, { band: 1, land: [1] });
    expect(second.isLand(-135, 45)).toBe(true);
    expect(second.isLand(45, -45)).toBe(false);
    const pts = await samplePointsOnLand(200, { seed: 5, mask: second });
    expect(pts.every((p) => p.lat > 0)).toBe(true);
  });

  it('reports a mask in another CRS as geo-sampling does', async () => {
    const bytes = encodeGeoTiff({ ...raster, geo: { epsg: 32631, transform: [0, 10, 0, 0, 0, -10] } });
    await expect(loadLandMaskFromGeoTiff(bytes)).rejects.toThrow(/EPSG:32631/);
    expect(() => landMaskFromRaster({ ...raster, geo: { ...raster.geo, epsg: 32631 } })).toThrow(
      /EPSG:32631/,
    );
  });
});
