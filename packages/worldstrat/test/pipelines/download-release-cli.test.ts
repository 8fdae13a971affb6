// The download-release CLI command: a thin call into @worldstrat/dataset's downloadRelease (tested there).
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5, type ReleaseServer, startReleaseServer } from '../../../dataset/test/support/release-server.js';
import { generateSyntheticDataset, runCli } from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let server: ReleaseServer;
let sums: Record<string, string>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-release-cli-'));
  const src = join(dir, 'source');
  await generateSyntheticDataset(src, { aois: 2, revisits: 2, hrSize: 60, compression: 'none' });
  server = await startReleaseServer();
  sums = {};
  for (const name of ['metadata.csv', 'stratified_train_val_test_split.csv']) {
    const bytes = await readFile(join(src, name));
    server.files.set(name, bytes);
    sums[name] = md5(bytes);
  }
});
afterAll(async () => {
  await server.close();
  await cleanup();
});

describe('worldstrat download-release (CLI)', () => {
  it('has --help for download-release and rebuild', async () => {
    for (const [cmd, flag] of [
      ['download-release', '--base-url'],
      ['rebuild', '--dry-run'],
      ['stratify', '--landcover'],
      ['search', '--stac-url'],
      ['fetch', '--matches'],
    ]) {
      let out = '';
      const code = await runCli(['node', 'worldstrat', cmd, '--help'], {
        stdout: (t) => {
          out += t;
        },
        stderr: () => {},
        isTTY: false,
      });
      expect(code).toBe(0);
      expect(out).toContain(flag);
      expect(out).toContain('--config <file>');
      expect(out).toContain('Exit codes');
    }
  });

  it('runs with --json, reports checksum failures with exit code 4', async () => {
    let out = '';
    const io = {
      stdout: (t: string) => {
        out += t;
      },
      stderr: () => {},
      isTTY: false,
    };
    const root = join(dir, 'cli');
    const code = await runCli(
      [
        'node',
        'worldstrat',
        '--json',
        'download-release',
        root,
        '--base-url',
        server.url,
        '--files',
        'metadata.csv,stratified_train_val_test_split.csv',
        '--md5',
        `metadata.csv=${sums['metadata.csv']}`,
        '--md5',
        `stratified_train_val_test_split.csv=${sums['stratified_train_val_test_split.csv']}`,
      ],
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(out).files.map((f: { download: string }) => f.download)).toEqual([
      'downloaded',
      'downloaded',
    ]);
    out = '';
    await rm(join(root, 'metadata.csv'));
    await rm(join(root, 'downloads'), { recursive: true });
    const bad = await runCli(
      [
        'node',
        'worldstrat',
        '--json',
        'download-release',
        root,
        '--base-url',
        server.url,
        '--files',
        'metadata.csv',
        '--retries',
        '0',
      ],
      io,
    );
    expect(bad).toBe(4);
    expect(JSON.parse(out).error.code).toBe('CHECKSUM_MISMATCH');
  });

  it('--record 15382551 plans the v1.1 zips from Zenodo records URLs; an unknown record is a usage error', async () => {
    let out = '';
    let err = '';
    const io = {
      stdout: (t: string) => {
        out += t;
      },
      stderr: (t: string) => {
        err += t;
      },
      isTTY: false,
    };
    const root = join(dir, 'v11');
    const code = await runCli(
      ['node', 'worldstrat', '--json', 'download-release', root, '--record', '15382551', '--dry-run'],
      io,
    );
    expect(code, err).toBe(0);
    const files = JSON.parse(out).files as { name: string; url: string; md5: string }[];
    expect(files.map((f) => f.name)).toEqual([
      'hr_dataset.zip',
      'lr_dataset_l1c.zip',
      'lr_dataset_l2a.zip',
      'metadata.csv',
      'stratified_train_val_test_split.csv',
    ]);
    expect(files[0].url).toBe('https://zenodo.org/records/15382551/files/hr_dataset.zip?download=1');
    expect(files[0].md5).toBe('5ae09bb3557ce131242a133d9758d9e7');
    err = '';
    const bad = await runCli(['node', 'worldstrat', 'download-release', root, '--record', '42'], io);
    expect(bad).toBe(2);
    expect(err).toContain('--record 42');
  });
});
