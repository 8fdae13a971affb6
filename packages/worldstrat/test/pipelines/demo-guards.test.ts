// What the demo checks before it trains: an AOI count whose 80/10/10 split leaves no train or test AOI is
// refused up front (it trained all three models, then failed "no scenes to evaluate"), and a synthetic dataset
// whose regeneration was cut short is never reused (its synthetic.json still named the earlier seed).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticDataset } from '@worldstrat/dataset/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDemoAois,
  DEMO_DEFAULTS,
  reusableSyntheticDataset,
  runDemo,
} from '../../src/pipelines/demo.node.js';
import { tempDir } from '../support/fixtures.js';
import { cli } from '../support/run-cli.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('ws-demo-guards-'));
});
afterAll(() => cleanup());

describe('demo AOI count', () => {
  it('--aois below 7 is INVALID_ARGUMENT naming the split and the smallest count, before anything is written', async () => {
    const out = join(dir, 'demo-4');
    const logs: string[] = [];
    const err = await runDemo({ out, aois: 4, steps: 1 }, { log: (m) => logs.push(m) }).catch((e) => e);
    expect(err.code, String(err)).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe(
      '4 AOIs (--aois 4) split 80/10/10 into 3 train, 1 val and 0 test AOIs; the demo trains on train and scores on test, so neither may be empty: use at least 7 AOIs (--aois 7)',
    );
    expect(existsSync(out)).toBe(false);
    expect(logs).toEqual([]);
    const r = await cli('--json', 'demo', '--out', join(dir, 'demo-cli'), '--aois', '2', '--steps', '1');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.message).toContain('2 train, 0 val and 0 test AOIs');
    expect(existsSync(join(dir, 'demo-cli'))).toBe(false);
    for (const ok of [7, 10, 24]) expect(() => checkDemoAois(ok)).not.toThrow();
  });
});

describe('demo dataset reuse', () => {
  it('a finished dataset with the same options is reused; one whose overwrite was cut short is not', async () => {
    const root = join(dir, 'dataset');
    const base = { aois: 7, revisits: 2, hrSize: 60 };
    const revisitOptions = DEMO_DEFAULTS.revisitOptions;
    await generateSyntheticDataset(root, { ...base, seed: 0, revisitOptions: { ...revisitOptions } });
    expect(await reusableSyntheticDataset(root, { ...base, seed: 0 }, revisitOptions)).toBe(true);
    expect(await reusableSyntheticDataset(root, { ...base, seed: 1 }, revisitOptions)).toBe(false);
    const abort = new AbortController();
    await expect(
      generateSyntheticDataset(root, {
        ...base,
        seed: 1,
        overwrite: true,
        revisitOptions: { ...revisitOptions },
        signal: abort.signal,
        onProgress: (p) => {
          if (p.done === 2) abort.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    // AOIs 1-2 hold seed 1, 3-7 seed 0: neither seed may take the folder for its dataset
    for (const seed of [0, 1])
      expect(await reusableSyntheticDataset(root, { ...base, seed }, revisitOptions), `seed ${seed}`).toBe(
        false,
      );
  }, 120_000);
});
