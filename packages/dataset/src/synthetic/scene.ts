// Procedural high-resolution scenes: a cover-class map plus a brightness texture, painted in metres so the same
// seed gives the same landscape at any pixel size. Reflectance = class spectrum × texture (see spectra.ts).
import { DatasetError } from '../errors.js';
import { checkOptions, checkScene, checkSynthRng } from '../internal/check-arguments.js';
import { fbm } from './noise.js';
import { type SynthRng, uniform } from './rng.js';
import { COVER, COVER_SPECTRA, HR_FROM_S2_BANDS } from './spectra.js';

/** Landscape kinds; each maps to an IPCC class for the tables and plots. */
export const SCENE_KINDS = ['Agriculture', 'Forest', 'Settlement', 'Grassland', 'Other'] as const;
/** A landscape kind (equal to the IPCC class written to the tables). */
export type SceneKind = (typeof SCENE_KINDS)[number];

/** Largest scene side {@link synthesizeScene} draws (32768² pixels is already 5 GiB of classes and texture). */
const MAX_SCENE_SIZE = 32_768;

/** A synthetic HR scene: per-pixel cover class and texture multiplier on a square grid. */
export interface SyntheticScene {
  kind: SceneKind;
  width: number;
  height: number;
  pixelSizeM: number;
  /** Cover class id per pixel (see COVER_CLASSES), row-major. */
  classes: Uint8Array;
  /** Brightness multiplier per pixel (≈0.6..1.4), row-major. */
  texture: Float32Array;
  /** What was painted, for provenance (`.metadata` and README of the dataset). */
  features: { fields: number; roads: number; river: boolean; settlement: boolean; forestFraction: number };
}

/** Options of {@link synthesizeScene}. */
export interface SynthesizeSceneOptions {
  /** Width/height in pixels. Default 1054 (the released HR size). */
  size?: number;
  /** Pixel size in metres. Default 1.5 (SPOT 6/7 pansharpened). */
  pixelSizeM?: number;
  /** Landscape kind; drawn from the rng when omitted. */
  kind?: SceneKind;
}

/** Defaults of {@link synthesizeScene}. */
export const DEFAULT_SYNTHESIZE_SCENE = { size: 1054, pixelSizeM: 1.5 } as const;

/** Deterministic integer hash of up to four ints and a salt, mapped to [0, 1). */
function hash01(a: number, b: number, c: number, d: number, salt: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ salt;
  h = Math.imul(h ^ (h >>> 15) ^ Math.imul(b, 0xc2b2ae35), 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(c, 0x165667b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16) ^ Math.imul(d, 0x9e3779b1), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Paint one synthetic HR scene: Voronoi fields with crop rows, forest patches with crown texture, an optional
 * meandering river with sandy banks, straight roads, and (for settlements) a rotated street grid with buildings.
 *
 * @param rng - seeded random source (all randomness comes from it).
 * @param options - size, pixel size, kind.
 * @returns the scene (class map + texture).
 * @throws {DatasetError} `INVALID_ARGUMENT` for a size < 16 px or a non-positive pixel size.
 * @example
 * ```ts
 * const scene = synthesizeScene(createRng(7), { size: 264, kind: 'Settlement' });
 * const red = sceneBand(scene, 3); // B04 reflectance
 * ```
 */
export function synthesizeScene(rng: SynthRng, options?: SynthesizeSceneOptions): SyntheticScene {
  checkSynthRng('synthesizeScene', 'rng', rng);
  options = checkOptions('synthesizeScene', options);
  const size = options.size ?? DEFAULT_SYNTHESIZE_SCENE.size;
  const px = options.pixelSizeM ?? DEFAULT_SYNTHESIZE_SCENE.pixelSizeM;
  if (!Number.isInteger(size) || size < 16 || size > MAX_SCENE_SIZE) {
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `scene size ${size} px: use an integer in 16..${MAX_SCENE_SIZE}`,
    );
  }
  if (options.kind !== undefined && !SCENE_KINDS.includes(options.kind))
    throw new DatasetError(
      'INVALID_ARGUMENT',
      `synthesizeScene: kind ${String(options.kind)}: use one of ${SCENE_KINDS.join(', ')}`,
    );
  if (!(px > 0) || px === Number.POSITIVE_INFINITY)
    throw new DatasetError('INVALID_ARGUMENT', `pixelSizeM ${px}: use a positive number`);
  const kind = options.kind ?? SCENE_KINDS[rng.int(SCENE_KINDS.length)];
  const extentM = size * px;
  const salt = rng.int(0x7fffffff);
  // The draw order below is part of the output: the same seed must keep giving the same landscape.
  const fields = drawFields(rng, kind, extentM);
  const noise = drawNoise(rng, kind, size, px);
  const river = drawRiver(rng, kind, extentM);
  const roads = drawRoads(rng, kind === 'Settlement', extentM);
  // settlement parameters are drawn for every kind, used by settlements only
  const streetGrid = drawSettlement(rng, extentM, salt);
  const town = kind === 'Settlement' ? streetGrid : null;
  const { classes, texture, forestPx } = paintScene(size, px, { fields, noise, river, roads, town });
  return {
    kind,
    width: size,
    height: size,
    pixelSizeM: px,
    classes,
    texture,
    features: {
      fields: fields.gridN * fields.gridN,
      roads: roads.length,
      river: river !== null,
      settlement: town !== null,
      forestFraction: forestPx / (size * size),
    },
  };
}

/** Field mix per landscape kind: [cover class, probability]. */
function cropMixOf(kind: SceneKind): [number, number][] {
  if (kind === 'Agriculture' || kind === 'Settlement')
    return [
      [COVER['green-crop'], 0.45],
      [COVER['dry-crop'], 0.25],
      [COVER['bare-soil'], 0.18],
      [COVER.grass, 0.12],
    ];
  if (kind === 'Grassland')
    return [
      [COVER.grass, 0.6],
      [COVER.shrub, 0.25],
      [COVER['bare-soil'], 0.15],
    ];
  if (kind === 'Forest')
    return [
      [COVER.forest, 0.75],
      [COVER.grass, 0.15],
      [COVER.shrub, 0.1],
    ];
  return [
    [COVER['bare-soil'], 0.55],
    [COVER.sand, 0.3],
    [COVER.shrub, 0.15],
  ];
}

interface Fields {
  fieldM: number;
  gridN: number;
  seedX: Float32Array;
  seedY: Float32Array;
  fieldClass: Uint8Array;
  fieldGain: Float32Array;
  rowCos: Float32Array;
  rowSin: Float32Array;
  rowK: Float32Array;
}

/** Fields: jittered-grid Voronoi, one class/brightness/row pattern per field. */
function drawFields(rng: SynthRng, kind: SceneKind, extentM: number): Fields {
  const fieldM = uniform(rng, 70, 160);
  const gridN = Math.ceil(extentM / fieldM) + 2;
  const n = gridN * gridN;
  const f: Fields = {
    fieldM,
    gridN,
    seedX: new Float32Array(n),
    seedY: new Float32Array(n),
    fieldClass: new Uint8Array(n),
    fieldGain: new Float32Array(n),
    rowCos: new Float32Array(n),
    rowSin: new Float32Array(n),
    rowK: new Float32Array(n),
  };
  const cropMix = cropMixOf(kind);
  for (let i = 0; i < n; i++) {
    f.seedX[i] = ((i % gridN) - 1 + rng.next()) * fieldM;
    f.seedY[i] = (Math.floor(i / gridN) - 1 + rng.next()) * fieldM;
    let u = rng.next();
    let cls = cropMix[cropMix.length - 1][0];
    for (const [c, p] of cropMix) {
      if (u < p) {
        cls = c;
        break;
      }
      u -= p;
    }
    f.fieldClass[i] = cls;
    f.fieldGain[i] = 1 + 0.1 * rng.normal();
    const a = rng.next() * Math.PI;
    f.rowCos[i] = Math.cos(a);
    f.rowSin[i] = Math.sin(a);
    f.rowK[i] = (2 * Math.PI) / uniform(rng, 3.5, 9);
  }
  return f;
}

interface Noise {
  forest: Float32Array;
  forestCut: number;
  crowns: Float32Array;
  grain: Float32Array;
}

const FOREST_CUT: Record<SceneKind, number> = {
  Forest: 0.25,
  Agriculture: 0.8,
  Grassland: 0.75,
  Other: 0.97,
  Settlement: 0.85,
};

/** Forest patches and fine texture from fractal noise (cell sizes in metres → pixels). */
function drawNoise(rng: SynthRng, kind: SceneKind, size: number, px: number): Noise {
  const forest = fbm(size, size, rng, { cellPx: Math.max(2, 350 / px), octaves: 4 });
  const crowns = fbm(size, size, rng, { cellPx: Math.max(1, 7 / px), octaves: 2 });
  const grain = fbm(size, size, rng, { cellPx: Math.max(1, 40 / px), octaves: 3 });
  return { forest, forestCut: FOREST_CUT[kind], crowns, grain };
}

interface River {
  cos: number;
  sin: number;
  offset: number;
  amp: number;
  lambda: number;
  phase: number;
  halfW: number;
  centre: number;
}

/** A meandering river along a rotated axis (null when this scene has none; its parameters are drawn anyway). */
function drawRiver(rng: SynthRng, kind: SceneKind, extentM: number): River | null {
  const present = kind === 'Other' ? rng.next() < 0.25 : rng.next() < 0.55;
  const ang = rng.next() * Math.PI;
  const river: River = {
    cos: Math.cos(ang),
    sin: Math.sin(ang),
    offset: uniform(rng, 0.3, 0.7) * extentM,
    amp: uniform(rng, 40, 160),
    lambda: uniform(rng, 500, 1400),
    phase: rng.next() * 2 * Math.PI,
    halfW: uniform(rng, 8, 22),
    centre: extentM / 2,
  };
  return present ? river : null;
}

interface Road {
  nx: number;
  ny: number;
  c: number;
  halfW: number;
}

/** Roads: straight lines through random points. */
function drawRoads(rng: SynthRng, settlement: boolean, extentM: number): Road[] {
  const nRoads = settlement ? 2 + rng.int(2) : rng.int(3);
  const roads: Road[] = [];
  for (let r = 0; r < nRoads; r++) {
    const a = rng.next() * Math.PI;
    const x0 = uniform(rng, 0.15, 0.85) * extentM;
    const y0 = uniform(rng, 0.15, 0.85) * extentM;
    const nx = -Math.sin(a);
    const ny = Math.cos(a);
    roads.push({ nx, ny, c: nx * x0 + ny * y0, halfW: uniform(rng, 3, 6) });
  }
  return roads;
}

interface Settlement {
  cx: number;
  cy: number;
  radius: number;
  cos: number;
  sin: number;
  block: number;
  street: number;
  parcel: number;
  salt: number;
}

/** Settlement: a street grid inside a noisy disc. */
function drawSettlement(rng: SynthRng, extentM: number, salt: number): Settlement {
  const cx = uniform(rng, 0.3, 0.7) * extentM;
  const cy = uniform(rng, 0.3, 0.7) * extentM;
  const radius = uniform(rng, 0.25, 0.45) * extentM;
  const ang = rng.next() * (Math.PI / 2);
  const block = uniform(rng, 55, 95);
  const street = uniform(rng, 6, 10);
  const parcel = uniform(rng, 11, 18);
  return { cx, cy, radius, cos: Math.cos(ang), sin: Math.sin(ang), block, street, parcel, salt };
}

/** Class and texture of one pixel while it is painted. */
interface Pixel {
  cls: number;
  tex: number;
}

/** Nearest field seed among the 3×3 neighbouring grid cells. */
function nearestField(f: Fields, x: number, y: number): number {
  const gx = Math.floor(x / f.fieldM) + 1;
  const gy = Math.floor(y / f.fieldM) + 1;
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  for (let dy = -1; dy <= 1; dy++) {
    const yy = gy + dy;
    if (yy < 0 || yy >= f.gridN) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const xx = gx + dx;
      if (xx < 0 || xx >= f.gridN) continue;
      const k = yy * f.gridN + xx;
      const ddx = x - f.seedX[k];
      const ddy = y - f.seedY[k];
      const d = ddx * ddx + ddy * ddy;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
  }
  return best;
}

/** Streets, roofs (with a ridge line) and gardens inside the settlement disc. */
function paintSettlement(p: Pixel, s: Settlement, x: number, y: number, grain: number, crowns: number): void {
  const dxs = x - s.cx;
  const dys = y - s.cy;
  if (Math.sqrt(dxs * dxs + dys * dys) >= s.radius * (0.8 + 0.4 * grain)) return;
  const { block, street, parcel, salt } = s;
  const u = dxs * s.cos + dys * s.sin + 10000;
  const v = -dxs * s.sin + dys * s.cos + 10000;
  const bu = Math.floor(u / block);
  const bv = Math.floor(v / block);
  const lu = u - bu * block;
  const lv = v - bv * block;
  if (lu < street || lv < street) {
    p.cls = COVER.road;
    p.tex = 0.95 + 0.1 * grain;
    return;
  }
  const pu = Math.floor((lu - street) / parcel);
  const pv = Math.floor((lv - street) / parcel);
  const qu = lu - street - pu * parcel;
  const qv = lv - street - pv * parcel;
  const h = hash01(bu, bv, pu, pv, salt);
  const inset = 1.5 + 2.5 * hash01(bv, bu, pv, pu, salt ^ 0x55);
  const interior =
    lu - street < Math.floor((block - street) / parcel) * parcel &&
    lv - street < Math.floor((block - street) / parcel) * parcel;
  if (interior && h < 0.75 && qu > inset && qu < parcel - inset && qv > inset && qv < parcel - inset) {
    p.cls = h < 0.35 ? COVER['roof-tile'] : h < 0.62 ? COVER['roof-metal'] : COVER['roof-white'];
    p.tex = 0.85 + 0.3 * hash01(pu, pv, bu, bv, salt ^ 0xa5);
    // A ridge line: one roof half darker.
    if ((qu - parcel / 2) * (h < 0.5 ? 1 : 0) + (qv - parcel / 2) * (h < 0.5 ? 0 : 1) > 0) p.tex *= 0.88;
  } else {
    p.cls = h > 0.9 ? COVER.forest : (h * 7) % 1 < 0.5 ? COVER.grass : COVER['bare-soil'];
    p.tex = p.cls === COVER.forest ? 0.7 + 0.6 * crowns : 0.9 + 0.2 * grain;
  }
}

/** Water, sandy banks and riparian forest along the river. */
function paintRiver(p: Pixel, r: River, x: number, y: number, grain: number, crowns: number): void {
  const c0 = r.centre;
  const u = (x - c0) * r.cos + (y - c0) * r.sin;
  const v = -(x - c0) * r.sin + (y - c0) * r.cos + c0;
  const centre =
    r.offset +
    r.amp * Math.sin((2 * Math.PI * u) / r.lambda + r.phase) +
    0.3 * r.amp * Math.sin((6 * Math.PI * u) / r.lambda);
  const d = Math.abs(v - centre);
  if (d < r.halfW) {
    p.cls = COVER.water;
    p.tex = 0.9 + 0.2 * grain;
  } else if (d < r.halfW + 5) {
    p.cls = COVER.sand;
    p.tex = 0.9 + 0.2 * grain;
  } else if (d < r.halfW + 30 && crowns > 0.45) {
    p.cls = COVER.forest;
    p.tex = 0.7 + 0.6 * crowns;
  }
}

/** Paint every pixel: fields (with crop rows), forest, settlement, river, roads, in that order of precedence. */
function paintScene(
  size: number,
  px: number,
  layers: { fields: Fields; noise: Noise; river: River | null; roads: Road[]; town: Settlement | null },
): { classes: Uint8Array; texture: Float32Array; forestPx: number } {
  const { fields: f, noise, river, roads, town } = layers;
  const classes = new Uint8Array(size * size);
  const texture = new Float32Array(size * size);
  const p: Pixel = { cls: 0, tex: 0 };
  let forestPx = 0;
  for (let r = 0; r < size; r++) {
    const y = (r + 0.5) * px;
    for (let c = 0; c < size; c++) {
      const x = (c + 0.5) * px;
      const i = r * size + c;
      const grain = noise.grain[i];
      const crowns = noise.crowns[i];
      const best = nearestField(f, x, y);
      p.cls = f.fieldClass[best];
      p.tex = f.fieldGain[best] * (0.94 + 0.12 * grain);
      if (p.cls === COVER['green-crop'] || p.cls === COVER['dry-crop']) {
        p.tex *= 1 + 0.08 * Math.sin((x * f.rowCos[best] + y * f.rowSin[best]) * f.rowK[best]);
      }
      if (noise.forest[i] > noise.forestCut || p.cls === COVER.forest) {
        p.cls = COVER.forest;
        p.tex = 0.7 + 0.6 * crowns;
      }
      if (town) paintSettlement(p, town, x, y, grain, crowns);
      if (river) paintRiver(p, river, x, y, grain, crowns);
      for (const road of roads) {
        if (Math.abs(road.nx * x + road.ny * y - road.c) < road.halfW) {
          p.cls = COVER.road;
          p.tex = 0.95 + 0.1 * grain;
        }
      }
      if (p.cls === COVER.forest) forestPx++;
      classes[i] = p.cls;
      texture[i] = p.tex;
    }
  }
  return { classes, texture, forestPx };
}

/**
 * Surface reflectance of one Sentinel-2 L2A band (index into S2_L2A_BANDS) over the scene's HR grid.
 *
 * @param scene - a synthetic scene.
 * @param band - 0..11 in S2_L2A_BANDS order.
 * @returns a Float32Array of `width*height` reflectances.
 * @throws {DatasetError} `INVALID_ARGUMENT` for a band outside 0..11.
 * @example
 * ```ts
 * const nir = sceneBand(scene, 7); // B08
 * ```
 */
export function sceneBand(scene: SyntheticScene, band: number): Float32Array {
  checkScene('sceneBand', 'scene', scene, false);
  if (!Number.isInteger(band) || band < 0 || band >= 12) {
    throw new DatasetError('INVALID_ARGUMENT', `band ${band}: use 0..11 (S2 L2A order B01..B12)`);
  }
  const lut = new Float32Array(COVER_SPECTRA.length);
  for (let c = 0; c < lut.length; c++) lut[c] = COVER_SPECTRA[c][band];
  const out = new Float32Array(scene.classes.length);
  for (let i = 0; i < out.length; i++) out[i] = lut[scene.classes[i]] * scene.texture[i];
  return out;
}

/**
 * The HR "SPOT" bands R, G, B, NIR of the scene as reflectance (B04, B03, B02, B08 of the same spectra).
 *
 * @param scene - a synthetic scene.
 * @returns four Float32Arrays (R, G, B, NIR).
 * @example
 * ```ts
 * const [r, g, b, nir] = sceneRgbn(scene);
 * ```
 */
export function sceneRgbn(scene: SyntheticScene): Float32Array[] {
  checkScene('sceneRgbn', 'scene', scene, false);
  return HR_FROM_S2_BANDS.map((b) => sceneBand(scene, b));
}
