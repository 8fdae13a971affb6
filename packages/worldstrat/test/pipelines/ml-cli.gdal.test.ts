// End to end on a tiny synthetic dataset: `train` (checkpoint + resume), `eval` (both metric modes vs bicubic),
// `infer` / `superresolve` on TF.js and ONNX Runtime (same pixels), GDAL reads the SR GeoTIFF, Ctrl-C (an aborted
// signal) leaves no file, and the bicubic baseline matches a direct computation.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registeredMetrics } from '@worldstrat/metrics';
import { readGeoTiffFile } from '@worldstrat/raster-io/node';
import { exportOnnx, selectBackend, stateDictFromSafetensors } from '@worldstrat/srnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bicubicUpsample,
  evaluateModels,
  generateSyntheticDataset,
  JIF_S2_MEAN,
  JIF_S2_STD,
  openDataset,
  readTrainHistory,
  superresolvePipeline,
} from '../../src/node.js';
import { tempDir } from '../support/fixtures.js';
import { hasGdal, requireTool } from '../support/require-tool.js';
import { cli } from '../support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
let root: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('worldstrat-ml-'));
  root = join(dir, 'ds');
  // 4 AOIs → split CSV 3 train / 1 val; HR 527 px (LR 79 px) keeps generation and transforms cheap.
  await generateSyntheticDataset(root, { aois: 4, revisits: 4, hrSize: 527, seed: 3 });
}, 300_000);
afterAll(() => cleanup());

describe('ML pipelines via the CLI [slow: trains, evaluates and exports models in CLI child processes]', () => {
  it('train writes weights + history + checkpoint; --resume continues from the checkpoint step', async () => {
    const out = join(dir, 'run');
    const args = [
      '--json',
      'train',
      root,
      '--out',
      out,
      '--model',
      'srcnn-mf',
      '--revisits',
      '4',
      '--hidden',
      '8',
    ];
    const common = ['--batch-size', '4', '--lr', '1e-3', '--dropout', '0', '--seed', '1', '--cosine-t0', '0'];
    const a = await cli(...args, ...common, '--steps', '2');
    expect(a.code, a.out + a.err).toBe(0);
    const ra = JSON.parse(a.out);
    expect(ra.steps).toBe(2);
    expect(ra.backend).toBe('wasm');
    expect(ra.weightsPath).toBe(join(out, 'srcnn-mf.safetensors'));
    const { config } = stateDictFromSafetensors(new Uint8Array(readFileSync(ra.weightsPath)));
    expect([config.kind, config.revisits, config.hiddenChannels]).toEqual(['srcnn', 4, 8]);
    expect(existsSync(join(out, 'checkpoints', 'srcnn-mf', 'last.safetensors'))).toBe(true);
    expect(readdirSync(out).filter((f) => f.includes('.tmp'))).toEqual([]);

    // --backend reaches the trainer: 'auto' trains on whatever selectBackend('auto') picks here (wasm without a
    // GPU); the checkpoint is backend-independent. (cpu would prove it too, but one cpu step costs ~40 s.)
    const auto = (await selectBackend('auto')).backend;
    const b = await cli(...args, ...common, '--steps', '3', '--resume', '--backend', 'auto');
    await selectBackend('wasm');
    expect(b.code, b.out + b.err).toBe(0);
    const rb = JSON.parse(b.out);
    expect(rb.backend).toBe(auto);
    expect(rb.resumedFromStep).toBe(2);
    expect(rb.steps).toBe(3);
    const hist = JSON.parse(readFileSync(rb.historyPath, 'utf8'));
    expect(hist.history.steps.map((s: [number, number]) => s[0])).toEqual([1, 2, 3]);
    expect(Number.isFinite(hist.history.steps[0][1])).toBe(true);
    // What trainModel wrote reads back through the checked reader unchanged.
    expect(await readTrainHistory(rb.historyPath)).toEqual(hist.history);
  }, 600_000);

  it('eval scores the weights and bicubic in both modes; infer/superresolve agree on TF.js and ONNX', async () => {
    const weights = join(dir, 'run', 'srcnn-mf.safetensors');
    const e = await cli('--json', 'eval', root, '--weights', weights, '--split', 'val', '--batch-size', '9');
    expect(e.code, e.out + e.err).toBe(0);
    const ev = JSON.parse(e.out);
    expect(ev.chips).toBe(9);
    expect(ev.scores.map((s: { name: string }) => s.name)).toEqual([
      'Bicubic',
      'Flat (chip mean)',
      'srcnn-mf',
    ]);
    for (const s of ev.scores)
      for (const mode of ['worldstrat', 'centered']) {
        expect(s[mode].count).toBe(9);
        expect(s[mode].psnr).toBeGreaterThan(10);
        expect(s[mode].psnr).toBeLessThan(80);
        expect(s[mode].cssim).toBeLessThanOrEqual(1);
      }
    // the two modes crop differently, so they do not give identical numbers
    expect(ev.scores[0].worldstrat.psnr).not.toBe(ev.scores[0].centered.psnr);

    // ONNX file from the same weights
    const { stateDict, config } = stateDictFromSafetensors(new Uint8Array(readFileSync(weights)));
    const onnxPath = join(dir, 'run', 'srcnn-mf.onnx');
    writeFileSync(onnxPath, exportOnnx(config, stateDict));
    const scene = readdirSync(join(root, 'lr_dataset'))[0];
    const folder = join(root, 'lr_dataset', scene, 'L2A');
    const tfOut = join(dir, 'sr-tfjs.tif');
    const t = await cli('--json', 'superresolve', folder, '--weights', weights, '--out', tfOut);
    expect(t.code, t.out + t.err).toBe(0);
    const tr = JSON.parse(t.out);
    expect(tr.engine).toBe('tfjs');
    expect(tr.inputs).toHaveLength(4);
    expect(existsSync(tfOut.replace('.tif', '.png'))).toBe(true);
    const files = readdirSync(folder)
      .filter((f) => f.endsWith('L2A_data.tiff'))
      .map((f) => join(folder, f));
    const oOut = join(dir, 'sr-onnx.tif');
    const o = await cli('--json', 'infer', ...files, '--weights', onnxPath, '--out', oOut, '--no-quicklook');
    expect(o.code, o.out + o.err).toBe(0);
    expect(JSON.parse(o.out).engine).toBe('onnx');
    expect(existsSync(oOut.replace('.tif', '.png'))).toBe(false);
    const a = await readGeoTiffFile(tfOut);
    const b = await readGeoTiffFile(oOut);
    const lrW = (await readGeoTiffFile(files[0])).width;
    expect(a.width).toBe(Math.round(lrW * 3.12));
    expect([b.width, b.height, b.bands.length]).toEqual([a.width, a.height, 3]);
    let maxDiff = 0;
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < a.bands[k].length; i++)
        maxDiff = Math.max(maxDiff, Math.abs((a.bands[k][i] as number) - (b.bands[k][i] as number)));
    expect(maxDiff).toBeLessThan(1e-4);
    // GDAL reads it as a georeferenced float32 3-band raster
    if (requireTool('GDAL (gdalinfo)', hasGdal)) {
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', tfOut], { encoding: 'utf8' }));
      expect(info.size).toEqual([a.width, a.height]);
      expect(info.bands).toHaveLength(3);
      expect(info.bands[0].type).toBe('Float32');
      expect(info.geoTransform[1]).toBeGreaterThan(0);
    }
  }, 600_000);

  it('an aborted run leaves no output file; bad inputs give typed errors and exit codes', async () => {
    const weights = join(dir, 'run', 'srcnn-mf.safetensors');
    const scene = readdirSync(join(root, 'lr_dataset'))[0];
    const out = join(dir, 'aborted.tif');
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(
      superresolvePipeline.run(
        { inputs: [join(root, 'lr_dataset', scene, 'L2A')], weights, out },
        { signal: ctrl.signal },
      ),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('aborted'))).toEqual([]);

    const missing = await cli('infer', join(dir, 'nope.tif'), '--weights', weights, '--out', out);
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('nope.tif');
    const badEngine = await cli('eval', root, '--weights', weights, '--engine', 'torch');
    expect(badEngine.code).toBe(2);
    const badModel = await cli('train', root, '--out', join(dir, 'x'), '--model', 'vgg');
    expect(badModel.code).toBe(2);
    expect(badModel.err).toContain('srcnn-si');
  }, 300_000);

  it('bicubicUpsample = de-normalised revisit 0 (B04,B03,B02) upsampled; evaluateModels scores an engine that returns it exactly like bicubic', async () => {
    const ds = await openDataset(root, { revisits: 4 });
    const scenes = ds.split().val;
    const batches = [];
    for await (const b of ds.batches(scenes, { batchSize: 9, shuffle: false, augment: false }))
      batches.push(b);
    const batch = batches[0];
    const up = bicubicUpsample(batch.lr.data, batch.lr.shape);
    expect(up.shape).toEqual([9, 3, 156, 156]);
    // a flat LR chip upsamples to the same flat reflectance
    const flat = new Float32Array(1 * 1 * 12 * 50 * 50);
    for (let c = 0; c < 12; c++) flat.fill((0.2 - JIF_S2_MEAN[c]) / JIF_S2_STD[c], c * 2500, (c + 1) * 2500);
    const f = bicubicUpsample(flat, [1, 1, 12, 50, 50]);
    for (const v of [f.data[0], f.data[30000], f.data.at(-1) as number]) expect(v).toBeCloseTo(0.2, 5);

    const bicubicEngine = {
      name: 'bicubic-as-engine',
      config: { kind: 'srcnn' as const, revisits: 1 } as never,
      async predict(input: { data: Float32Array; shape: [number, number, number, number, number] }) {
        const r = bicubicUpsample(input.data, input.shape);
        return {
          data: r.data,
          shape: [input.shape[0], 1, 3, 156, 156] as [number, number, number, number, number],
        };
      },
      dispose() {},
    };
    const ev = await evaluateModels({
      dataset: ds,
      models: [{ name: 'same', engine: bicubicEngine as never }],
      scenes,
      batchSize: 9,
      panelChips: [[0, 4]],
    });
    expect(ev.scores.map((s) => s.name)).toEqual(['Bicubic', 'Flat (chip mean)', 'same']);
    expect(ev.scores[2].centered.psnr).toBe(ev.scores[0].centered.psnr);
    expect(ev.scores[2].worldstrat.cssim).toBe(ev.scores[0].worldstrat.cssim);
    // the flat reference scores the bias-adjusted constant: every chip's HR channel means
    const zeros = new Float32Array(batch.hr.data.length);
    const flatDirect = registeredMetrics(zeros, batch.hr.data, batch.hr.shape, { mode: 'centered' });
    expect(ev.scores[1].centered.psnr).toBeCloseTo(flatDirect.reduce((s, m) => s + m.psnr, 0) / 9, 10);
    const direct = registeredMetrics(up.data, batch.hr.data, batch.hr.shape, { mode: 'centered' });
    const mean = direct.reduce((s, m) => s + m.psnr, 0) / direct.length;
    expect(ev.scores[0].centered.psnr).toBeCloseTo(mean, 10);
    expect(ev.panels).toHaveLength(1);
    expect(ev.panels[0].chip).toBe(4);
    expect(ev.panels[0].methods.map((m) => m.name)).toEqual(['Bicubic', 'same']);
    expect(ev.panels[0].methods[0].psnr.centered).toBe(direct[ev.panels[0].chip].psnr);
  }, 300_000);
});
