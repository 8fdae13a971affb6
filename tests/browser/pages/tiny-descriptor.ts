// A tiny single-image SRCNN described by an MLM document, and a synthetic scene: built the same way in Node
// (which also exports the ONNX file) and in the page.
import type { Raster } from '@worldstrat/raster-io';
import { JIF_S2_BANDS, resolveModelConfig } from '@worldstrat/srnet';

/** The model's bands (in model channel order) and their affine scaling `(x − offset) / scale`. */
export const DESCRIPTOR_BANDS = ['B04', 'B03', 'B02', 'B08'];
const OFFSETS = [500, 400, 300, 2000];
export const DESCRIPTOR_SCALES = [1000, 900, 800, 1500];

/** ×3 SRCNN on 16×16 LR tiles (output 48×48), 4 bands in and out. */
export const DESCRIPTOR_CONFIG = resolveModelConfig({
  kind: 'srcnn',
  revisits: 1,
  inChannels: 4,
  outChannels: 4,
  hiddenChannels: 8,
  residualLayers: 0,
  outputSize: [48, 48],
});

/** An MLM STAC Item for the exported SRCNN (its `lr`/`sr` tensors are `(B, 1, C, H, W)`). */
export function tinyDescriptorItem(modelHref: string) {
  return {
    type: 'Feature',
    stac_version: '1.0.0',
    stac_extensions: ['https://stac-extensions.github.io/mlm/v1.4.0/schema.json'],
    id: 'tiny-srcnn-x3',
    geometry: null,
    properties: {
      datetime: null,
      'mlm:name': 'tiny-srcnn-x3',
      'mlm:framework': 'ONNX',
      'mlm:tasks': ['super-resolution'],
      'mlm:input': [
        {
          name: 'lr',
          bands: DESCRIPTOR_BANDS,
          input: {
            shape: [-1, 1, 4, 16, 16],
            dim_order: ['batch', 'time', 'bands', 'height', 'width'],
            data_type: 'float32',
          },
          value_scaling: OFFSETS.map((mean, b) => ({ type: 'z-score', mean, stddev: DESCRIPTOR_SCALES[b] })),
        },
      ],
      'mlm:output': [
        {
          name: 'sr',
          tasks: ['super-resolution'],
          result: {
            shape: [-1, 1, 4, 48, 48],
            dim_order: ['batch', 'time', 'channel', 'height', 'width'],
            data_type: 'float32',
          },
        },
      ],
    },
    assets: {
      model: { href: modelHref, roles: ['mlm:model'], 'mlm:artifact_type': 'onnx' },
    },
    links: [],
  };
}

/** A 12-band (WorldStrat B01…B12) DN scene of w×h pixels, UTM 33N at 10 m, with structure in every band. */
export function descriptorScene(w: number, h: number): Raster[] {
  const bands = JIF_S2_BANDS.map((_, b) => {
    const a = new Float32Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        a[y * w + x] = 800 + 150 * b + 300 * Math.sin(0.31 * x + 0.7 * b) + 250 * Math.cos(0.23 * y) + 3 * x;
    return a;
  });
  return [
    {
      width: w,
      height: h,
      dtype: 'float32',
      bands,
      geo: { epsg: 32633, transform: [500000, 10, 0, 4600000, 0, -10] },
    },
  ];
}
