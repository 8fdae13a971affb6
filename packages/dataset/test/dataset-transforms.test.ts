import { join } from 'node:path';
import { readSafetensorsFile } from '@worldstrat/raster-io/node';
import { describe, expect, it } from 'vitest';
import {
  bankersRound,
  chipWindows,
  cropPlanes,
  normalizeLr,
  rotateFlip,
  transformHr,
  transformLr,
  transformLrc,
} from '../src/index.js';
import { maxAbsDiff, SHARED_DIR } from './support/fixtures.js';

describe('bankersRound', () => {
  it('rounds half to even like Python round()', () => {
    expect([0.5, 1.5, 2.5, 312.5, 156.25, -0.5, -1.5].map(bankersRound)).toEqual([0, 2, 2, 312, 156, 0, -2]);
  });
});

describe('chipWindows', () => {
  it('gives the upstream 3×3 grid: LR 0/50/100 ↔ HR 0/156/312, size 156, column-major order', () => {
    const w = chipWindows();
    expect(w).toHaveLength(9);
    expect(new Set(w.map((c) => c.hr.top))).toEqual(new Set([0, 156, 312]));
    expect(w.every((c) => c.hr.size === 156 && c.lr.size === 50)).toBe(true);
    expect(w[7]).toEqual({
      index: 7,
      lr: { top: 50, left: 100, size: 50 },
      hr: { top: 156, left: 312, size: 156 },
    });
    expect(w[1].lr).toEqual({ top: 50, left: 0, size: 50 });
  });

  it('refuses HR windows that would run past the HR image (offset and size both rounded up)', () => {
    // Before: 20 → 23 px with chip 10 gave HR windows at 12 of size 12 (24 > 23); 10 → 3 px, chip 1, size 0.
    for (const o of [
      { lrSize: 20, hrSize: 23, chip: 10 },
      { lrSize: 10, hrSize: 3, chip: 5 },
      { lrSize: 10, hrSize: 3, chip: 1 },
    ])
      expect(() => chipWindows(o)).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(/^chipWindows: /),
        }),
      );
    expect(() => chipWindows({ lrSize: 20, hrSize: 23, chip: 10 })).toThrow(
      /HR windows of 12 px, the last at 12: outside an HR side of 23$/,
    );
    // Sizes whose rounded windows fit keep working: 16 → 50, chip 5 gives HR 16 px at 0/16/31 (31 + 16 ≤ 50).
    const w = chipWindows({ lrSize: 16, hrSize: 50, chip: 5 });
    expect(w.map((c) => c.hr.top).slice(0, 3)).toEqual([0, 16, 31]);
    expect(w.every((c) => c.hr.size === 16 && c.hr.top + c.hr.size <= 50)).toBe(true);
  });

  it('crops planes', () => {
    const data = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => i);
    expect(Array.from(cropPlanes(data, 2, 4, 4, 1, 2, 2))).toEqual([6, 7, 10, 11, 22, 23, 26, 27]);
    expect(() => cropPlanes(data, 2, 4, 4, 3, 3, 2)).toThrow(/outside/);
  });
});

describe('rotateFlip (torch.rot90 dims (-2,-1) + vflip)', () => {
  const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
  it('matches torch.rot90 for k = 1, 2, 3', () => {
    expect(Array.from(rotateFlip(Float32Array.of(1, 2, 3, 4), 1, 2, { k: 1, flip: false }))).toEqual([
      2, 4, 1, 3,
    ]);
    expect(Array.from(rotateFlip(x, 1, 3, { k: 1, flip: false }))).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    expect(Array.from(rotateFlip(x, 1, 3, { k: 2, flip: false }))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(Array.from(rotateFlip(x, 1, 3, { k: 3, flip: false }))).toEqual([7, 4, 1, 8, 5, 2, 9, 6, 3]);
  });
  it('flips rows after rotating', () => {
    expect(Array.from(rotateFlip(x, 1, 3, { k: 0, flip: true }))).toEqual([7, 8, 9, 4, 5, 6, 1, 2, 3]);
    expect(Array.from(rotateFlip(x, 1, 3, { k: 1, flip: true }))).toEqual([1, 4, 7, 2, 5, 8, 3, 6, 9]);
  });
});

describe('LR/HR transforms vs upstream PyTorch (fixtures/parity/resize.safetensors)', async () => {
  const { tensors } = await readSafetensorsFile(join(SHARED_DIR, 'fixtures/parity/resize.safetensors'));
  const t = (name: string) => tensors[name].data as Float32Array;

  it('normalises with the float32 JIF constants', () => {
    const z = normalizeLr(t('lr_158_raw'), [1, 12, 158, 158]);
    expect(maxAbsDiff(z, t('lr_158_normalized'))).toBeLessThan(1e-6);
  });

  it('LR: normalise + AA bilinear 158→160 within 2e-5', () => {
    const lr = transformLr(t('lr_158_raw'), [1, 12, 158, 158]);
    expect(lr.length).toBe(12 * 160 * 160);
    expect(maxAbsDiff(lr, t('lr_160'))).toBeLessThan(2e-5);
  });

  it('HR: DN/10000 + AA bilinear 1054→500 + clamp within 2e-5', () => {
    const dn = tensors.hr_1054_dn.data as Int32Array;
    const hr = transformHr(dn, [1, 1054, 1054]);
    const ref = t('hr_500');
    expect(maxAbsDiff(hr, ref)).toBeLessThan(2e-5);
    expect(hr.reduce((n, v) => n + (v === 1 ? 1 : 0), 0)).toBeGreaterThan(100); // the clamp acted
  });

  it('LRC: nearest resize keeps mask values', () => {
    const m = Float32Array.from({ length: 158 * 158 }, (_, i) => (i % 7 === 0 ? 1 : 0));
    const out = transformLrc(m, [1, 1, 158, 158]);
    expect(out.length).toBe(160 * 160);
    expect(out.every((v) => v === 0 || v === 1)).toBe(true);
    expect(() => transformLrc(m, [1, 1, 150, 158])).toThrow(/do not fill/);
  });
});
