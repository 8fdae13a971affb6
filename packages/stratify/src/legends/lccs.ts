import { StratifyError } from '../errors.js';
import { checkCode } from '../internal/check-arguments.js';

/**
 * ESA CCI / C3S land cover (LCCS) class id → label, exactly upstream's `LCCS_classes` (including
 * the U+2010 hyphens in "post‐flooding" and "15‐40%"), with upstream's missing class 151
 * ("Sparse tree (<15%)") added.
 */
export const LCCS_LABELS: Readonly<Record<number, string>> = Object.freeze({
  0: 'No Data',
  10: 'Cropland, rainfed',
  11: 'Herbaceous cover',
  12: 'Tree or shrub cover',
  20: 'Cropland, irrigated or post\u2010flooding',
  30: 'Mosaic cropland (>50%) / natural vegetation (tree, shrub, herbaceous cover) (<50%)',
  40: 'Mosaic natural vegetation (tree, shrub, herbaceous cover) (>50%) / cropland (<50%)',
  50: 'Tree cover, broadleaved, evergreen, closed to open (>15%)',
  60: 'Tree cover, broadleaved, deciduous, closed to open (>15%)',
  61: 'Tree cover, broadleaved, deciduous, closed (>40%)',
  62: 'Tree cover, broadleaved, deciduous, open (15\u201040%)',
  70: 'Tree cover, needleleaved, evergreen, closed to open (>15%)',
  71: 'Tree cover, needleleaved, evergreen, closed (>40%)',
  72: 'Tree cover, needleleaved, evergreen, open (15\u201040%)',
  80: 'Tree cover, needleleaved, deciduous, closed to open (>15%)',
  81: 'Tree cover, needleleaved, deciduous, closed (>40%)',
  82: 'Tree cover, needleleaved, deciduous, open (15\u201040%)',
  90: 'Tree cover, mixed leaf type (broadleaved and needleleaved)',
  100: 'Mosaic tree and shrub (>50%) / herbaceous cover (<50%)',
  110: 'Mosaic herbaceous cover (>50%) / tree and shrub (<50%)',
  120: 'Shrubland',
  121: 'Evergreen shrubland',
  122: 'Deciduous shrubland',
  130: 'Grassland',
  140: 'Lichens and mosses',
  150: 'Sparse vegetation (tree, shrub, herbaceous cover) (<15%)',
  151: 'Sparse tree (<15%)',
  152: 'Sparse shrub (<15%)',
  153: 'Sparse herbaceous cover (<15%)',
  160: 'Tree cover, flooded, fresh or brakish water',
  170: 'Tree cover, flooded, saline water',
  180: 'Shrub or herbaceous cover, flooded, fresh/saline/brakish water',
  190: 'Urban areas',
  200: 'Bare areas',
  201: 'Consolidated bare areas',
  202: 'Unconsolidated bare areas',
  210: 'Water bodies',
  220: 'Permanent snow and ice',
});

/** The 8 IPCC labels upstream uses ("None" is a label, for no data and permanent snow/ice). */
export const IPCC_CLASSES = [
  'Agriculture',
  'Forest',
  'Grassland',
  'Wetland',
  'Settlement',
  'Other',
  'Water',
  'None',
] as const;
/** One of {@link IPCC_CLASSES}. */
export type IpccClass = (typeof IPCC_CLASSES)[number];

const IPCC_GROUPS: Record<IpccClass, number[]> = {
  Agriculture: [10, 11, 12, 20, 30, 40],
  Forest: [50, 60, 61, 62, 70, 71, 72, 80, 81, 82, 90, 100, 160, 170],
  Grassland: [110, 130],
  Wetland: [180],
  Settlement: [190],
  Other: [120, 121, 122, 140, 150, 151, 152, 153, 200, 201, 202],
  Water: [210],
  None: [0, 220],
};

/** LCCS class id → IPCC label, exactly upstream's `LCCS_TO_IPCC` (220 permanent snow and ice → "None"). */
export const LCCS_TO_IPCC: Readonly<Record<number, IpccClass>> = Object.freeze(
  Object.fromEntries(
    (Object.entries(IPCC_GROUPS) as [IpccClass, number[]][]).flatMap(([label, codes]) =>
      codes.map((c) => [c, label]),
    ),
  ),
);

/**
 * Label of an LCCS class id.
 * @param code LCCS class id (e.g. 190).
 * @returns the label (e.g. "Urban areas").
 * @throws StratifyError `UNKNOWN_CLASS` for a code that is not in the legend; `INVALID_ARGUMENT` for one that
 *   is not a number.
 * @example
 * lccsLabel(151); // 'Sparse tree (<15%)' (missing upstream)
 */
export function lccsLabel(code: number): string {
  checkCode('lccsLabel', code);
  const label = Object.hasOwn(LCCS_LABELS, code) ? LCCS_LABELS[code] : undefined;
  if (label === undefined) {
    throw new StratifyError(
      'UNKNOWN_CLASS',
      `LCCS class ${code} is not in the ESA CCI legend (0, 10, 11, …, 220); is this an LCCS raster?`,
    );
  }
  return label;
}

/**
 * IPCC label of an LCCS class id.
 * @param code LCCS class id.
 * @returns one of {@link IPCC_CLASSES}.
 * @throws StratifyError `UNKNOWN_CLASS` for a code that is not in the legend.
 * @example
 * ipccForLccs(40); // 'Agriculture'
 */
export function ipccForLccs(code: number): IpccClass {
  const label = LCCS_TO_IPCC[code];
  if (label === undefined) {
    throw new StratifyError(
      'UNKNOWN_CLASS',
      `LCCS class ${code} has no IPCC mapping; known codes: ${Object.keys(LCCS_TO_IPCC).join(', ')}`,
    );
  }
  return label;
}
