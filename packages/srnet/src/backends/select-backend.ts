// Backend selection with reasons: tfjs-node-gpu (optional peer, Node only) → webgpu (Dawn via the `webgpu`
// package in Node, navigator.gpu in browsers) → webgl (browsers only) → wasm (default on CPU, with srnet's training
// kernels) → cpu (pure JS). In a browser the Node-only packages are never imported.
// Only tfjs-core is imported statically: each backend package registers itself when selectBackend imports it,
// so importing srnet (sideEffects: false) pulls no engine into a bundle.
import * as tf from '@tensorflow/tfjs-core';
import { SrnetError } from '../errors.js';
import { showValue } from '../internal/show-value.js';
import { registerWasmTrainingKernels } from './wasm/register-wasm-training-kernels.js';

/**
 * Re-throws a failed import. Attached to the optional peers' imports so that bundlers treat them as handled:
 * esbuild then leaves an optional backend that an app does not install for run time instead of failing the build.
 */
function rethrow(error: unknown): never {
  throw error;
}

/** The TF.js version srnet's peer dependencies pin (install hints name it). */
const TFJS_VERSION = '4.22.0';

/** Backends srnet can select. `tfjs-node-gpu` maps to TF.js backend 'tensorflow'. */
export const BACKEND_NAMES = ['tfjs-node-gpu', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
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
  /** Set when `auto` landed on the slow pure-JS cpu backend: says so and why every faster one failed. */
  warning?: string;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** auto: accept tfjs-node-gpu even when it runs on CPU (default false: skip it then). */
  acceptTfjsNodeCpu?: boolean;
  /** Accept a software WebGPU adapter (e.g. Mesa lavapipe) in auto mode (default false). */
  acceptSoftwareGpu?: boolean;
  /** Custom module loader (tests / bundlers); default is dynamic `import()`. */
  importModule?: (specifier: string) => Promise<unknown>;
  /**
   * Where the wasm backend fetches its `.wasm` files: a URL prefix ending in '/' or a map from file name
   * (`tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm`, `tfjs-backend-wasm-threaded-simd.wasm`) to URL.
   * Default: next to the script (browsers) or the installed package (Node). Applied before the first wasm start.
   */
  wasmPaths?: string | Record<string, string>;
}

/** Whether this runs under Node (not a browser or worker). */
function inNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * Imports a backend package. Literal specifiers let bundlers split each backend into its own chunk; a custom
 * `importModule` (tests, unusual bundlers) replaces them.
 */
function importBackend(
  opts: SelectBackendOptions,
  pkg: string,
  literal: () => Promise<unknown>,
): Promise<unknown> {
  return opts.importModule ? opts.importModule(pkg) : literal();
}

/**
 * Starts a registered TF.js backend and returns why it failed. `tf.setBackend` only answers false (the cause goes
 * to a console warning), so its factory is wrapped for the call to keep the real error.
 */
async function startBackend(name: string): Promise<string | undefined> {
  const entry = tf.engine().registryFactory[name];
  if (!entry) return `no "${name}" backend is registered`;
  const original = entry.factory;
  let cause: unknown;
  const keep = (e: unknown) => {
    cause = e;
    throw e;
  };
  entry.factory = () => {
    try {
      const made = original();
      return made instanceof Promise ? made.catch(keep) : made;
    } catch (e) {
      return keep(e);
    }
  };
  try {
    if (await tf.setBackend(name)) return undefined;
    return cause === undefined ? `the "${name}" backend failed to initialise` : firstLine(cause);
  } catch (e) {
    return firstLine(e);
  } finally {
    entry.factory = original;
  }
}

const dynamicImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

async function tryTfjsNodeGpu(opts: SelectBackendOptions): Promise<BackendAttempt & { cuda?: boolean }> {
  if (!inNode())
    return {
      backend: 'tfjs-node-gpu',
      available: false,
      reason: 'unavailable: tfjs-node-gpu runs only in Node',
    };
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
    if (!inNode())
      return {
        backend: 'webgpu',
        available: false,
        reason: 'unavailable: this browser exposes no navigator.gpu (WebGPU disabled or unsupported)',
      };
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
    await importBackend(opts, '@tensorflow/tfjs-backend-webgpu', () =>
      import('@tensorflow/tfjs-backend-webgpu').catch(rethrow),
    );
  } catch (e) {
    return {
      backend: 'webgpu',
      available: false,
      reason: `unavailable: @tensorflow/tfjs-backend-webgpu failed to load (${firstLine(e)}); install it with \`npm install @tensorflow/tfjs-backend-webgpu@${TFJS_VERSION}\``,
    };
  }
  const failed = await startBackend('webgpu');
  if (failed)
    return {
      backend: 'webgpu',
      available: false,
      reason: `unavailable: webgpu backend failed to initialise on ${desc} (${failed})`,
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

async function tryWebgl(opts: SelectBackendOptions): Promise<BackendAttempt> {
  if (inNode())
    return { backend: 'webgl', available: false, reason: 'unavailable: WebGL needs a browser (not Node)' };
  const missing = await loadBackendPackage(
    () =>
      importBackend(opts, '@tensorflow/tfjs-backend-webgl', () =>
        import('@tensorflow/tfjs-backend-webgl').catch(rethrow),
      ),
    '@tensorflow/tfjs-backend-webgl',
  );
  if (missing) return { backend: 'webgl', available: false, reason: missing };
  const failed = await startBackend('webgl');
  if (failed)
    return {
      backend: 'webgl',
      available: false,
      reason: `unavailable: webgl backend failed to initialise (${failed})`,
    };
  return { backend: 'webgl', available: true, reason: 'WebGL 2 (inference; reads must be async)' };
}

const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * In a browser, emscripten only says "fetching of the wasm failed": fetch the candidate files to name the URL
 * and status that broke the start.
 */
async function probeWasmFiles(wasmPaths: SelectBackendOptions['wasmPaths']): Promise<string> {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  const urls =
    wasmPaths === undefined
      ? []
      : typeof wasmPaths === 'string'
        ? WASM_FILES.map((f) => `${wasmPaths}${f}`)
        : Object.values(wasmPaths);
  const bad: string[] = [];
  for (const u of urls.slice(0, 8)) {
    let url = u;
    try {
      url = new URL(u, base).href;
      const res = await fetch(url, { method: 'HEAD' });
      if (!res.ok) bad.push(`${url} → HTTP ${res.status}`);
    } catch (e) {
      bad.push(`${url} → ${firstLine(e)}`);
    }
  }
  return bad.length ? `; not loadable: ${bad.join(', ')}` : '';
}

/** The wasmPaths last handed to the wasm package (it accepts them only before its first start). */
let appliedWasmPaths: string | undefined;

async function tryWasm(opts: SelectBackendOptions): Promise<BackendAttempt> {
  // The backend package must register its kernels before srnet overrides Conv2DBackpropInput.
  let mod: { setWasmPaths?: (p: string | Record<string, string>, cdn?: boolean) => void } | undefined;
  const missing = await loadBackendPackage(async () => {
    mod = (await importBackend(
      opts,
      '@tensorflow/tfjs-backend-wasm',
      () => import('@tensorflow/tfjs-backend-wasm'),
    )) as typeof mod;
  }, '@tensorflow/tfjs-backend-wasm');
  if (missing) return { backend: 'wasm', available: false, reason: missing };
  const pathsKey = JSON.stringify(opts.wasmPaths);
  if (opts.wasmPaths !== undefined && !tf.findBackend('wasm') && pathsKey !== appliedWasmPaths) {
    try {
      mod?.setWasmPaths?.(opts.wasmPaths);
      appliedWasmPaths = pathsKey;
    } catch (e) {
      return {
        backend: 'wasm',
        available: false,
        reason: `unavailable: wasmPaths ${pathsKey} cannot be applied after a wasm start was attempted (${firstLine(e)})`,
      };
    }
  }
  registerWasmTrainingKernels();
  const failed = await startBackend('wasm');
  if (failed) {
    const where = opts.wasmPaths === undefined ? '' : ` from wasmPaths ${JSON.stringify(opts.wasmPaths)}`;
    const missingFiles = inNode() ? '' : await probeWasmFiles(opts.wasmPaths);
    return {
      backend: 'wasm',
      available: false,
      reason: `unavailable: wasm backend failed to initialise${where} (${failed})${missingFiles}`,
    };
  }
  const threads = inNode()
    ? 'single thread in Node'
    : 'single thread unless the page is cross-origin isolated';
  return {
    backend: 'wasm',
    available: true,
    reason: `WebAssembly SIMD (${threads}) with srnet Conv2DBackpropFilter + stride-1 Conv2DBackpropInput registered`,
  };
}

async function tryCpu(opts: SelectBackendOptions): Promise<BackendAttempt> {
  const missing = await loadBackendPackage(
    () => importBackend(opts, '@tensorflow/tfjs-backend-cpu', () => import('@tensorflow/tfjs-backend-cpu')),
    '@tensorflow/tfjs-backend-cpu',
  );
  if (missing) return { backend: 'cpu', available: false, reason: missing };
  // through startBackend: a backend unregistered after its package was imported makes tf.setBackend throw
  const failed = await startBackend('cpu');
  return {
    backend: 'cpu',
    available: failed === undefined,
    reason: failed === undefined ? 'pure JavaScript (slowest; reference results)' : `unavailable: ${failed}`,
  };
}

/**
 * Select and activate a TF.js backend, reporting what was tried and why. `auto` tries tfjs-node-gpu (Node, only if
 * CUDA is really in use), then a hardware WebGPU adapter, then WebGL (browsers), then wasm, then cpu; landing on
 * cpu sets `warning`.
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
  const done = (a: BackendAttempt & { cuda?: boolean }, why: string, warning?: string): BackendSelection => ({
    backend: a.backend,
    tfBackend: tf.getBackend(),
    reason: why,
    attempts,
    ...(a.cuda !== undefined ? { cudaInUse: a.cuda } : {}),
    ...(warning !== undefined ? { warning } : {}),
  });
  const auto = preference === 'auto';
  // auto skips what cannot exist here: tfjs-node-gpu outside Node, WebGL inside it.
  const order: BackendName[] = auto
    ? BACKEND_NAMES.filter((n) => (inNode() ? n !== 'webgl' : n !== 'tfjs-node-gpu'))
    : [preference];
  if (!auto && !BACKEND_NAMES.includes(preference)) {
    throw new SrnetError(
      'BACKEND_UNAVAILABLE',
      `unknown backend ${showValue(preference)}; use one of auto, ${BACKEND_NAMES.join(', ')}`,
    );
  }
  for (const name of order) {
    const a = await tryOne(name, options, auto);
    attempts.push(a);
    if (a.available) {
      if (name === 'tfjs-node-gpu' && tf.getBackend() !== 'tensorflow') await tf.setBackend('tensorflow');
      if (!auto) return done(a, `requested: ${a.reason}`);
      const warning =
        name === 'cpu'
          ? `auto fell back to the slow pure-JavaScript cpu backend: ${attempts
              .slice(0, -1)
              .map((t) => `${t.backend}: ${t.reason}`)
              .join('; ')}`
          : undefined;
      return done(a, `auto: ${name} is the first usable backend (${warning ?? a.reason})`, warning);
    }
  }
  const why = attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ');
  throw new SrnetError('BACKEND_UNAVAILABLE', `backend ${preference} is not usable: ${why}`, { attempts });
}

function tryOne(name: BackendName, options: SelectBackendOptions, auto: boolean): Promise<BackendAttempt> {
  switch (name) {
    case 'tfjs-node-gpu':
      return tryTfjsNodeGpu(options);
    case 'webgpu':
      return tryWebgpu(options, auto);
    case 'webgl':
      return tryWebgl(options);
    case 'wasm':
      return tryWasm(options);
    default:
      return tryCpu(options);
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] as string;
}
