// Client-side super-resolution of one chip: read the revisit GeoTIFFs, run the model on the chosen backend,
// encode the SR GeoTIFF (georeferenced on the first revisit's grid, finer pixels), and score it against an HR
// GeoTIFF when one is given. No network: everything comes in as bytes.
import { type RegisteredSampleMetrics, registeredMetrics } from '@worldstrat/metrics';
import { encodeGeoTiff, openGeoTiff, type Raster, readRaster } from '@worldstrat/raster-io';
import {
  type BackendPreference,
  type BackendSelection,
  createTfjsEngine,
  selectBackend,
  stateDictFromSafetensors,
} from '@worldstrat/srnet';

export interface SuperResolveInput {
  revisits: Uint8Array[];
  model: Uint8Array;
  hr?: Uint8Array;
  backend: BackendPreference;
  wasmPaths?: string;
  onProgress?: (fraction: number, stage: string) => void;
}

export interface SuperResolveResult {
  selection: BackendSelection;
  lr: Raster;
  sr: { width: number; height: number; bands: Float32Array[] };
  geotiff: Uint8Array;
  scores?: RegisteredSampleMetrics;
}

async function readTiff(bytes: Uint8Array, what: string): Promise<Raster> {
  try {
    return await readRaster(await openGeoTiff(bytes));
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

/** Stacks revisits into [1, R, C, H, W] float32, checking they agree with each other and the model. */
function stack(rasters: Raster[], revisits: number, channels: number): Float32Array {
  const first = rasters[0] as Raster;
  if (rasters.length !== revisits)
    throw new Error(`the model takes ${revisits} revisits; ${rasters.length} given`);
  const n = first.width * first.height;
  const out = new Float32Array(revisits * channels * n);
  rasters.forEach((r, i) => {
    if (r.width !== first.width || r.height !== first.height)
      throw new Error(
        `revisit ${i + 1} is ${r.width}×${r.height}, revisit 1 is ${first.width}×${first.height}`,
      );
    if (r.bands.length !== channels)
      throw new Error(`revisit ${i + 1} has ${r.bands.length} bands; the model takes ${channels}`);
    r.bands.forEach((b, c) => {
      out.set(Float32Array.from(b as ArrayLike<number>), (i * channels + c) * n);
    });
  });
  return out;
}

export async function superResolve(input: SuperResolveInput): Promise<SuperResolveResult> {
  const progress = input.onProgress ?? (() => undefined);
  progress(0.05, 'backend');
  const selection = await selectBackend(input.backend, input.wasmPaths ? { wasmPaths: input.wasmPaths } : {});
  progress(0.15, 'reading');
  const { stateDict, config } = stateDictFromSafetensors(input.model);
  const rasters: Raster[] = [];
  for (const [i, bytes] of input.revisits.entries()) {
    rasters.push(await readTiff(bytes, `revisit ${i + 1}`));
    progress(0.15 + (0.35 * (i + 1)) / input.revisits.length, 'reading');
  }
  if (!rasters.length) throw new Error('no revisit files given');
  const lr = rasters[0] as Raster;
  const data = stack(rasters, config.revisits, config.inChannels);
  progress(0.55, 'super-resolving');
  const engine = await createTfjsEngine(config, stateDict);
  let out: Awaited<ReturnType<typeof engine.predict>>;
  try {
    out = await engine.predict({ data, shape: [1, config.revisits, config.inChannels, lr.height, lr.width] });
  } finally {
    engine.dispose();
  }
  const [c, h, w] = out.shape.slice(-3) as [number, number, number];
  const bands = Array.from({ length: c }, (_, k) => out.data.slice(k * h * w, (k + 1) * h * w));
  progress(0.85, 'encoding');
  const geo = lr.geo && {
    ...lr.geo,
    transform: lr.geo.transform.map((v, i) =>
      i === 1 || i === 2 ? (v * lr.width) / w : i === 4 || i === 5 ? (v * lr.height) / h : v,
    ) as typeof lr.geo.transform,
  };
  const sr = { width: w, height: h, bands };
  const geotiff = encodeGeoTiff({ width: w, height: h, dtype: 'float32', bands, ...(geo ? { geo } : {}) });
  let scores: RegisteredSampleMetrics | undefined;
  if (input.hr) {
    const hr = await readTiff(input.hr, 'HR target');
    if (hr.width !== w || hr.height !== h || hr.bands.length !== c)
      throw new Error(`HR target is ${hr.width}×${hr.height}×${hr.bands.length}; SR is ${w}×${h}×${c}`);
    const target = new Float32Array(c * h * w);
    hr.bands.forEach((b, k) => {
      target.set(Float32Array.from(b as ArrayLike<number>), k * h * w);
    });
    scores = registeredMetrics(out.data, target, [1, c, h, w])[0];
  }
  progress(1, 'done');
  return { selection, lr, sr, geotiff, ...(scores ? { scores } : {}) };
}
