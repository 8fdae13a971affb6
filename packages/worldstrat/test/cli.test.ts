import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DIR, tempDir } from './support/fixtures.js';
import { cli } from './support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

describe('worldstrat CLI', () => {
  it('prints help with every command and the exit codes', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const c of ['synth', 'sample', 'aois', 'split', 'plot']) expect(r.out).toContain(c);
    expect(r.out).toContain('Exit codes');
    const sub = await cli('synth', '--help');
    expect(sub.code).toBe(0);
    expect(sub.out).toContain('--config <file>');
    expect(sub.out).toContain('--hr-size');
  });

  // the built binary (`pnpm test` builds first): `worldstrat … | head` must end quietly, not with an EPIPE trace.
  // Without a build it skips on a developer machine; in CI a missing binary fails.
  const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  it.runIf(existsSync(BIN) || Boolean(process.env.CI))(
    'stops quietly when the reader closes the pipe (| head)',
    () => {
      const r = spawnSync('bash', ['-c', `node "${BIN}" benchmark --help | head -1`], { encoding: 'utf8' });
      expect(r.stdout).toBe('Usage: worldstrat benchmark [options] <root>\n');
      expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
      expect(r.status).toBe(0);
    },
  );

  it('synth writes a dataset and reports JSON; refuses a non-empty folder (exit 2, --overwrite hint)', async () => {
    const out = join(dir, 'syn');
    const r = await cli(
      '--json',
      'synth',
      out,
      '--aois',
      '3',
      '--revisits',
      '2',
      '--hr-size',
      '60',
      '--plots',
    );
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out);
    expect(res).toMatchObject({ aois: 3, lrSize: 9, hrSize: 60 });
    expect(existsSync(join(out, 'metadata.csv'))).toBe(true);
    expect(existsSync(join(out, 'plots', 'index.html'))).toBe(true);
    expect(existsSync(join(out, 'plots', 'revisits.gif'))).toBe(true);
    // a non-empty folder is a usage error (exit 2), and the hint names the CLI flag, not the API option
    const again = await cli('--json', 'synth', out, '--aois', '3');
    expect(again.code).toBe(2);
    const { code, message } = JSON.parse(again.out).error;
    expect([code, message.startsWith(`${out} is not empty (`)], message).toEqual(['INVALID_ARGUMENT', true]);
    expect(message).toMatch(/; choose an empty folder or pass --overwrite$/);
    expect(message).not.toContain('overwrite: true');
  });

  it('bad arguments exit 2; a config file fills options the command line did not set', async () => {
    expect((await cli('synth', join(dir, 'x'), '--aois', 'many')).code).toBe(2);
    expect((await cli('nope')).code).toBe(2);
    for (const w of ['0', '1.5', 'many']) {
      const r = await cli('demo', '--out', join(dir, 'never'), '--workers', w);
      expect(r.code, w).toBe(2);
      expect(r.err).toContain(`--workers ${w}: expected a positive integer or 'auto'`);
    }
    expect((await cli('benchmark', join(dir, 'none'), '--workers', '-2')).code).toBe(2);
    expect((await cli('train', join(dir, 'none'), '--lr-decay-steps', 'x')).code).toBe(2);
    const gpu = await cli('train', join(dir, 'none'), '--out', join(dir, 'never'), '--backend', 'cuda');
    expect(gpu.code).toBe(2);
    expect(gpu.err).toContain('--backend cuda: expected one of auto, wasm, webgpu, tfjs-node-gpu, cpu');
    expect(existsSync(join(dir, 'never'))).toBe(false);
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ synth: { aois: 2, revisits: 1, hrSize: 40, seed: 9 } }));
    const r = await cli('--json', 'synth', join(dir, 'cfg-out'), '--config', cfg, '--aois', '1');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ aois: 1, revisits: 1, hrSize: 40 });
    writeFileSync(cfg, JSON.stringify({ aoiz: 2 }));
    const bad = await cli('synth', join(dir, 'cfg-bad'), '--config', cfg);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown option "aoiz"/);
  });

  it('sample → aois → plot map, reproducible per seed', async () => {
    const pts = join(dir, 'pts.csv');
    expect(
      (await cli('sample', '--count', '12', '--seed', '4', '--land-scale', '110m', '--out', pts)).code,
    ).toBe(0);
    const first = readFileSync(pts, 'utf8');
    expect(first.trim().split('\n')).toHaveLength(13);
    await cli(
      'sample',
      '--count',
      '12',
      '--seed',
      '4',
      '--land-scale',
      '110m',
      '--out',
      join(dir, 'pts2.csv'),
    );
    expect(readFileSync(join(dir, 'pts2.csv'), 'utf8')).toBe(first);
    const aois = join(dir, 'aois.geojson');
    const r = await cli('--json', 'aois', pts, '--out', aois, '--tile3x3', '--area', '22.5');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ points: 12, aois: 108 });
    expect(JSON.parse(readFileSync(aois, 'utf8')).features).toHaveLength(108);
    const m = await cli('plot', 'map', pts, '--out', join(dir, 'map'), '--class-column', 'source');
    expect(m.code, m.err).toBe(0);
    expect(readFileSync(join(dir, 'map.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('split --mode paper reproduces the published benchmark split', async () => {
    const out = join(dir, 'paper.csv');
    const r = await cli(
      '--json',
      'split',
      join(SHARED_DIR, 'data/stratified_train_val_test_split.csv'),
      '--out',
      out,
      '--mode',
      'paper',
      '--directory-count',
      '3929',
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).counts).toEqual({ train: 3143, val: 392, test: 392, unused: 1 });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3929);
    const unused = lines.filter((l) => l.endsWith(',unused'));
    expect(unused).toHaveLength(1);
    expect(unused[0]).toContain('Landcover-774999');
  });

  it('split --mode stratified keeps every class in train and writes a split column', async () => {
    const out = join(dir, 'strat.csv');
    const src = join(dir, 'syn', 'stratified_train_val_test_split.csv');
    const r = await cli('--json', 'split', src, '--out', out, '--class-column', 'IPCC Class', '--seed', '3');
    expect(r.code, r.err).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0].endsWith('split')).toBe(true);
    expect(lines).toHaveLength(4);
  });

  it('split of a table with a ragged row exits 4 naming the file and the row; nothing is written', async () => {
    const src = join(dir, 'ragged.csv');
    writeFileSync(src, 'tile,IPCC Class\nA,Forest\nB\nC,Settlement\n');
    const out = join(dir, 'ragged-split.csv');
    const r = await cli('split', src, '--out', out, '--class-column', 'IPCC Class', '--name-column', 'tile');
    expect(r.code, r.err).toBe(4);
    expect(r.err).toContain(`${src}: data row 2 has 1 cells, the header 2`);
    expect(existsSync(out)).toBe(false);
  });

  it('plot dataset / distribution; a missing dataset exits 3', async () => {
    const d = await cli(
      'plot',
      'distribution',
      join(SHARED_DIR, 'data/stratified_train_val_test_split.csv'),
      '--column',
      'source',
      '--out',
      join(dir, 'dist'),
    );
    expect(d.code, d.err).toBe(0);
    expect(existsSync(join(dir, 'dist.svg'))).toBe(true);
    const missing = await cli('plot', 'dataset', join(dir, 'nowhere'), '--out', join(dir, 'p'));
    expect(missing.code).toBe(3);
  });

  it('Ctrl-C aborts with exit 130 and leaves no half-written file', async () => {
    const out = join(dir, 'interrupted');
    const listeners = process.listenerCount('SIGINT');
    const p = cli('synth', out, '--aois', '6', '--revisits', '2', '--hr-size', '200');
    // Ctrl-C once the command listens for it and has started writing (a fixed delay raced a slow start on a
    // loaded machine: the signal came before the handler and the run completed)
    const poll = setInterval(() => {
      if (process.listenerCount('SIGINT') > listeners && existsSync(out)) {
        clearInterval(poll);
        process.emit('SIGINT', 'SIGINT');
      }
    }, 10);
    const r = await p.finally(() => clearInterval(poll));
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/SIGINT/);
    const files = existsSync(out) ? (readdirSync(out, { recursive: true }) as string[]) : [];
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(files).not.toContain('metadata.csv');
  });
});
