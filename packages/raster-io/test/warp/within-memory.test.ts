// Outputs inside the documented size limits that this process still cannot allocate: warpRaster, resize and
// resizeRaster fail with TOO_LARGE naming the function (a plain RangeError escaped before). Run in a child whose
// address space is capped, so the test never asks the machine for gigabytes.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertDistFresh } from '../support/read-child.js';

const INDEX = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

const script = `
const rio = await import(${JSON.stringify(INDEX)});
const src = { width: 10, height: 10, dtype: 'float32', bands: [new Float32Array(100)],
  geo: { epsg: 4326, transform: [0, 0.1, 0, 1, 0, -0.1] } };
const calls = {
  warpRaster: () => rio.warpRaster(src, { epsg: 4326, width: 65536, height: 32768,
    transform: [0, 1e-5, 0, 1, 0, -1e-5] }),
  resize: () => rio.resize(new Float32Array(4), [1, 2, 2], [1024, 2 ** 21]),
  resizeRaster: () => rio.resizeRaster({ width: 2, height: 2, dtype: 'float64', bands: [new Float64Array(4)] }, 2 ** 21, 1024),
};
const out = {};
for (const [name, call] of Object.entries(calls)) {
  try { call(); out[name] = 'ok'; } catch (e) { out[name] = [e.constructor.name, e.code, e.message.slice(0, 80)]; }
}
console.log(JSON.stringify(out));
`;

describe.runIf(process.platform === 'linux')('outputs that do not fit in memory', () => {
  it('are RasterIoError TOO_LARGE naming the function, never a plain RangeError', () => {
    assertDistFresh();
    // 6 GiB of address space: Node starts; an 8 GiB output cannot be had
    const r = spawnSync(
      'bash',
      ['-c', `ulimit -v 6291456; exec "${process.execPath}" --input-type=module -e "$0"`, script],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const line = r.stdout.trim().split('\n').pop() ?? '';
    const out = JSON.parse(line || '{}') as Record<string, unknown>;
    for (const name of ['warpRaster', 'resize', 'resizeRaster']) {
      const [type, code, message] = (out[name] ?? []) as string[];
      expect([type, code], `${name}: ${r.stderr.slice(-500)}`).toEqual(['RasterIoError', 'TOO_LARGE']);
      expect(message).toMatch(new RegExp(`^${name}: its output and work arrays do not fit`));
    }
  });
});
