// Procedural high-resolution scenes: a cover-class map plus a brightness texture, painted in metres so the same
// seed gives the same landscape at any pixel size. Reflectance = class spectrum × texture (see spectra.ts).
import { DatasetError } from '../errors.js';
import { fbm } from './noise.js';
import { type SynthRng, uniform } from './rng.js';
import { COVER, COVER_SPECTRA, HR_FROM_S2_BANDS } from './spectra.js';

/** Landscape kinds; each maps to an IPCC class for the tables and plots. */
export const SCENE_KINDS = ['Agriculture', 'Forest', 'Settlement', 'Grassland', 'Other'] as const;
/** A landscape kind (equal to the IPCC class written to the tables). */
export type SceneKind = (typeof SCENE_KINDS)[number];

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
export function synthesizeScene(rng: SynthRng, options: SynthesizeSceneOptions = {}): SyntheticScene {
  const size = options.size ?? DEFAULT_SYNTHESIZE_SCENE.size;
  const px = options.pixelSizeM ?? DEFAULT_SYNTHESIZE_SCENE.pixelSizeM;
  if (!Number.isInteger(size) || size < 16) {
    throw new DatasetError('INVALID_ARGUMENT', `scene size ${size} px: use an integer ≥ 16`);
  }
  if (!(px > 0)) throw new DatasetError('INVALID_ARGUMENT', `pixelSizeM ${px}: use a positive number`);
  const kind = options.kind ?? SCENE_KINDS[rng.int(SCENE_KINDS.length)];
  const extentM = size * px;
  const salt = rng.int(0x7fffffff);

  // Fields: jittered-grid Voronoi, one class/brightness/row pattern per field.
  const fieldM = uniform(rng, 70, 160);
  const gridN = Math.ceil(extentM / fieldM) + 2;
  const seedX = new Float32Array(gridN * gridN);
  const seedY = new Float32Array(gridN * gridN);
  const fieldClass = new Uint8Array(gridN * gridN);
  const fieldGain = new Float32Array(gridN * gridN);
  const rowCos = new Float32Array(gridN * gridN);
  const rowSin = new Float32Array(gridN * gridN);
  const rowK = new Float32Array(gridN * gridN);
  const cropMix: [number, number][] =
    kind === 'Agriculture' || kind === 'Settlement'
      ? [
          [COVER['green-crop'], 0.45],
          [COVER['dry-crop'], 0.25],
          [COVER['bare-soil'], 0.18],
          [COVER.grass, 0.12],
        ]
      : kind === 'Grassland'
        ? [
            [COVER.grass, 0.6],
            [COVER.shrub, 0.25],
            [COVER['bare-soil'], 0.15],
          ]
        : kind === 'Forest'
          ? [
              [COVER.forest, 0.75],
              [COVER.grass, 0.15],
              [COVER.shrub, 0.1],
            ]
          : [
              [COVER['bare-soil'], 0.55],
              [COVER.sand, 0.3],
              [COVER.shrub, 0.15],
            ];
  for (let i = 0; i < gridN * gridN; i++) {
    seedX[i] = ((i % gridN) - 1 + rng.next()) * fieldM;
    seedY[i] = (Math.floor(i / gridN) - 1 + rng.next()) * fieldM;
    let u = rng.next();
    let cls = cropMix[cropMix.length - 1][0];
    for (const [c, p] of cropMix) {
      if (u < p) {
        cls = c;
        break;
      }
      u -= p;
    }
    fieldClass[i] = cls;
    fieldGain[i] = 1 + 0.1 * rng.normal();
    const a = rng.next() * Math.PI;
    rowCos[i] = Math.cos(a);
    rowSin[i] = Math.sin(a);
    rowK[i] = (2 * Math.PI) / uniform(rng, 3.5, 9);
  }

  // Forest patches and fine texture from fractal noise (cell sizes in metres → pixels).
  const forestNoise = fbm(size, size, rng, { cellPx: Math.max(2, 350 / px), octaves: 4 });
  const forestCut =
    kind === 'Forest'
      ? 0.25
      : kind === 'Agriculture'
        ? 0.8
        : kind === 'Grassland'
          ? 0.75
          : kind === 'Other'
            ? 0.97
            : 0.85;
  const crowns = fbm(size, size, rng, { cellPx: Math.max(1, 7 / px), octaves: 2 });
  const grain = fbm(size, size, rng, { cellPx: Math.max(1, 40 / px), octaves: 3 });

  // River along a rotated axis.
  const river = kind === 'Other' ? rng.next() < 0.25 : rng.next() < 0.55;
  const rAng = rng.next() * Math.PI;
  const rCos = Math.cos(rAng);
  const rSin = Math.sin(rAng);
  const rOff = uniform(rng, 0.3, 0.7) * extentM;
  const rAmp = uniform(rng, 40, 160);
  const rLambda = uniform(rng, 500, 1400);
  const rPhase = rng.next() * 2 * Math.PI;
  const rHalfW = uniform(rng, 8, 22);
  const cx0 = extentM / 2;

  // Roads: straight lines through random points.
  const settlement = kind === 'Settlement';
  const nRoads = settlement ? 2 + rng.int(2) : rng.int(3);
  const roads: { nx: number; ny: number; c: number; halfW: number }[] = [];
  for (let r = 0; r < nRoads; r++) {
    const a = rng.next() * Math.PI;
    const x0 = uniform(rng, 0.15, 0.85) * extentM;
    const y0 = uniform(rng, 0.15, 0.85) * extentM;
    const nx = -Math.sin(a);
    const ny = Math.cos(a);
    roads.push({ nx, ny, c: nx * x0 + ny * y0, halfW: uniform(rng, 3, 6) });
  }

  // Settlement: a street grid inside a noisy disc.
  const sCx = uniform(rng, 0.3, 0.7) * extentM;
  const sCy = uniform(rng, 0.3, 0.7) * extentM;
  const sR = uniform(rng, 0.25, 0.45) * extentM;
  const sAng = rng.next() * (Math.PI / 2);
  const sCos = Math.cos(sAng);
  const sSin = Math.sin(sAng);
  const block = uniform(rng, 55, 95);
  const street = uniform(rng, 6, 10);
  const parcel = uniform(rng, 11, 18);

  const n = size * size;
  const classes = new Uint8Array(n);
  const texture = new Float32Array(n);
  let forestPx = 0;
  for (let r = 0; r < size; r++) {
    const y = (r + 0.5) * px;
    for (let c = 0; c < size; c++) {
      const x = (c + 0.5) * px;
      const i = r * size + c;
      // Nearest field seed among the 3×3 neighbouring grid cells.
      const gx = Math.floor(x / fieldM) + 1;
      const gy = Math.floor(y / fieldM) + 1;
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = gy + dy;
        if (yy < 0 || yy >= gridN) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = gx + dx;
          if (xx < 0 || xx >= gridN) continue;
          const k = yy * gridN + xx;
          const ddx = x - seedX[k];
          const ddy = y - seedY[k];
          const d = ddx * ddx + ddy * ddy;
          if (d < bestD) {
            bestD = d;
            best = k;
          }
        }
      }
      let cls = fieldClass[best];
      let tex = fieldGain[best] * (0.94 + 0.12 * grain[i]);
      if (cls === COVER['green-crop'] || cls === COVER['dry-crop']) {
        tex *= 1 + 0.08 * Math.sin((x * rowCos[best] + y * rowSin[best]) * rowK[best]);
      }
      if (forestNoise[i] > forestCut || cls === COVER.forest) {
        cls = COVER.forest;
        tex = 0.7 + 0.6 * crowns[i];
      }
      if (settlement) {
        const dxs = x - sCx;
        const dys = y - sCy;
        if (Math.sqrt(dxs * dxs + dys * dys) < sR * (0.8 + 0.4 * grain[i])) {
          const u = dxs * sCos + dys * sSin + 10000;
          const v = -dxs * sSin + dys * sCos + 10000;
          const bu = Math.floor(u / block);
          const bv = Math.floor(v / block);
          const lu = u - bu * block;
          const lv = v - bv * block;
          if (lu < street || lv < street) {
            cls = COVER.road;
            tex = 0.95 + 0.1 * grain[i];
          } else {
            const pu = Math.floor((lu - street) / parcel);
            const pv = Math.floor((lv - street) / parcel);
            const qu = lu - street - pu * parcel;
            const qv = lv - street - pv * parcel;
            const h = hash01(bu, bv, pu, pv, salt);
            const inset = 1.5 + 2.5 * hash01(bv, bu, pv, pu, salt ^ 0x55);
            const interior =
              lu - street < Math.floor((block - street) / parcel) * parcel &&
              lv - street < Math.floor((block - street) / parcel) * parcel;
            if (
              interior &&
              h < 0.75 &&
              qu > inset &&
              qu < parcel - inset &&
              qv > inset &&
              qv < parcel - inset
            ) {
              cls = h < 0.35 ? COVER['roof-tile'] : h < 0.62 ? COVER['roof-metal'] : COVER['roof-white'];
              tex = 0.85 + 0.3 * hash01(pu, pv, bu, bv, salt ^ 0xa5);
              // A ridge line: one roof half darker.
              if ((qu - parcel / 2) * (h < 0.5 ? 1 : 0) + (qv - parcel / 2) * (h < 0.5 ? 0 : 1) > 0)
                tex *= 0.88;
            } else {
              cls = h > 0.9 ? COVER.forest : (h * 7) % 1 < 0.5 ? COVER.grass : COVER['bare-soil'];
              tex = cls === COVER.forest ? 0.7 + 0.6 * crowns[i] : 0.9 + 0.2 * grain[i];
            }
          }
        }
      }
      if (river) {
        const u = (x - cx0) * rCos + (y - cx0) * rSin;
        const v = -(x - cx0) * rSin + (y - cx0) * rCos + cx0;
        const centre =
          rOff +
          rAmp * Math.sin((2 * Math.PI * u) / rLambda + rPhase) +
          0.3 * rAmp * Math.sin((6 * Math.PI * u) / rLambda);
        const d = Math.abs(v - centre);
        if (d < rHalfW) {
          cls = COVER.water;
          tex = 0.9 + 0.2 * grain[i];
        } else if (d < rHalfW + 5) {
          cls = COVER.sand;
          tex = 0.9 + 0.2 * grain[i];
        } else if (d < rHalfW + 30 && crowns[i] > 0.45) {
          cls = COVER.forest;
          tex = 0.7 + 0.6 * crowns[i];
        }
      }
      for (const road of roads) {
        if (Math.abs(road.nx * x + road.ny * y - road.c) < road.halfW) {
          cls = COVER.road;
          tex = 0.95 + 0.1 * grain[i];
        }
      }
      if (cls === COVER.forest) forestPx++;
      classes[i] = cls;
      texture[i] = tex;
    }
  }
  return {
    kind,
    width: size,
    height: size,
    pixelSizeM: px,
    classes,
    texture,
    features: { fields: gridN * gridN, roads: nRoads, river, settlement, forestFraction: forestPx / n },
  };
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
  return HR_FROM_S2_BANDS.map((b) => sceneBand(scene, b));
}
