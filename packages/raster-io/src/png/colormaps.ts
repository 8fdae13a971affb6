// Colour maps for single-band quicklooks: 256-entry RGB lookup tables built from anchor colours.

/** Colour maps of {@link renderQuicklook}. */
export const COLORMAPS = ['gray', 'viridis', 'magma', 'class'] as const;
/** One colour map name. */
export type Colormap = (typeof COLORMAPS)[number];

// matplotlib viridis / magma sampled at 11 evenly spaced points (viridisLite's viridis(11) / magma(11)).
const ANCHORS: Record<'viridis' | 'magma', string[]> = {
  viridis: [
    '440154',
    '482475',
    '414487',
    '355f8d',
    '2a788e',
    '21918c',
    '22a884',
    '44bf70',
    '7ad151',
    'bddf26',
    'fde725',
  ],
  magma: [
    '000004',
    '140e36',
    '3b0f70',
    '641a80',
    '8c2981',
    'b73779',
    'de4968',
    'f7705c',
    'fe9f6d',
    'fecf92',
    'fcfdbf',
  ],
};

/** Categorical palette for class rasters (matplotlib tab20). */
export const CLASS_PALETTE: readonly (readonly [number, number, number])[] = [
  '1f77b4',
  'aec7e8',
  'ff7f0e',
  'ffbb78',
  '2ca02c',
  '98df8a',
  'd62728',
  'ff9896',
  '9467bd',
  'c5b0d5',
  '8c564b',
  'c49c94',
  'e377c2',
  'f7b6d2',
  '7f7f7f',
  'c7c7c7',
  'bcbd22',
  'dbdb8d',
  '17becf',
  '9edae5',
].map(hex);

function hex(h: string): [number, number, number] {
  return [
    Number.parseInt(h.slice(0, 2), 16),
    Number.parseInt(h.slice(2, 4), 16),
    Number.parseInt(h.slice(4, 6), 16),
  ];
}

const luts = new Map<string, Uint8Array>();

/**
 * A 256 × RGB lookup table for a continuous colour map (`gray`, `viridis`, `magma`), interpolated linearly
 * between the anchor colours.
 *
 * @param name - colour map.
 * @returns 768 bytes: entry i at [3i, 3i+1, 3i+2].
 * @example
 * const lut = colormapLut('viridis'); // lut[0..2] = 68, 1, 84
 */
export function colormapLut(name: 'gray' | 'viridis' | 'magma'): Uint8Array {
  let lut = luts.get(name);
  if (lut) return lut;
  lut = new Uint8Array(768);
  if (name === 'gray') for (let i = 0; i < 256; i++) lut.fill(i, 3 * i, 3 * i + 3);
  else {
    const a = ANCHORS[name].map(hex);
    const segs = a.length - 1;
    for (let i = 0; i < 256; i++) {
      const t = (i / 255) * segs;
      const k = Math.min(Math.floor(t), segs - 1);
      const f = t - k;
      const c0 = a[k] as [number, number, number];
      const c1 = a[k + 1] as [number, number, number];
      for (let c = 0; c < 3; c++) lut[3 * i + c] = Math.round(c0[c] + (c1[c] - c0[c]) * f);
    }
  }
  luts.set(name, lut);
  return lut;
}
