#!/usr/bin/env node
// GPU readiness and timings (`pnpm bench:gpu`, ≤ 5 min): which GPU paths are usable here (Dawn/WebGPU on a Vulkan
// ICD, ONNX Runtime's CUDA provider, tfjs-node-gpu), the WebGPU parity check, then HighRes-net R=8 inference and
// one training step timed on every usable GPU path, and on PyTorch CUDA when installed (ratios printed). A software
// adapter (lavapipe) is reported but not timed as a GPU. Exits 0 with "no usable GPU path" when there is none.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  createModel,
  createTfjsEngine,
  DEFAULT_MODEL_CONFIG,
  exportOnnx,
  exportStateDict,
  PyTorchAdam,
  readOnnxModelInfo,
  SeededRandom,
  selectBackend,
  stateDictFromSafetensors,
  trainStep,
  WORLDSTRAT_ADAM,
} from '../dist/node.js';

const DEADLINE = Date.now() + 270_000; // leave headroom under 5 minutes
const CONFIG = { ...DEFAULT_MODEL_CONFIG, kind: 'highresnet', revisits: 8, hiddenChannels: 64, dropout: 0 };
const B = 4; // batch
const LR_SIZE = 50;
const REPEATS = 3;
const sharedParity = fileURLToPath(new URL('../../../../shared/fixtures/parity/', import.meta.url));
const log = (...a) => console.log(...a);

/** Vulkan ICD manifests (what Dawn loads) and whether one is NVIDIA's. */
function vulkanIcds() {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];
  const files = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).map((f) => `${d}/${f}`) : []));
  return { files, nvidia: files.some((f) => /nvidia/i.test(f)) };
}

function nvidiaSmi() {
  try {
    return execFileSync(
      'nvidia-smi',
      ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
      {
        encoding: 'utf8',
        timeout: 10_000,
      },
    ).trim();
  } catch {
    return undefined;
  }
}

function input(seed) {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const lr = Float32Array.from({ length: B * CONFIG.revisits * CONFIG.inChannels * LR_SIZE * LR_SIZE }, rnd);
  const hr = Float32Array.from({ length: B * 3 * 156 * 156 }, rnd);
  return {
    lr: { data: lr, shape: [B, CONFIG.revisits, CONFIG.inChannels, LR_SIZE, LR_SIZE] },
    hr: { data: hr, shape: [B, 3, 156, 156] },
  };
}

async function best(fn) {
  await fn(); // warm-up (shader compilation, autotuning)
  let t = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS && Date.now() < DEADLINE; i++) {
    const t0 = performance.now();
    await fn();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

/** Forward + training step on the active TF.js backend. */
async function timeTfjs() {
  const model = createModel(CONFIG, { seed: 1 });
  const engine = await createTfjsEngine(CONFIG, await exportStateDict(model));
  const batch = input(3);
  const forward = await best(() => engine.predict(batch.lr));
  engine.dispose();
  const vars = model.trainableVariables();
  const adam = new PyTorchAdam(vars, WORLDSTRAT_ADAM);
  const rng = new SeededRandom(0);
  const step = await best(() => trainStep(model, adam, vars, batch, rng, 1e-4, 'worldstrat'));
  adam.dispose();
  model.dispose();
  return { forward, train_step: step };
}

/** WebGPU forward parity on the SRCNN-SI fixture (the full suite is packages/srnet/test/webgpu.test.ts). */
async function webgpuParity() {
  const file = `${sharedParity}srcnn-r1.safetensors`;
  if (!existsSync(file)) return 'skipped (parity fixtures not found beside the checkout)';
  const { stateDict, config, extras } = stateDictFromSafetensors(new Uint8Array(readFileSync(file)));
  const engine = await createTfjsEngine(config, stateDict);
  const out = await engine.predict({ data: extras.input.data, shape: extras.input.shape });
  engine.dispose();
  let worst = 0;
  out.data.forEach((v, i) => {
    const w = extras.output.data[i];
    worst = Math.max(worst, Math.abs(v - w) - (1e-4 + 1e-5 * Math.abs(w)));
  });
  return worst <= 0 ? 'pass (≤ 1e-4 + 1e-5|x|)' : `FAIL (exceeds tolerance by ${worst})`;
}

/** ONNX Runtime CUDA provider: whether it is present, and a forward timing when it is. */
async function onnxCuda() {
  let ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    return { usable: false, reason: `onnxruntime-node not installed (${String(e.message).split('\n')[0]})` };
  }
  const backends = typeof ort.listSupportedBackends === 'function' ? ort.listSupportedBackends() : [];
  if (!backends.some((b) => b.name === 'cuda'))
    return {
      usable: false,
      reason: `this onnxruntime-node build has no CUDA provider (${backends.map((b) => b.name).join(', ') || 'unknown'}); install it without ONNXRUNTIME_NODE_INSTALL=skip on a CUDA 12 machine`,
    };
  await selectBackend('cpu');
  const model = createModel(CONFIG, { seed: 1 });
  const bytes = exportOnnx(CONFIG, await exportStateDict(model));
  model.dispose();
  const name = readOnnxModelInfo(bytes).inputs[0]?.name ?? 'input';
  try {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cuda'] });
    const { lr } = input(3);
    const feed = { [name]: new ort.Tensor('float32', lr.data, lr.shape) };
    const forward = await best(() => session.run(feed));
    return { usable: true, reason: 'CUDA execution provider', timings: { forward } };
  } catch (e) {
    return { usable: false, reason: `CUDA provider failed to start (${String(e.message).split('\n')[0]})` };
  }
}

/** PyTorch CUDA timings of the same architecture (bench/torch_models.py), when torch sees a CUDA device. */
function torchCuda() {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const py = `
import sys, json, time, torch
sys.path.insert(0, sys.argv[1])
if not torch.cuda.is_available():
    print(json.dumps({"usable": False, "reason": "torch %s sees no CUDA device" % torch.__version__})); sys.exit(0)
from torch_models import Model, registered_loss
d = torch.device("cuda"); torch.manual_seed(0)
m = Model("highresnet", ${CONFIG.revisits}).to(d)
opt = torch.optim.Adam(m.parameters(), lr=1e-4, weight_decay=1e-4)
x = torch.randn(${B}, ${CONFIG.revisits}, 12, ${LR_SIZE}, ${LR_SIZE}, device=d); y = torch.rand(${B}, 3, 156, 156, device=d)
def fwd():
    m.eval()
    with torch.no_grad(): m(x)
def step():
    m.train(); opt.zero_grad(); registered_loss(m(x)[:, 0], y).backward(); opt.step()
res = {}
for k, f in (("forward", fwd), ("train_step", step)):
    f(); torch.cuda.synchronize(); t = []
    for _ in range(${REPEATS}):
        t0 = time.perf_counter(); f(); torch.cuda.synchronize(); t.append(time.perf_counter() - t0)
    res[k] = min(t)
print(json.dumps({"usable": True, "reason": torch.cuda.get_device_name(0), "timings": res}))
`;
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      const out = execFileSync(python, ['-c', py, dir], {
        encoding: 'utf8',
        timeout: 120_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return JSON.parse(out.trim().split('\n').at(-1));
    } catch (e) {
      if (python === '/usr/bin/python3')
        return {
          usable: false,
          reason: `PyTorch not usable (${String(e.stderr || e.message)
            .trim()
            .split('\n')
            .at(-1)})`,
        };
    }
  }
}

async function main() {
  const icd = vulkanIcds();
  log(`device: ${nvidiaSmi() ?? 'nvidia-smi not found (no NVIDIA driver)'}`);
  log(
    `Vulkan ICDs: ${icd.files.length ? icd.files.join(', ') : 'none'}${icd.nvidia ? '' : ' (no NVIDIA ICD)'}`,
  );
  const paths = {};

  const gpu = await selectBackend('webgpu').catch((e) => e);
  if (gpu instanceof Error) paths.webgpu = { usable: false, reason: gpu.message };
  else {
    const parity = await webgpuParity();
    const software = /\(software\)/.test(gpu.reason);
    paths.webgpu = {
      usable: !software,
      reason: `${gpu.reason}; parity ${parity}${software ? '; software adapter: not timed as a GPU' : ''}`,
    };
    if (!software) paths.webgpu.timings = await timeTfjs();
  }

  const tng = await selectBackend('tfjs-node-gpu').catch((e) => e);
  if (tng instanceof Error || !tng.cudaInUse)
    paths['tfjs-node-gpu'] = { usable: false, reason: tng instanceof Error ? tng.message : tng.reason };
  else paths['tfjs-node-gpu'] = { usable: true, reason: tng.reason, timings: await timeTfjs() };

  paths['onnxruntime-cuda'] = await onnxCuda();
  paths['pytorch-cuda'] = torchCuda();

  for (const [name, p] of Object.entries(paths)) {
    const t = p.timings
      ? ` forward ${p.timings.forward.toFixed(4)} s` +
        (p.timings.train_step ? `, train step ${p.timings.train_step.toFixed(4)} s` : '')
      : '';
    log(`${p.usable ? 'USABLE' : 'not usable'}  ${name}: ${p.reason}${t}`);
  }
  const torch = paths['pytorch-cuda'];
  if (torch.usable)
    for (const [name, p] of Object.entries(paths))
      if (p.usable && name !== 'pytorch-cuda')
        for (const k of Object.keys(p.timings))
          log(`ratio ${name}/pytorch-cuda ${k}: ${(p.timings[k] / torch.timings[k]).toFixed(2)}×`);
  log(
    `(HighRes-net R=${CONFIG.revisits}, hidden ${CONFIG.hiddenChannels}, batch ${B}, ${LR_SIZE}×${LR_SIZE} → 156×156, best of ${REPEATS} after a warm-up)`,
  );
  if (!Object.values(paths).some((p) => p.usable)) log('no usable GPU path: nothing timed');
  tf.disposeVariables();
}

await main();
process.exit(0);
