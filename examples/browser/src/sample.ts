// The bundled tiny synthetic sample: 4 revisits of a smooth 3-band 16×16 field with per-revisit noise, written
// as GeoTIFFs (so the page reads it exactly like user files), an HR target, and a seeded, untrained SRCNN.
import { encodeGeoTiff } from '@worldstrat/raster-io';
import { initStateDict, resolveModelConfig, stateDictToSafetensors } from '@worldstrat/srnet';

export const SAMPLE = { revisits: 4, bands: 3, size: 16, scale: 2 } as const;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const field = (b: number, y: number, x: number) =>
  0.4 + 0.2 * Math.sin(0.35 * x + b) * Math.cos(0.27 * y - b);

function tiff(width: number, bands: Float32Array[], pixel: number): Uint8Array {
  return encodeGeoTiff({
    width,
    height: width,
    dtype: 'float32',
    bands,
    geo: { epsg: 32633, transform: [500000, pixel, 0, 4000000, 0, -pixel] },
  });
}

/** Revisit GeoTIFFs, the HR GeoTIFF and the model's .safetensors bytes. */
export function syntheticSample(): { revisits: Uint8Array[]; hr: Uint8Array; model: Uint8Array } {
  const { revisits, bands, size, scale } = SAMPLE;
  const rnd = rng(42);
  const lr = Array.from({ length: revisits }, () =>
    Array.from({ length: bands }, (_, b) =>
      Float32Array.from(
        { length: size * size },
        (_, i) => field(b, Math.floor(i / size), i % size) + 0.03 * (rnd() - 0.5),
      ),
    ),
  );
  const H = size * scale;
  const hr = Array.from({ length: bands }, (_, b) =>
    Float32Array.from({ length: H * H }, (_, i) => field(b, Math.floor(i / H) / scale, (i % H) / scale)),
  );
  const config = resolveModelConfig({
    kind: 'srcnn',
    revisits,
    inChannels: bands,
    outChannels: bands,
    hiddenChannels: 8,
    outputSize: [H, H],
  });
  return {
    revisits: lr.map((b) => tiff(size, b, 10)),
    hr: tiff(H, hr, 10 / scale),
    // model_args carries the output size (the upstream metadata field the reader takes it from).
    model: stateDictToSafetensors(initStateDict(config, { seed: 7 }), config, {
      metadata: { model_args: JSON.stringify({ output_size: [H, H] }) },
    }),
  };
}
