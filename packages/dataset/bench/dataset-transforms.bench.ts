// Benchmark: the per-scene training transforms (LR: normalise + AA bilinear 158→160 for R revisits × 12 bands;
// HR: ÷10000 + AA bilinear 1054→500 + clamp) in TS vs the same ops in PyTorch CPU (upstream's torchvision
// path = F.interpolate(antialias=True)), run in the same process tree; plus synthetic-AOI generation cost.
// BENCH_REPEATS (default 5) and BENCH_REVISITS (default 8) keep it short.
import { execFileSync } from 'node:child_process';
import { createRng } from '@worldstrat/geo-sampling';
import { it } from 'vitest';
import { degradeScene, drawRevisitParams, synthesizeScene, transformHr, transformLr } from '../src/index.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const R = Number(process.env.BENCH_REVISITS ?? 8);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const PY = `
import time, torch, torch.nn.functional as F, json, sys
torch.set_num_threads(2)
R, reps = int(sys.argv[1]), int(sys.argv[2])
mean = torch.tensor([0.0008,0.0117,0.0211,0.0198,0.0671,0.1274,0.1449,0.1841,0.1738,0.1803,0.0566,-0.0559]).view(1,12,1,1)
std = torch.tensor([0.0892,0.0976,0.1001,0.1169,0.1154,0.1066,0.1097,0.1151,0.1122,0.1176,0.1298,0.1176]).view(1,12,1,1)
g = torch.Generator().manual_seed(0)
lr = torch.rand(R,12,158,158, generator=g) * 0.4
hr = (torch.rand(1,3,1054,1054, generator=g) * 4000).to(torch.int32)
def scene():
    x = (lr - mean) / std
    x = F.interpolate(x, size=(160,160), mode='bilinear', align_corners=False, antialias=True)
    y = F.interpolate(hr.float() / 10000, size=(500,500), mode='bilinear', align_corners=False, antialias=True).clamp(0,1)
    return x, y
scene()
ts = []
for _ in range(reps):
    t = time.perf_counter(); scene(); ts.append((time.perf_counter() - t) * 1000)
ts.sort()
print(json.dumps({"ms": ts[len(ts)//2], "torch": torch.__version__}))
`;

it('per-scene transforms: TS vs PyTorch CPU', () => {
  const rng = createRng(0);
  const lr = Float32Array.from({ length: R * 12 * 158 * 158 }, () => 0.4 * rng.next());
  const hr = Int32Array.from({ length: 3 * 1054 * 1054 }, () => Math.floor(4000 * rng.next()));
  const run = () => {
    transformLr(lr, [R, 12, 158, 158]);
    transformHr(hr, [3, 1054, 1054]);
  };
  run();
  const ts: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    run();
    ts.push(performance.now() - t);
  }
  const tsMs = median(ts);
  let line = `transforms per scene (R=${R}): TS ${tsMs.toFixed(1)} ms`;
  try {
    const out = execFileSync('/usr/bin/python3', ['-c', PY, String(R), String(REPEATS)], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const py = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ms: number; torch: string };
    line += ` · PyTorch ${py.torch} CPU (2 threads) ${py.ms.toFixed(1)} ms · ratio TS/PyTorch ${(tsMs / py.ms).toFixed(2)}×`;
  } catch (e) {
    line += ` · PyTorch peer unavailable (${(e as Error).message.split('\n')[0]})`;
  }
  console.log(line);
});

it('synthetic AOI generation (scene + R revisits, in memory)', () => {
  const size = Number(process.env.BENCH_HR_SIZE ?? 1054);
  const rng = createRng(1);
  let t = performance.now();
  const scene = synthesizeScene(rng, { size, kind: 'Settlement' });
  const tScene = performance.now() - t;
  t = performance.now();
  degradeScene(scene, drawRevisitParams(rng, R), rng);
  const tDegrade = performance.now() - t;
  console.log(
    `synthetic AOI ${size}² px, ${R} revisits: scene ${tScene.toFixed(0)} ms · degradation ${tDegrade.toFixed(0)} ms (${(tDegrade / R).toFixed(0)} ms per revisit)`,
  );
});
