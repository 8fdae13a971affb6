// The release layout module: paths, table schemas and the joint-class formula (the one definition of each).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lrRevisitRelPaths } from '../src/layout.js';
import {
  DatasetError,
  hrImagePath,
  hrImageRelPath,
  jointClass,
  lrLevelDir,
  lrRevisitFiles,
  lrRevisitPath,
  METADATA_COLUMNS,
  writeMetadataCsv,
  writeSplitCsv,
} from '../src/node.js';
import { tempDir } from './support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-layout-'));
});
afterAll(() => cleanup());

describe('release layout', () => {
  it('names the HR and LR files of the release', () => {
    expect(hrImageRelPath('Landcover-1')).toBe('hr_dataset/Landcover-1/Landcover-1_ps.tiff');
    expect(hrImagePath('ds', 'A', 'rgbn')).toBe(join('ds', 'hr_dataset', 'A', 'A_rgbn.tiff'));
    expect(lrRevisitRelPaths('A', 'L1C', 3).data).toBe('lr_dataset/A/L1C/A-3-L1C_data.tiff');
    expect(lrRevisitPath('ds', 'A', 'L2A', 2)).toBe(
      join('ds', 'lr_dataset', 'A', 'L2A', 'A-2-L2A_data.tiff'),
    );
    expect(lrRevisitFiles('ds', 'A', 'L2A', 2)).toEqual({
      data: join('ds', 'lr_dataset', 'A', 'L2A', 'A-2-L2A_data.tiff'),
      clm: join('ds', 'lr_dataset', 'A', 'L2A', 'A-2-CLM.tiff'),
      metadata: join('ds', 'lr_dataset', 'A', 'L2A', 'A-2.metadata'),
    });
    expect(lrLevelDir('ds', 'A', 'L2A')).toBe(join('ds', 'lr_dataset', 'A', 'L2A'));
  });

  it('refuses AOI names that would leave the dataset folder, with a typed error', () => {
    for (const bad of ['../x', 'a/b', '..', '']) {
      expect(() => hrImagePath('ds', bad)).toThrow(DatasetError);
      expect(() => hrImagePath('ds', bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => lrRevisitPath('ds', 'A', 'L2A', 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('writes the joint class, with None for a missing SMOD', () => {
    expect(jointClass('Landcover', 'Forest', 11)).toBe('Landcover/Forest/11');
    expect(jointClass('UNHCR', 'Settlement', null)).toBe('UNHCR/Settlement/None');
    // the release's 71 rows of snow/ice and LCCS 0 AOIs: upstream's `None` label re-read by pandas as NaN
    for (const ipcc of [null, '', 'None']) expect(jointClass('Landcover', ipcc, 11)).toBe('Landcover/nan/11');
  });

  it('writes both tables atomically with the release headers', async () => {
    const row = Object.fromEntries(METADATA_COLUMNS.map((c, i) => [c, c === 'bounds' ? '[1,2,3,4]' : i]));
    const mPath = await writeMetadataCsv(dir, [row as never]);
    expect(mPath).toBe(join(dir, 'metadata.csv'));
    const m = (await readFile(mPath, 'utf8')).split('\n');
    expect(m[0]).toBe(METADATA_COLUMNS.join(','));
    expect(m[1]).toBe('0,1,2,3,"[1,2,3,4]",5,6,7,8,9,10,11,12,13,14,15');
    const sPath = await writeSplitCsv(
      dir,
      [
        { tile: 'A', ipcc: 'Forest', smod: 11, source: 'Landcover', split: 'train' },
        { tile: 'B', ipcc: 'Settlement', smod: null, source: 'UNHCR', split: 'test' },
      ],
      16,
    );
    expect(await readFile(sPath, 'utf8')).toBe(
      ',tile,IPCC Class,SMOD,source,joint_class,split\n0,A,Forest,11,Landcover,Landcover/Forest/11,train\n16,B,Settlement,,UNHCR,UNHCR/Settlement/None,test\n',
    );
  });
});
