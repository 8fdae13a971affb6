import { StratifyError } from '../errors.js';
import { checkCode } from '../internal/check-arguments.js';

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
 * @throws StratifyError `UNKNOWN_CLASS` for codes outside the legend; `INVALID_ARGUMENT` for one that is not a
 *   number.
 * @example
 * smodLabel(30); // 'Urban: Centre'
 */
export function smodLabel(code: number): string {
  checkCode('smodLabel', code);
  if (Number.isNaN(code)) return 'None';
  const label = Object.hasOwn(SMOD_LABELS, code) ? SMOD_LABELS[code] : undefined;
  if (label === undefined) {
    throw new StratifyError(
      'UNKNOWN_CLASS',
      `SMOD code ${code} is not in the GHSL SMOD legend (10–13, 21–23, 30, 0, −200)`,
    );
  }
  return label;
}
