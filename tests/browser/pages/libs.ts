// Browser page: raster-io GeoTIFF encode/decode and registered metrics, exposed to the test as globals.
import { registeredMetrics } from '@worldstrat/metrics';
import { encodeGeoTiff, openGeoTiff, readRaster } from '@worldstrat/raster-io';

const g = globalThis as Record<string, unknown>;

/** Encodes a deterministic 2-band float32 raster (deflate, tiled) and decodes it again. */
g.geotiffRoundTrip = async (bytesFromNode: number[]) => {
  const w = 37;
  const h = 29;
  const bands = [0, 1].map((b) =>
    Float32Array.from({ length: w * h }, (_, i) => Math.sin(i * 0.01 + b) * 1000),
  );
  const encoded = encodeGeoTiff(
    {
      width: w,
      height: h,
      dtype: 'float32',
      bands,
      noData: -9999,
      geo: { epsg: 32633, transform: [500000, 10, 0, 4000000, 0, -10] },
    } as Parameters<typeof encodeGeoTiff>[0],
    { compression: 'deflate', tiled: true, tileSize: 256, predictor: true },
  );
  const decode = async (bytes: Uint8Array) => {
    const tiff = await openGeoTiff(bytes);
    const r = await readRaster(tiff);
    return { width: r.width, height: r.height, bands: r.bands.map((b) => Array.from(b as Float32Array)) };
  };
  return {
    encoded: Array.from(encoded),
    ownDecoded: await decode(encoded),
    nodeDecoded: await decode(Uint8Array.from(bytesFromNode)),
    source: bands.map((b) => Array.from(b)),
  };
};

/** Decodes GeoTIFF bytes (any codec the browser build has: JPEG and LERC included). */
g.decodeTiff = async (bytes: number[]) => {
  const r = await readRaster(await openGeoTiff(Uint8Array.from(bytes)));
  return { width: r.width, height: r.height, bands: r.bands.map((b) => Array.from(b as Uint8Array)) };
};

g.metrics = (pred: number[], target: number[], shape: number[]) =>
  registeredMetrics(Float32Array.from(pred), Float32Array.from(target), shape, { mode: 'centered' });

g.ready = true;
