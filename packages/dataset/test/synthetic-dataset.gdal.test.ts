import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, type SyntheticDatasetSummary } from '../src/node.js';
import { tempDir } from './support/fixtures.js';
import { requireTool } from './support/require-tool.js';

const hasGdal = (() => {
  try {
    execFileSync('gdalinfo', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

describe('generateSyntheticDataset', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let summary: SyntheticDatasetSummary;
  const opts = { aois: 3, revisits: 3, hrSize: 120, seed: 7 } as const;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    summary = await generateSyntheticDataset(join(dir, 'a'), opts);
  });
  afterAll(() => cleanup());

  it('writes the release layout, labelled synthetic', () => {
    const root = join(dir, 'a');
    expect(summary.lrSize).toBe(18); // round(120 · 1.5 / 10)
    for (const aoi of summary.aois) {
      for (const s of ['_ps', '_rgbn', '_pan'])
        expect(existsSync(join(root, 'hr_dataset', aoi.name, `${aoi.name}${s}.tiff`))).toBe(true);
      const l2a = readdirSync(join(root, 'lr_dataset', aoi.name, 'L2A')).sort();
      expect(l2a).toEqual(
        [1, 2, 3]
          .flatMap((n) => [
            `${aoi.name}-${n}-CLM.tiff`,
            `${aoi.name}-${n}-L2A_data.tiff`,
            `${aoi.name}-${n}.metadata`,
          ])
          .sort(),
      );
      const meta = JSON.parse(
        readFileSync(join(root, 'lr_dataset', aoi.name, 'L2A', `${aoi.name}-1.metadata`), 'utf8'),
      );
      expect(meta.synthetic).toBe(true);
      expect(meta).toHaveProperty('cloud_cover');
      expect(meta.shift_px).toHaveLength(2);
    }
    expect(readFileSync(join(root, 'SYNTHETIC.md'), 'utf8')).toMatch(/SYNTHETIC DATA/);
    const split = readFileSync(join(root, 'stratified_train_val_test_split.csv'), 'utf8').trim().split('\n');
    expect(split[0]).toBe(',tile,IPCC Class,SMOD,source,joint_class,split');
    expect(split).toHaveLength(4);
    const meta = readFileSync(join(root, 'metadata.csv'), 'utf8').trim().split('\n');
    expect(meta[0].startsWith('tile,n,lowres_date,highres_date,bounds')).toBe(true);
    expect(meta).toHaveLength(1 + 3 * 3);
  });

  it('ranks revisits like the release (rank |Δdays| + rank cloud, n = 1 best)', () => {
    for (const aoi of summary.aois) {
      const rv = aoi.revisits;
      expect(rv.map((r) => r.n)).toEqual([1, 2, 3]);
      const rank = (key: (r: (typeof rv)[number]) => number) =>
        rv.map(
          (r) =>
            rv.filter((o) => key(o) < key(r)).length + (rv.filter((o) => key(o) === key(r)).length - 1) / 2,
        );
      const byDelta = rank((r) => Math.abs(r.deltaDays));
      const byCloud = rank((r) => r.cloudFraction);
      const total = rv.map((_, i) => byDelta[i] + byCloud[i]);
      for (let i = 1; i < total.length; i++) expect(total[i]).toBeGreaterThanOrEqual(total[i - 1]);
    }
  });

  it('is byte-for-byte deterministic', async () => {
    const again = await generateSyntheticDataset(join(dir, 'b'), opts);
    expect(again.aois.map((a) => a.name)).toEqual(summary.aois.map((a) => a.name));
    const name = summary.aois[1].name;
    for (const rel of [
      `hr_dataset/${name}/${name}_ps.tiff`,
      `lr_dataset/${name}/L2A/${name}-2-L2A_data.tiff`,
      `lr_dataset/${name}/L2A/${name}-2-CLM.tiff`,
      'metadata.csv',
    ]) {
      expect(readFileSync(join(dir, 'b', rel)).equals(readFileSync(join(dir, 'a', rel))), rel).toBe(true);
    }
  });

  it('writes L1C top-of-atmosphere revisits on request (13 bands, brighter blue, cirrus on clouds)', async () => {
    const root = join(dir, 'l1c');
    const s = await generateSyntheticDataset(root, { ...opts, aois: 1, l1c: true });
    const name = s.aois[0].name;
    const { readGeoTiffFile } = await import('@worldstrat/raster-io/node');
    const toa = await readGeoTiffFile(join(root, 'lr_dataset', name, 'L1C', `${name}-1-L1C_data.tiff`));
    const boa = await readGeoTiffFile(join(root, 'lr_dataset', name, 'L2A', `${name}-1-L2A_data.tiff`));
    expect(toa.bands).toHaveLength(13);
    expect(toa.bands[0][0]).toBeCloseTo(0.85 * boa.bands[0][0] + 0.09, 5);
    expect(existsSync(join(root, 'lr_dataset', name, 'L1C', `${name}-1.metadata`))).toBe(true);
  });

  it('refuses a non-empty folder without overwrite', async () => {
    // a usage error (nothing was written); the API hint names the API option
    await expect(generateSyntheticDataset(join(dir, 'a'), opts)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(
        /^.+ is not empty \(.*\); choose an empty folder or pass overwrite: true$/,
      ),
    });
    await expect(generateSyntheticDataset(join(dir, 'c'), { ...opts, hrSize: 20 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('stops cleanly when aborted (no half-written file)', async () => {
    const ac = new AbortController();
    const root = join(dir, 'd');
    const p = generateSyntheticDataset(root, {
      ...opts,
      aois: 5,
      signal: ac.signal,
      onProgress: ({ done }) => {
        if (done === 1) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    const all = readdirSync(root, { recursive: true }) as string[];
    expect(all.some((f) => /\.tmp|~$/.test(f))).toBe(false);
    expect(existsSync(join(root, 'metadata.csv'))).toBe(false);
  });

  it.runIf(requireTool('GDAL (gdalinfo)', hasGdal))(
    'files read back with GDAL as the stated types (gdalinfo)',
    () => {
      const name = summary.aois[0].name;
      const info = (rel: string) =>
        JSON.parse(execFileSync('gdalinfo', ['-json', '-stats', join(dir, 'a', rel)], { encoding: 'utf8' }));
      const ps = info(`hr_dataset/${name}/${name}_ps.tiff`);
      expect(ps.bands).toHaveLength(4);
      expect(ps.bands[0].type).toBe('UInt16');
      expect(ps.size).toEqual([120, 120]);
      expect(ps.bands[0].maximum).toBeLessThanOrEqual(4095);
      const lr = info(`lr_dataset/${name}/L2A/${name}-1-L2A_data.tiff`);
      expect(lr.bands).toHaveLength(12);
      expect(lr.bands[0].type).toBe('Float32');
      expect(lr.size).toEqual([18, 18]);
      expect(lr.coordinateSystem.wkt).toMatch(/WGS 84/);
      const b04 = lr.bands[3];
      expect(b04.mean).toBeGreaterThan(0.01);
      expect(b04.mean).toBeLessThan(0.6);
      const clm = info(`lr_dataset/${name}/L2A/${name}-1-CLM.tiff`);
      expect(clm.bands[0].type).toBe('Byte');
    },
  );
});
