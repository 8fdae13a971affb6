import { describe, expect, it } from 'vitest';
import {
  JIF_S2_MEAN,
  JIF_S2_STD,
  S2_BAND_RESOLUTION_M,
  S2_CANONICAL_BANDS,
  S2_L1C_BANDS,
  S2_L2A_BANDS,
} from '../src/index.js';

describe('Sentinel-2 constants', () => {
  it('L2A has the 12 release bands (no B10), L1C all 13, in ESA order', () => {
    expect(S2_L2A_BANDS).toHaveLength(12);
    expect(S2_L1C_BANDS).toHaveLength(13);
    expect(S2_L2A_BANDS).toEqual(S2_L1C_BANDS.filter((b) => b !== 'B10'));
    expect(S2_CANONICAL_BANDS.slice(0, 13)).toEqual(S2_L1C_BANDS);
    expect(S2_L2A_BANDS.indexOf('B8A')).toBe(8);
  });

  it('gives native resolutions: 10 m RGB+NIR, 20 m red edge/SWIR, 60 m aerosol/vapour/cirrus', () => {
    expect(S2_L2A_BANDS.map((b) => S2_BAND_RESOLUTION_M[b])).toEqual([
      60, 10, 10, 10, 20, 20, 20, 10, 20, 60, 20, 20,
    ]);
    expect(S2_BAND_RESOLUTION_M.B10).toBe(60);
  });

  it('holds the JIF normalisation per L2A band', () => {
    expect(JIF_S2_MEAN).toHaveLength(12);
    expect(JIF_S2_STD).toHaveLength(12);
    expect(JIF_S2_MEAN[3]).toBe(0.0198);
    expect(JIF_S2_MEAN[11]).toBe(-0.0559);
    expect(JIF_S2_STD[0]).toBe(0.0892);
    expect(Object.isFrozen(JIF_S2_MEAN) && Object.isFrozen(JIF_S2_STD)).toBe(true);
  });
});
