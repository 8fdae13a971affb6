import { StratifyError } from '../errors.js';
import type { IpccClass } from './lccs.js';

/** ESA WorldCover 10 m (2020 v100 / 2021 v200) class code → label. */
export const WORLDCOVER_LABELS: Readonly<Record<number, string>> = Object.freeze({
  0: 'No data',
  10: 'Tree cover',
  20: 'Shrubland',
  30: 'Grassland',
  40: 'Cropland',
  50: 'Built-up',
  60: 'Bare / sparse vegetation',
  70: 'Snow and ice',
  80: 'Permanent water bodies',
  90: 'Herbaceous wetland',
  95: 'Mangroves',
  100: 'Moss and lichen',
});

/**
 * WorldCover code → IPCC label, chosen to agree with the LCCS → IPCC table for the equivalent LCCS classes:
 * tree cover (LCCS 50–90) → Forest; shrubland (120) → Other; grassland (130) → Grassland; cropland (10–40) →
 * Agriculture; built-up (190) → Settlement; bare / sparse (150–153, 200–202) → Other; snow and ice (220) →
 * None; permanent water (210) → Water; herbaceous wetland (180) → Wetland; mangroves (170, flooded saline
 * tree cover) → Forest; moss and lichen (140) → Other; no data (0) → None.
 */
export const WORLDCOVER_TO_IPCC: Readonly<Record<number, IpccClass>> = Object.freeze({
  0: 'None',
  10: 'Forest',
  20: 'Other',
  30: 'Grassland',
  40: 'Agriculture',
  50: 'Settlement',
  60: 'Other',
  70: 'None',
  80: 'Water',
  90: 'Wetland',
  95: 'Forest',
  100: 'Other',
});

/**
 * IPCC label of an ESA WorldCover code.
 * @param code WorldCover code (10, 20, …, 100).
 * @returns the IPCC label.
 * @throws StratifyError `UNKNOWN_CLASS` for other codes.
 * @example
 * ipccForWorldCover(50); // 'Settlement'
 */
export function ipccForWorldCover(code: number): IpccClass {
  const label = WORLDCOVER_TO_IPCC[code];
  if (label === undefined) {
    throw new StratifyError(
      'UNKNOWN_CLASS',
      `WorldCover code ${code} is not in the legend (0, 10, 20, …, 90, 95, 100)`,
    );
  }
  return label;
}
