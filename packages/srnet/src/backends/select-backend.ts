// Backend selection with reasons: tfjs-node-gpu (optional peer) → webgpu (Dawn via the `webgpu` package in Node,
// navigator.gpu in browsers) → wasm (default on CPU, with srnet's training kernels) → cpu (pure JS).
// Only tfjs-core is imported statically: each backend package registers itself when selectBackend imports it,
// so importing srnet (sideEffects: false) pulls no engine into a bundle.
import * as tf from '@tensorflow/tfjs-core';
import { SrnetError } from '../errors.js';
import { registerWasmTrainingKernels } from './wasm/register-wasm-training-kernels.js';

/** The TF.js version srnet's peer dependencies pin (install hints name it). */
const TFJS_VERSION = '4.22.0';

/** Backends srnet can select. `tfjs-node-gpu` maps to TF.js backend 'tensorflow'. */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'webgpu', 'wasm', 'cpu'] as const;
/** One of {@link BACKEND_NAMES}. */
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What {@link selectBackend} accepts. */
export type BackendPreference = 'auto' | BackendName;

/** One backend that was tried. */
export interface BackendAttempt {
  backend: BackendName;
  available: boolean;
  /** Why it was (not) usable, e.g. "unavailable: libvulkan.so.1 missing". */
  reason: string;
}

/** Result of {@link selectBackend}. */
export interface BackendSelection {
  /** The srnet backend chosen. */
  backend: BackendName;
  /** The TF.js backend name now active (`tf.getBackend()`). */
  tfBackend: string;
  /** Why it was chosen. */
  reason: string;
  /** Everything that was tried, in order. */
  attempts: BackendAttempt[];
  /** tfjs-node-gpu only: whether CUDA is really used (it silently falls back to CPU on CUDA ≠ 11.2). */
  cudaInUse?: boolean;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** auto: accept tfjs-node-gpu even when it runs on CPU (default false: skip it then). */
  acceptTfjsNodeCpu?: boolean;
  /** Accept a software WebGPU adapter (e.g. Mesa lavapipe) in auto mode (default false). */
  acceptSoftwareGpu?: boolean;
  /** Custom module loader (tests / bundlers); default is dynamic `import()`. */
  importModule?: (specifier: string) => Promise<unknown>;
}

const dynamicImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

async function tryTfjsNodeGpu(opts: SelectBackendOptions): Promise<BackendAttempt & { cuda?: boolean }> {
  const load = opts.importModule ?? dynamicImport;
  try {
    await load('@tensorflow/tfjs-node-gpu');
  } catch (e) {
    return {
      backend: 'tfjs-node-gpu',
      available: false,
      reason: `unavailable: @tensorflow/tfjs-node-gpu is not installed or failed to load (${firstLine(e)}); install it with CUDA 11.2 + cuDNN 8.1`,
    };
  }
  if (!tf.findBackend('tensorflow') && !tf.findBackendFactory('tensorflow')) {
    return {
      backend: 'tfjs-node-gpu',
      available: false,
      reason:
        'unavailable: tfjs-node-gpu loaded but registered no "tensorflow" backend (it bundles another @tensorflow/tfjs-core instance; dedupe @tensorflow/tfjs to 4.22.0)',
    };
  }
  if (!(await tf.setBackend('tensorflow'))) {
    return {
      backend: 'tfjs-node-gpu',
      available: false,
      reason: 'unavailable: the "tensorflow" backend failed to initialise',
    };
  }
  const b = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  const cuda = b.isUsingGpuDevice === true;
  return {
    backend: 'tfjs-node-gpu',
    available: cuda || opts.acceptTfjsNodeCpu === true,
    cuda,
    reason: cuda
      ? 'libtensorflow reports a CUDA device in use'
      : 'loaded, but libtensorflow runs on CPU (no CUDA 11.2/cuDNN 8.1 found): not a GPU path',
  };
}

async function tryWebgpu(opts: SelectBackendOptions, auto: boolean): Promise<BackendAttempt> {
  const g = globalThis as unknown as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } };
  const load = opts.importModule ?? dynamicImport;
  if (!g.navigator?.gpu) {
    try {
      const mod = (await load('webgpu')) as { create(flags: string[]): unknown; globals: object };
      Object.assign(globalThis, mod.globals);
      const gpu = mod.create([]);
      if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
      else (globalThis as unknown as { navigator: unknown }).navigator = { gpu };
    } catch (e) {
      return {
        backend: 'webgpu',
        available: false,
        reason: `unavailable: no navigator.gpu and the optional 'webgpu' package failed to load (${firstLine(e)}); install it with \`npm install webgpu@0.6.2\``,
      };
    }
  }
  type Adapter = {
    info?: { vendor?: string; architecture?: string; description?: string };
    isFallbackAdapter?: boolean;
  };
  let adapter: Adapter | null;
  try {
    adapter = ((await g.navigator?.gpu?.requestAdapter()) ?? null) as Adapter | null;
  } catch (e) {
    return {
      backend: 'webgpu',
      available: false,
      reason: `unavailable: requestAdapter() threw (${firstLine(e)})`,
    };
  }
  if (!adapter) {
    return {
      backend: 'webgpu',
      available: false,
      reason:
        'unavailable: no WebGPU adapter (Dawn needs Vulkan: install libvulkan1 and a GPU driver ICD, or mesa-vulkan-drivers for lavapipe)',
    };
  }
  const desc =
    [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ') ||
    'unknown adapter';
  const software = adapter.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader/i.test(desc);
  if (software && auto && !opts.acceptSoftwareGpu) {
    return {
      backend: 'webgpu',
      available: false,
      reason: `skipped: software adapter (${desc}) is slower than wasm; pass acceptSoftwareGpu or select 'webgpu' explicitly`,
    };
  }
  try {
    await load('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    return {
      backend: 'webgpu',
      available: false,
      reason: `unavailable: @tensorflow/tfjs-backend-webgpu failed to load (${firstLine(e)}); install it with \`npm install @tensorflow/tfjs-backend-webgpu@${TFJS_VERSION}\``,
    };
  }
  if (!(await tf.setBackend('webgpu')))
    return {
      backend: 'webgpu',
      available: false,
      reason: `unavailable: webgpu backend failed to initialise on ${desc}`,
    };
  return {
    backend: 'webgpu',
    available: true,
    reason: `adapter: ${desc}${software ? ' (software)' : ''}; reads must be async`,
  };
}

/** Imports a backend package (a peer dependency); returns why it failed, with the install command. */
async function loadBackendPackage(load: () => Promise<unknown>, pkg: string): Promise<string | undefined> {
  try {
    await load();
    return undefined;
  } catch (e) {
    return `unavailable: ${pkg} is not installed or failed to load (${firstLine(e)}); install it with \`npm install ${pkg}@${TFJS_VERSION}\``;
  }
}

async function tryWasm(): Promise<BackendAttempt> {
  // The backend package must register its kernels before srnet overrides Conv2DBackpropInput.
  const missing = await loadBackendPackage(
    () => import('@tensorflow/tfjs-backend-wasm'),
    '@tensorflow/tfjs-backend-wasm',
  );
  if (missing) return { backend: 'wasm', available: false, reason: missing };
  registerWasmTrainingKernels();
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('setBackend returned false');
  } catch (e) {
    return {
      backend: 'wasm',
      available: false,
      reason: `unavailable: wasm backend failed to initialise (${firstLine(e)})`,
    };
  }
  return {
    backend: 'wasm',
    available: true,
    reason:
      'WebAssembly SIMD (single thread in Node) with srnet Conv2DBackpropFilter + stride-1 Conv2DBackpropInput registered',
  };
}

async function tryCpu(): Promise<BackendAttempt> {
  const missing = await loadBackendPackage(
    () => import('@tensorflow/tfjs-backend-cpu'),
    '@tensorflow/tfjs-backend-cpu',
  );
  if (missing) return { backend: 'cpu', available: false, reason: missing };
  const ok = await tf.setBackend('cpu');
  return {
    backend: 'cpu',
    available: ok,
    reason: ok ? 'pure JavaScript (slowest; reference results)' : 'unavailable: cpu backend failed',
  };
}

/**
 * Select and activate a TF.js backend, reporting what was tried and why. `auto` tries tfjs-node-gpu (only if
 * CUDA is really in use), then a hardware WebGPU adapter, then wasm, then cpu.
 *
 * @param preference - 'auto' or a backend name
 * @param options - see {@link SelectBackendOptions}
 * @returns the active backend and the reasons
 * @throws SrnetError `BACKEND_UNAVAILABLE` when an explicitly requested backend cannot be used (message says why)
 * @example const { backend, reason } = await selectBackend('auto');
 */
export async function selectBackend(
  preference: BackendPreference = 'auto',
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  const attempts: BackendAttempt[] = [];
  const done = (a: BackendAttempt & { cuda?: boolean }, why: string): BackendSelection => ({
    backend: a.backend,
    tfBackend: tf.getBackend(),
    reason: why,
    attempts,
    ...(a.cuda !== undefined ? { cudaInUse: a.cuda } : {}),
  });
  const auto = preference === 'auto';
  const order: BackendName[] = auto ? [...BACKEND_NAMES] : [preference];
  if (!auto && !BACKEND_NAMES.includes(preference)) {
    throw new SrnetError(
      'BACKEND_UNAVAILABLE',
      `unknown backend "${String(preference)}"; use one of auto, ${BACKEND_NAMES.join(', ')}`,
    );
  }
  for (const name of order) {
    const a =
      name === 'tfjs-node-gpu'
        ? await tryTfjsNodeGpu(options)
        : name === 'webgpu'
          ? await tryWebgpu(options, auto)
          : name === 'wasm'
            ? await tryWasm()
            : await tryCpu();
    attempts.push(a);
    if (a.available) {
      if (name === 'tfjs-node-gpu' && tf.getBackend() !== 'tensorflow') await tf.setBackend('tensorflow');
      return done(
        a,
        auto ? `auto: ${name} is the first usable backend (${a.reason})` : `requested: ${a.reason}`,
      );
    }
  }
  const why = attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ');
  throw new SrnetError('BACKEND_UNAVAILABLE', `backend ${preference} is not usable: ${why}`, { attempts });
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] as string;
}
