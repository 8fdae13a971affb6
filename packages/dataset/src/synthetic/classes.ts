// Class labels written to the synthetic tables, per landscape kind (the LCCS and SMOD legend strings
// upstream's stratifier writes).
import type { SceneKind } from './scene.js';

/** The LCCS / SMOD codes and labels recorded for each synthetic landscape kind. */
export const SYNTHETIC_CLASS_LABELS: Readonly<
  Record<SceneKind, { lccs: number; lccsLabel: string; smod: number; smodLabel: string }>
> = {
  Agriculture: { lccs: 10, lccsLabel: 'Cropland, rainfed', smod: 11, smodLabel: 'Rural: Very Low Dens' },
  Forest: {
    lccs: 60,
    lccsLabel: 'Tree cover, broadleaved, deciduous, closed to open (>15%)',
    smod: 11,
    smodLabel: 'Rural: Very Low Dens',
  },
  Settlement: { lccs: 190, lccsLabel: 'Urban areas', smod: 23, smodLabel: 'Urban: Dense' },
  Grassland: { lccs: 130, lccsLabel: 'Grassland', smod: 12, smodLabel: 'Rural: Low Dens' },
  Other: { lccs: 200, lccsLabel: 'Bare areas', smod: 11, smodLabel: 'Rural: Very Low Dens' },
};
