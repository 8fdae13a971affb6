import { StratifyError } from '../errors.js';

/**
 * GHSL SMOD (settlement model, R2019A) code → label, exactly upstream's `SMOD_classes`;
 * −200 is the raster's NoData ("Unknown"), 0 / NaN are "None".
 */
export const SMOD_LABELS: Readonly<Record<number, string>> = Object.freeze({
  10: 'Water',
  11: 'Rural: Very Low Dens',
  12: 'Rural: Low Dens',
  13: 'Rural: cluster',
  21: 'Urban: Suburban',
  22: 'Urban: Semi-dense',
  23: 'Urban: Dense',
  30: 'Urban: Centre',
  0: 'None',
  [-200]: 'Unknown',
});

/**
 * Label of a SMOD code (NaN → "None", as upstream).
 * @param code SMOD code (e.g. 23).
 * @returns the label (e.g. "Urban: Dense").
 * @throws StratifyError `UNKNOWN_CLASS` for codes outside the legend.
 * @example
 * smodLabel(30); // 'Urban: Centre'
 */
export function smodLabel(code: number): string {
  if (Number.isNaN(code)) return 'None';
  const label = SMOD_LABELS[code];
  if (label === undefined) {
    throw new StratifyError(
      'UNKNOWN_CLASS',
      `SMOD code ${code} is not in the GHSL SMOD legend (10–13, 21–23, 30, 0, −200)`,
    );
  }
  return label;
}
