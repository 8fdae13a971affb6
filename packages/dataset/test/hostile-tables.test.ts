// Hostile dataset tables and sidecars: seeded mutations of the release's split CSV (real upstream rows), of a
// metadata.csv in the release's columns, of an archive's extraction marker and of a layout zip's entry names.
// Every outcome must be a result that keeps the documented invariants or a DatasetError with its code.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonMutations, outcomeOf } from '../../../tests/support/json-mutations.js';
import {
  DatasetError,
  downloadRelease,
  METADATA_COLUMNS,
  METADATA_CSV_NAME,
  openDataset,
  RELEASE_FILES,
  SPLIT_CSV_NAME,
  scanDataset,
  type WorldStratDataset,
} from '../src/node.js';
import { SHARED_DIR, tempDir } from './support/fixtures.js';
import { buildZip } from './support/zip-writer.js';

const REVISITS = 2;
const TILES = 12;

/** The first rows of upstream's split CSV as a JSON document (header + rows of cells). */
function realSplitTable(): { header: string[]; rows: string[][] } {
  const lines = readFileSync(join(SHARED_DIR, 'data', SPLIT_CSV_NAME), 'utf8')
    .trim()
    .split('\n');
  const cells = (line: string) => line.split(',');
  return { header: cells(lines[0]), rows: lines.slice(1, 1 + TILES).map(cells) };
}

/** A metadata.csv document in the release's columns, from upstream's AOI sample. */
function metadataTable(): { header: string[]; rows: (string | number)[][] } {
  const lines = readFileSync(join(SHARED_DIR, 'data', 'aoi-sample.csv'), 'utf8')
    .trim()
    .split('\n');
  const rows = lines.slice(1, 7).flatMap((line) => {
    const [name, , area] = line.split(',');
    const lon = Number(line.split(',').at(-3));
    const lat = Number(line.split(',').at(-2));
    return [1, 2].map((n) => {
      const row: Record<string, string | number> = {
        tile: name,
        n,
        lowres_date: `2019-05-1${n}`,
        highres_date: '2019-05-20',
        bounds: `[${lon - 0.01}, ${lat - 0.01}, ${lon + 0.01}, ${lat + 0.01}]`,
        area: Number(area),
        cloud_cover: 0.02 * n,
        delta: 9 - n,
        lon,
        lat,
        LCCS: 200,
        SMOD: 11,
        'IPCC Class': 'Other',
        'LCCS class': 'Bare areas',
        'SMOD Class': 'Rural: Very Low Dens',
        source: 'Landcover',
      };
      return METADATA_COLUMNS.map((c) => row[c]);
    });
  });
  return { header: [...METADATA_COLUMNS], rows };
}

/** A mutated cell as the text a broken writer would put in the CSV. */
function cellText(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? '';
}

/** One CSV line, quoted like pandas; the row keeps its own length (a CSV writer would pad or cut it). */
function csvLine(cells: readonly string[]): string {
  return cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
}

/** CSV text of a (mutated) table document: a member that is no longer a list becomes one odd cell or row. */
function tableText(doc: unknown): string {
  const d = (doc ?? {}) as { header?: unknown; rows?: unknown };
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  const lines = [list(d.header), ...list(d.rows).map(list)].map((cells) => csvLine(cells.map(cellText)));
  return `${lines.join('\n')}\n`;
}

/** An empty-file skeleton of the layout: the scanner lists names and never reads pixels here. */
async function writeSkeleton(root: string, tiles: readonly string[]): Promise<void> {
  for (const t of tiles) {
    await mkdir(join(root, 'hr_dataset', t), { recursive: true });
    await writeFile(join(root, 'hr_dataset', t, `${t}_ps.tiff`), '');
    await mkdir(join(root, 'lr_dataset', t, 'L2A'), { recursive: true });
    for (let n = 1; n <= REVISITS; n++) {
      await writeFile(join(root, 'lr_dataset', t, 'L2A', `${t}-${n}-L2A_data.tiff`), '');
      await writeFile(join(root, 'lr_dataset', t, 'L2A', `${t}-${n}-CLM.tiff`), '');
    }
  }
}

/** The invariants of an opened dataset: scenes are folders under the root, with R revisits and a known split. */
function expectSaneDataset(ds: WorldStratDataset, root: string, what: string): void {
  for (const s of ds.scenes) {
    expect(typeof s.name, what).toBe('string');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not appear
    expect(s.name, what).not.toMatch(/^\.\.?$|[/\\\u0000-\u001f]/);
    expect(s.hrPath.startsWith(`${root}${sep}hr_dataset${sep}${s.name}${sep}`)).toBe(true);
    expect(s.lrPaths).toHaveLength(REVISITS);
    for (const p of s.lrPaths)
      expect(p.startsWith(`${root}${sep}lr_dataset${sep}${s.name}${sep}`)).toBe(true);
    expect([undefined, 'train', 'val', 'test']).toContain(s.csvSplit);
  }
  for (const p of ds.problems) expect(typeof p.aoi, what).toBe('string');
}

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
const split = realSplitTable();
const tiles = split.rows.map((r) => r[1]);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-hostile-tables-'));
  root = join(dir, 'dataset');
  await writeSkeleton(root, tiles);
});
afterAll(async () => {
  await cleanup();
});

async function openWithSplit(text: string, options: { skipInvalid?: boolean } = {}) {
  await writeFile(join(root, SPLIT_CSV_NAME), text);
  return openDataset(root, { revisits: REVISITS, skipInvalid: true, ...options });
}

describe('split CSV: seeded mutations of upstream rows', () => {
  it('the unmutated rows open as the 12 scenes with their CSV splits', async () => {
    const ds = await openWithSplit(tableText(split));
    expect(ds.scenes.map((s) => s.name).sort()).toEqual([...tiles].sort());
    expect(ds.problems).toEqual([]);
    const parts = ds.split('csv');
    expect(parts.train.length + parts.val.length + parts.test.length).toBe(TILES);
    expect(ds.scenes.find((s) => s.name === 'UNHCR-GRCs035302')?.csvSplit).toBe('train');
  });

  it('300 variants open with sane scenes or fail with a DatasetError code', async () => {
    const seen = new Map<string, number>();
    for (const { doc, what } of jsonMutations(split, 300, 11, [
      '..',
      '../..',
      'a/b',
      'x\\y',
      '.',
      'A\u0000',
    ])) {
      const text = tableText(doc);
      let ds: WorldStratDataset | undefined;
      const outcome = await outcomeOf(
        what,
        async () => {
          ds = await openWithSplit(text);
          ds.split('csv');
        },
        DatasetError,
      );
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      expect(['ok', 'DATASET_LAYOUT'], what).toContain(outcome);
      if (outcome === 'ok' && ds) expectSaneDataset(ds, root, what);
    }
    expect(seen.get('ok')).toBeGreaterThan(50);
    expect(seen.get('DATASET_LAYOUT')).toBeGreaterThan(20);
  });

  it('a tile that leaves its folder is refused, naming the table, the row and the column', async () => {
    const rows = split.rows.map((r) => [...r]);
    rows[2][1] = '../../outside';
    const err = await openWithSplit(tableText({ header: split.header, rows })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('DATASET_LAYOUT');
    expect((err as DatasetError).message).toContain(
      `${join(root, SPLIT_CSV_NAME)}: data row 3, column "tile"`,
    );
    expect((err as DatasetError).message).toContain('"../../outside" is not a folder name');
  });

  it('".." and an empty tile are refused instead of listing the parent or the HR folder', async () => {
    for (const bad of ['..', '', '.']) {
      const rows = split.rows.map((r) => [...r]);
      rows[0][1] = bad;
      const err = await openWithSplit(tableText({ header: split.header, rows })).catch((e: unknown) => e);
      expect((err as DatasetError).code, bad).toBe('DATASET_LAYOUT');
      expect((err as DatasetError).message).toContain('data row 1, column "tile"');
    }
  });

  it('a split other than train, val, test or empty is refused, naming the row (it left the scene out of every split)', async () => {
    for (const bad of ['validation', 'val\n', ' test', 'TRAIN']) {
      const rows = split.rows.map((r) => [...r]);
      (rows[4] as string[])[6] = bad;
      const err = await openWithSplit(tableText({ header: split.header, rows })).catch((e: unknown) => e);
      expect((err as DatasetError).code, bad).toBe('DATASET_LAYOUT');
      expect((err as DatasetError).message).toBe(
        `${join(root, SPLIT_CSV_NAME)}: data row 5, column "split" is ${JSON.stringify(bad)}; expected train, val, test or empty`,
      );
    }
    const rows = split.rows.map((r) => [...r]);
    (rows[4] as string[])[6] = '';
    const ds = await openWithSplit(tableText({ header: split.header, rows }));
    const { train, val, test } = ds.split('csv');
    expect(train.length + val.length + test.length).toBe(TILES - 1);
  });

  it('a split CSV with CRLF lines and an LF last line reads every split (the last read "val\\n")', async () => {
    const text = `${[split.header, ...split.rows].map((r) => r.join(',')).join('\r\n')}\n`;
    const ds = await openWithSplit(text);
    const { train, val, test } = ds.split('csv');
    expect(train.length + val.length + test.length).toBe(TILES);
  });

  it('a short row (no tile cell) is refused instead of becoming a scene named "undefined"', async () => {
    const text = `${split.header.join(',')}\n58480\n${split.rows[1].join(',')}\n`;
    const err = await openWithSplit(text).catch((e: unknown) => e);
    expect((err as DatasetError).code).toBe('DATASET_LAYOUT');
    expect((err as DatasetError).message).toBe(
      `${join(root, SPLIT_CSV_NAME)}: data row 1 has 1 cells, the header 7`,
    );
  });

  it('a row with more cells than the header is refused', async () => {
    const text = `${split.header.join(',')}\n${split.rows[0].join(',')},extra,more\n`;
    const err = await openWithSplit(text).catch((e: unknown) => e);
    expect((err as DatasetError).code).toBe('DATASET_LAYOUT');
    expect((err as DatasetError).message).toBe(
      `${join(root, SPLIT_CSV_NAME)}: data row 1 has 9 cells, the header 7`,
    );
  });

  it('an explicit AOI list with a path in it is an INVALID_ARGUMENT naming its index', async () => {
    const err = await scanDataset(root, { aois: [tiles[0], 'hr_dataset/../..'], revisits: REVISITS }).catch(
      (e: unknown) => e,
    );
    expect((err as DatasetError).code).toBe('INVALID_ARGUMENT');
    expect((err as DatasetError).message).toContain('aois[1]: tile "hr_dataset/../.." is not a folder name');
  });

  it('an AOI list file that is a FIFO or a folder fails at once naming it (a FIFO read blocked for ever)', async () => {
    const fifo = join(root, '..', 'aoi-list.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [path, why] of [
      [fifo, 'is not a regular file'],
      [root, 'is not a regular file'],
      [join(root, 'none.csv'), 'does not exist'],
    ]) {
      const err = await scanDataset(root, { aois: path, revisits: REVISITS }).catch((e: unknown) => e);
      expect((err as DatasetError).code, path).toBe('DATASET_NOT_FOUND');
      expect((err as DatasetError).message, path).toContain(`AOI list ${path} ${why}`);
    }
  });
});

describe('tables that are not UTF-8', () => {
  it('a Latin-1 split CSV, AOI list or metadata.csv is UNREADABLE_FILE naming the byte and line (was decoded to U+FFFD)', async () => {
    // a tile name with a Latin-1 letter on line 3: read leniently it became a U+FFFD name, "not found"
    const rows = split.rows.map((r) => r.join(','));
    const latin1 = Buffer.concat([
      Buffer.from(`${split.header.join(',')}\n${rows[0]}\n`),
      Buffer.from('0,Z\u00fcrich-1,train\n', 'latin1'),
    ]);
    const byte = Buffer.from(`${split.header.join(',')}\n${rows[0]}\n0,Z`).length;
    const splitPath = join(root, SPLIT_CSV_NAME);
    await writeFile(splitPath, latin1);
    const fromSplit = await openDataset(root, { revisits: REVISITS }).catch((e: unknown) => e);
    expect([(fromSplit as DatasetError).code, (fromSplit as DatasetError).message]).toEqual([
      'UNREADABLE_FILE',
      `table ${splitPath} is not UTF-8 text at byte ${byte} (line 3); save it as UTF-8`,
    ]);
    const list = join(dir, 'latin1-aois.csv');
    await writeFile(list, latin1);
    const fromList = await scanDataset(root, { aois: list, revisits: REVISITS }).catch((e: unknown) => e);
    expect([(fromList as DatasetError).code, (fromList as DatasetError).message]).toEqual([
      'UNREADABLE_FILE',
      `AOI list ${list} is not UTF-8 text at byte ${byte} (line 3); save it as UTF-8`,
    ]);
    // the same table in UTF-8 (with a byte-order mark) opens
    await writeFile(splitPath, `\ufeff${tableText(split)}`);
    expect((await openDataset(root, { revisits: REVISITS, skipInvalid: true })).scenes).toHaveLength(TILES);
    const metadataPath = join(root, METADATA_CSV_NAME);
    await writeFile(metadataPath, Buffer.from('tile,n\nZ\u00fcrich,1\n', 'latin1'));
    const ds = await openDataset(root, { revisits: REVISITS, skipInvalid: true });
    await expect(ds.metadataRows()).rejects.toMatchObject({
      code: 'UNREADABLE_FILE',
      message: `table ${metadataPath} is not UTF-8 text at byte 8 (line 2); save it as UTF-8`,
    });
    await rm(metadataPath);
    await writeFile(splitPath, tableText(split));
  });
});

describe('metadata.csv: seeded mutations', () => {
  const metadata = metadataTable();

  it('the unmutated table reads as one string cell per column', async () => {
    await writeFile(join(root, METADATA_CSV_NAME), tableText(metadata));
    const ds = await openWithSplit(tableText(split));
    const rows = await ds.metadataRows();
    expect(rows).toHaveLength(12);
    expect(rows[0]).toMatchObject({
      tile: 'Landcover-890848',
      n: '1',
      lowres_date: '2019-05-11',
      SMOD: '11',
    });
    expect(Object.keys(rows[0])).toEqual([...METADATA_COLUMNS]);
  });

  it('300 variants read as rows of strings keyed by the header, or a DATASET_LAYOUT error', async () => {
    const ds = await openWithSplit(tableText(split));
    const seen = new Map<string, number>();
    for (const { doc, what } of jsonMutations(metadata, 300, 23)) {
      await writeFile(join(root, METADATA_CSV_NAME), tableText(doc));
      // a fresh handle: the rows are read once per dataset
      const fresh = await openDataset(root, { revisits: REVISITS, skipInvalid: true });
      let rows: Record<string, string>[] = [];
      const outcome = await outcomeOf(
        what,
        async () => {
          rows = await fresh.metadataRows();
        },
        DatasetError,
      );
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      expect(['ok', 'DATASET_LAYOUT'], what).toContain(outcome);
      if (outcome !== 'ok') continue;
      for (const row of rows) {
        for (const [k, v] of Object.entries(row)) expect(typeof v, `${what}: ${k}`).toBe('string');
      }
    }
    expect(ds.scenes).toHaveLength(TILES);
    expect(seen.get('ok')).toBeGreaterThan(50);
    expect(seen.get('DATASET_LAYOUT')).toBeGreaterThan(2);
  });

  it('a ragged metadata row is a DATASET_LAYOUT error naming the table and row, not an array cell', async () => {
    const text = `${METADATA_COLUMNS.join(',')}\n${metadata.rows[0].join(',').replace(/"/g, '')},1,2\n`;
    await writeFile(join(root, METADATA_CSV_NAME), text);
    const ds = await openDataset(root, { revisits: REVISITS, skipInvalid: true });
    const err = await ds.metadataRows().catch((e: unknown) => e);
    expect((err as DatasetError).code).toBe('DATASET_LAYOUT');
    expect((err as DatasetError).message).toMatch(
      new RegExp(`^${join(root, METADATA_CSV_NAME).replace(/[.\\]/g, '\\$&')}: data row 1 has \\d+ cells`),
    );
    await rm(join(root, METADATA_CSV_NAME));
    expect(await (await openDataset(root, { revisits: REVISITS })).metadataRows()).toEqual([]);
  });
});

describe('extraction marker (<archive>.extracted.json): seeded mutations', () => {
  const archive = RELEASE_FILES[0];
  const marker = { name: archive.name, md5: archive.md5, files: 3929, time: '2024-01-02T03:04:05.000Z' };

  it('a marker variant is honoured, refused with UNREADABLE_FILE, or the archive is planned again', async () => {
    const release = join(dir, 'release');
    await mkdir(join(release, 'downloads'), { recursive: true });
    const markerPath = join(release, 'downloads', `${archive.name}.extracted.json`);
    const seen = new Map<string, number>();
    const variants = [{ doc: marker as unknown, what: '(unmutated)' }, ...jsonMutations(marker, 200, 5)];
    for (const { doc, what } of variants) {
      await writeFile(markerPath, JSON.stringify(doc) ?? 'undefined');
      let status: string | undefined;
      const outcome = await outcomeOf(
        what,
        async () => {
          const res = await downloadRelease({
            root: release,
            files: [archive.name],
            baseUrl: 'http://127.0.0.1:9/unused',
            dryRun: true,
          });
          status = res.files[0].extraction?.status;
        },
        DatasetError,
      );
      const key = outcome === 'ok' ? `ok:${status}` : outcome;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      expect(['ok:already-extracted', 'ok:planned', 'UNREADABLE_FILE'], what).toContain(key);
      const d = doc as { md5?: unknown } | null;
      const sameMd5 = typeof d === 'object' && d !== null && !Array.isArray(d) && d.md5 === archive.md5;
      if (key === 'ok:already-extracted') expect(sameMd5, what).toBe(true);
    }
    expect(seen.get('ok:already-extracted')).toBeGreaterThan(10);
    expect(seen.get('ok:planned')).toBeGreaterThan(10);
    expect(seen.get('UNREADABLE_FILE')).toBeGreaterThan(10);
  });
});

describe('layout zip: hostile entry names in the directory', () => {
  const names = tiles
    .slice(0, 3)
    .flatMap((t) => [
      `hr_dataset/${t}/${t}_ps.tiff`,
      ...[1, 2].map((n) => `lr_dataset/${t}/L2A/${t}-${n}-L2A_data.tiff`),
    ]);

  it('200 variants open with scenes inside the zip or fail with a DatasetError code', async () => {
    const zipPath = join(dir, 'layout.zip');
    const hostileNames = [
      '../escape.tiff',
      '/etc/passwd',
      'C:/x.tiff',
      'hr_dataset\\x\\x_ps.tiff',
      'hr_dataset/../../x',
      'hr_dataset/__proto__/__proto___ps.tiff',
      'hr_dataset/A\u0000/A_ps.tiff',
      'wrapper/hr_dataset/B/B_ps.tiff',
      'hr_dataset//',
    ];
    const seen = new Map<string, number>();
    for (const { doc, what } of jsonMutations(names, 200, 3, hostileNames)) {
      const entries = (Array.isArray(doc) ? doc : [doc]).map((n) => ({
        name: cellText(n),
        data: new Uint8Array([1]),
      }));
      await writeFile(zipPath, buildZip(entries).bytes);
      let ds: WorldStratDataset | undefined;
      const outcome = await outcomeOf(
        what,
        async () => {
          ds = await openDataset(zipPath, { revisits: REVISITS, skipInvalid: true });
        },
        DatasetError,
      );
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      expect(
        ['ok', 'UNSAFE_ARCHIVE_PATH', 'DATASET_NOT_FOUND', 'CORRUPT_ZIP', 'UNSUPPORTED_ZIP'],
        what,
      ).toContain(outcome);
      if (outcome !== 'ok' || !ds) continue;
      for (const s of ds.scenes) {
        expect(s.hrPath.startsWith(`${zipPath}/hr_dataset/${s.name}/`), what).toBe(true);
        expect(s.name).not.toMatch(/^\.\.?$|\//);
      }
    }
    expect(seen.get('ok')).toBeGreaterThan(50);
    expect(seen.get('UNSAFE_ARCHIVE_PATH')).toBeGreaterThan(5);
  });

  it('a table listed twice (a decoy under a folder first) is CORRUPT_ZIP naming both, never the first one read', async () => {
    const zipPath = join(dir, 'decoy-table.zip');
    const csv = (split: string) =>
      new TextEncoder().encode(
        `,tile,IPCC Class,SMOD,source,joint_class,split\n0,${tiles[0]},x,y,z,w,${split}\n`,
      );
    const entries = [
      { name: 'decoy/stratified_train_val_test_split.csv', data: csv('test') },
      { name: 'stratified_train_val_test_split.csv', data: csv('train') },
      ...names.map((name) => ({ name, data: new Uint8Array([1]) })),
    ];
    await writeFile(zipPath, buildZip(entries).bytes);
    const err = await openDataset(zipPath, { revisits: REVISITS, skipInvalid: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('CORRUPT_ZIP');
    expect((err as DatasetError).message).toContain(
      'entries "decoy/stratified_train_val_test_split.csv" and "stratified_train_val_test_split.csv" are all the table stratified_train_val_test_split.csv',
    );
  });
});
