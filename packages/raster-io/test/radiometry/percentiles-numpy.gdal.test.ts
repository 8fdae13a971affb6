// percentiles() returns the floats numpy.percentile (method 'linear') returns, bit for bit: numpy interpolates
// from the nearer of the two order statistics, which a plain a + (b − a)·t misses by an ulp in ~12 % of cases.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { percentiles } from '../../src/index.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { requireTool } from '../support/require-tool.js';

const NUMPY = `
import json, sys
import numpy as np
cases = json.load(sys.stdin)
print(json.dumps([np.percentile(np.array(c['data'], dtype=np.float64), c['ps']).tolist() for c in cases]))
`;

describe.runIf(requireTool('python3 with numpy (python3-gdal)', PYTHON_GDAL !== undefined))(
  'percentiles against numpy',
  () => {
    it('300 seeded samples (1–50 values over 8 orders of magnitude), 13 percentiles each: the same floats', () => {
      let seed = 11;
      const rnd = () => {
        seed = (seed * 16807) % 2147483647;
        return seed / 2147483647;
      };
      const cases = Array.from({ length: 300 }, () => {
        const n = 1 + Math.floor(rnd() * 50);
        const data = Array.from({ length: n }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 8 - 3));
        return { data, ps: [...Array.from({ length: 7 }, () => rnd() * 100), 2, 98, 50, 0, 100, 33.3] };
      });
      const r = spawnSync(PYTHON_GDAL as string, ['-c', NUMPY], {
        input: JSON.stringify(cases),
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      expect(r.status, r.stderr).toBe(0);
      const want = JSON.parse(r.stdout) as number[][];
      const differ = cases.filter((c, i) => percentiles(c.data, c.ps).some((v, j) => v !== want[i]?.[j]));
      expect(differ.length).toBe(0);
    });
  },
);
