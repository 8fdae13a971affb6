// Build a standard ONNX model of SRCNN / HighRes-net directly from (ModelConfig, StateDict): no Python, no
// TF.js. NCHW inside the graph (PyTorch's layout), so PyTorch-layout weights go in untouched.
import { SrnetError } from '../errors.js';
import {
  argumentError,
  checkConfigArgument,
  checkObject,
  checkOptionalString,
  checkOptions,
  checkStateDictArgument,
  checkString,
  isRecord,
} from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { firstDifference, modelConfigProblem } from '../models/architecture.js';
import { MODEL_KINDS, type ModelConfig, resolveModelConfig } from '../models/config.js';
import type { StateDict, StateTensor } from '../models/state-dict.js';
import { floatAttr, GraphBuilder, tensorValueInfo } from './graph-builder.js';
import { encodeOnnxModel, OnnxDataType, type OnnxModel } from './onnx-proto.js';

/** ONNX opset the exporter targets (default domain). */
export const ONNX_OPSET = 17;
/** ONNX IR version matching {@link ONNX_OPSET}. */
export const ONNX_IR_VERSION = 8;
/** Name of the graph input: `(batch, R, C, height, width)` normalised LR revisits. */
export const ONNX_INPUT_NAME = 'lr';
/** Name of the graph output: `(batch, 1, outChannels, outH, outW)`. */
export const ONNX_OUTPUT_NAME = 'sr';
/** `metadata_props` key holding the JSON ModelConfig the graph was built from. */
export const ONNX_CONFIG_METADATA_KEY = 'worldstrat.srnet.config';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Graph name (default `srnet-<kind>-r<R>`). */
  graphName?: string;
  /** Extra `metadata_props` entries written into the model. */
  metadata?: Record<string, string>;
  /** Producer version string (default the srnet package version). */
  producerVersion?: string;
  /**
   * How the one-slope PReLUs are written (default `LeakyRelu`: the same function, `x ≥ 0 ? x : α·x`, with the
   * slope as its `alpha` attribute; ONNX Runtime fuses it into the preceding Conv, which it cannot do for
   * `PRelu`). `PRelu` keeps the slope as an initializer, for tools that read the weights back from the graph.
   */
  prelu?: 'LeakyRelu' | 'PRelu';
}

/**
 * Candidate state_dict keys for each module: the first present wins (shared modules have several names). The
 * canonical key comes first, as in modelFromStateDict; differing copies are refused in the lookup.
 */
function srcnnFusionPrefixes(): { double: string[]; residual: (i: number) => string[] } {
  return {
    double: ['doubleconv2d.doubleconv2d', 'fusion.0.doubleconv2d'],
    residual: (i) => [
      `residualblocks.${i}.residualblock.doubleconv2d`,
      `fusion.1.${i}.residualblock.doubleconv2d`,
    ],
  };
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Validate the parts of a config the graph depends on. */
export function checkExportableConfig(config: ModelConfig): void {
  checkObject('checkExportableConfig', 'config', config, 'BAD_CONFIG');
  const bad = (what: string) => {
    throw new SrnetError('BAD_CONFIG', `cannot build an ONNX graph: ${what}`, { config });
  };
  if (!MODEL_KINDS.includes(config.kind))
    bad(`kind ${showValue(config.kind)} is not one of ${MODEL_KINDS.join(', ')}`);
  for (const k of ['revisits', 'inChannels', 'outChannels', 'hiddenChannels', 'zoomFactor'] as const) {
    if (!Number.isInteger(config[k]) || config[k] < 1)
      bad(`${k} = ${showValue(config[k])} must be a positive integer`);
  }
  if (!Number.isInteger(config.residualLayers) || config.residualLayers < 0)
    bad(`residualLayers = ${showValue(config.residualLayers)} must be an integer ≥ 0`);
  for (const k of ['kernelSize', 'srKernelSize'] as const) {
    if (!Number.isInteger(config[k]) || config[k] < 1 || config[k] % 2 === 0)
      bad(`${k} = ${showValue(config[k])} must be an odd positive integer ('same' padding)`);
  }
  if (config.hiddenChannels % (config.zoomFactor * config.zoomFactor) !== 0)
    bad(
      `hiddenChannels ${config.hiddenChannels} is not divisible by zoomFactor² = ${config.zoomFactor ** 2}`,
    );
  const size: unknown = config.outputSize;
  const [oh, ow] = Array.isArray(size) ? (size as unknown[]) : [];
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || (oh as number) < 1 || (ow as number) < 1)
    bad(`outputSize ${showValue(size)} must be two positive integers`);
}

/**
 * Export an srnet model (SRCNN or HighRes-net, eval mode) with its weights to ONNX bytes.
 *
 * The graph takes `lr: (batch, R, C, height, width)` float32 (batch, height and width are dynamic) and returns
 * `sr: (batch, 1, outChannels, outH, outW)`. Ops: Pad(reflect), Conv, LeakyRelu (PReLU's one slope as `alpha`;
 * `options.prelu: 'PRelu'` keeps PRelu), Add, Reshape, Transpose, Concat,
 * ConstantOfShape (HighRes-net zero revisits), DepthToSpace (CRD = PyTorch PixelShuffle), Resize (linear,
 * half_pixel), Shape, Unsqueeze; opset {@link ONNX_OPSET}. The config is stored as JSON in the
 * `worldstrat.srnet.config` metadata entry so {@link readOnnxModelInfo} and the ONNX engine can check it.
 * The final resize is plain bilinear, which is upstream's kornia resize as long as it does not shrink
 * (`outputSize ≥ zoomFactor · chip size`, e.g. 50 → 100 → 156); kornia antialiases a shrinking axis with a
 * Gaussian whose size depends on the chip size, and the graph's height and width are dynamic, so srnet's ONNX
 * engines refuse chips whose resize would shrink (`BAD_INPUT_SHAPE`); the TF.js engine runs them exactly.
 *
 * @param config - the model configuration (partial configs are completed with the benchmark defaults).
 * @param stateDict - PyTorch-named weights (`encoder.doubleconv2d.0.weight`, ...), as `stateDictFromSafetensors`
 *   returns; shared modules may appear under any of their names.
 * @returns the serialized ModelProto.
 * @throws SrnetError `BAD_CONFIG`, `MISSING_WEIGHTS` or `MISSHAPED_WEIGHTS` (listing every bad key, or the two
 *   keys of a shared module whose copies differ), `WEIGHTS_DTYPE_MISMATCH` (data that is not a Float32Array),
 *   `NON_FINITE_WEIGHTS` (a NaN/±Inf weight).
 * @example
 * const onnx = exportOnnx(config, stateDict);
 * await writeFileAtomic('highresnet.onnx', onnx);
 */
export function exportOnnx(
  config: Partial<ModelConfig> & Pick<ModelConfig, 'kind'>,
  stateDict: StateDict,
  options: ExportOnnxOptions = {},
): Uint8Array {
  checkConfigArgument('exportOnnx', config);
  checkStateDictArgument('exportOnnx', stateDict);
  options = checkOptions('exportOnnx', options, 'BAD_CONFIG');
  checkOptionalString('exportOnnx', 'options.graphName', options.graphName, 'BAD_CONFIG');
  checkOptionalString('exportOnnx', 'options.producerVersion', options.producerVersion, 'BAD_CONFIG');
  if (options.metadata !== undefined)
    for (const [k, v] of Object.entries(
      checkObject<Record<string, unknown>>('exportOnnx', 'options.metadata', options.metadata, 'BAD_CONFIG'),
    ))
      checkString('exportOnnx', `options.metadata["${k}"]`, v, 'BAD_CONFIG');
  // the config entry is written from `config`; a second one would make the file unreadable (repeated key)
  if (options.metadata !== undefined && Object.hasOwn(options.metadata, ONNX_CONFIG_METADATA_KEY))
    argumentError(
      'exportOnnx',
      `options.metadata["${ONNX_CONFIG_METADATA_KEY}"]`,
      'absent (the config is stored from `config`)',
      options.metadata[ONNX_CONFIG_METADATA_KEY],
      'BAD_CONFIG',
    );
  const cfg = resolveModelConfig(config);
  checkExportableConfig(cfg);
  // the size limits every config reader applies (a graph of gigabytes of weights is a broken config); dropout
  // plays no part in an eval-mode graph
  const tooLarge = modelConfigProblem({ ...cfg, dropout: 0 }, { singleRevisitHighResNet: true });
  if (tooLarge)
    throw new SrnetError(
      'BAD_CONFIG',
      `cannot build an ONNX graph: config.${tooLarge.field} = ${showValue(tooLarge.value)}; expected ${tooLarge.expected}`,
      { field: tooLarge.field },
    );
  if (options.prelu !== undefined && options.prelu !== 'LeakyRelu' && options.prelu !== 'PRelu')
    throw new SrnetError(
      'BAD_CONFIG',
      `export option prelu ${typeof options.prelu === 'string' ? `'${options.prelu}'` : showValue(options.prelu)} must be 'LeakyRelu' or 'PRelu'`,
    );
  const g = new GraphBuilder();
  const missing: string[] = [];
  const misshaped: string[] = [];
  const nonFinite: string[] = [];
  const wrongType: string[] = [];
  const conflicts = new Set<string>();

  // Weight lookup: the first present candidate key, shape-checked; problems are collected and thrown together
  // (a missing or mis-shaped weight yields zeros so the build can go on collecting).
  const lookup = (candidates: string[], shape: number[]): { key: string; data: Float32Array } => {
    const count = shape.reduce((a, b) => a * b, 1);
    const key = candidates.find((k) => stateDict[k] !== undefined);
    if (key === undefined) {
      missing.push(candidates[0] as string);
      return { key: candidates[0] as string, data: new Float32Array(count) };
    }
    const t = stateDict[key] as StateTensor;
    if (
      !isRecord(t) ||
      !Array.isArray(t.shape) ||
      !t.shape.every((d) => typeof d === 'number') ||
      t.data === null ||
      typeof t.data !== 'object' ||
      typeof t.data.length !== 'number'
    ) {
      misshaped.push(`${key}: ${showValue(t)} is not a { shape, data } tensor`);
      return { key, data: new Float32Array(count) };
    }
    const ok = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
    if (!ok || t.data.length !== count) {
      misshaped.push(`${key}: got [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
      return { key, data: new Float32Array(count) };
    }
    // a Float64 past float32's range would be written as ±Inf, a string as NaN
    if (!(t.data instanceof Float32Array)) {
      wrongType.push(`${key} (${(t.data as object).constructor?.name ?? typeof t.data})`);
      return { key, data: new Float32Array(count) };
    }
    for (const other of candidates) {
      const o = stateDict[other];
      if (other === key || !o || o === t || !(o.data instanceof Float32Array) || o.data.length !== count)
        continue;
      const i = firstDifference(t.data, o.data);
      if (i >= 0) conflicts.add(`"${other}" differs from "${key}" at flat index ${i}`);
    }
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) nonFinite.push(`${key}[${bad}] = ${t.data[bad]}`);
    return { key, data: t.data };
  };
  const weight = (candidates: string[], shape: number[]): string => {
    const { key, data } = lookup(candidates, shape);
    return g.float32(key, shape, data);
  };
  const withSuffix = (prefixes: string[], suffix: string) => prefixes.map((p) => `${p}.${suffix}`);

  const k = cfg.kernelSize;
  const hidden = cfg.hiddenChannels;

  // conv (reflect-padded 'same') + optional PReLU.
  const conv = (x: string, prefixes: string[], cin: number, cout: number, ksize: number): string => {
    const w = weight(withSuffix(prefixes, 'weight'), [cout, cin, ksize, ksize]);
    const b = weight(withSuffix(prefixes, 'bias'), [cout]);
    let input = x;
    const p = (ksize - 1) / 2;
    if (p > 0) input = g.node('Pad', [x, g.int64([0, 0, p, p, 0, 0, p, p], 'pads')], { mode: 'reflect' });
    return g.node('Conv', [input, w, b], {
      kernel_shape: [ksize, ksize],
      pads: [0, 0, 0, 0],
      strides: [1, 1],
    });
  };
  const prelu = (x: string, prefixes: string[]): string => {
    const candidates = withSuffix(prefixes, 'weight');
    if (options.prelu === 'PRelu') return g.node('PRelu', [x, weight(candidates, [1])]);
    return g.node('LeakyRelu', [x], { alpha: floatAttr(lookup(candidates, [1]).data[0] as number) });
  };
  // DoubleConv2d: conv → PReLU → (dropout) → conv → PReLU → (dropout); indices 0, 2, 4, 6.
  const doubleConv = (x: string, prefixes: string[], cin: number, cout: number): string => {
    let y = conv(x, withSuffix(prefixes, '0'), cin, cout, k);
    y = prelu(y, withSuffix(prefixes, '2'));
    y = conv(y, withSuffix(prefixes, '4'), cout, cout, k);
    return prelu(y, withSuffix(prefixes, '6'));
  };
  const residual = (x: string, prefixes: string[], c: number): string =>
    g.node('Add', [x, doubleConv(x, prefixes, c, c)]);

  // Dynamic dimensions of the input.
  const x = ONNX_INPUT_NAME;
  const batchDim = g.node('Shape', [x], { start: 0, end: 1 }, 'batch_dim');
  const hwDims = g.node('Shape', [x], { start: 3, end: 5 }, 'hw_dims');
  const shapeOf = (head: string[], fixed: number[]): string =>
    g.node('Concat', [...head, g.int64(fixed, 'dims'), hwDims], { axis: 0 });

  const R = cfg.revisits;
  // (B, R, C, H, W) → (B·R, C, H, W) → encoder.
  const flat = g.node('Reshape', [x, shapeOf([], [-1, cfg.inChannels])]);
  const encoded = doubleConv(flat, ['encoder.doubleconv2d'], cfg.inChannels, hidden);

  let fused: string;
  if (cfg.kind === 'srcnn') {
    // Revisit-major channel packing: channel index r·hidden + c.
    const packed = g.node('Reshape', [encoded, shapeOf([batchDim], [R * hidden])]);
    const names = srcnnFusionPrefixes();
    let y = doubleConv(packed, names.double, R * hidden, hidden);
    for (let i = 0; i < cfg.residualLayers; i++) y = residual(y, names.residual(i), hidden);
    fused = y;
  } else {
    // RecursiveFusion: pad to a power of two with zero revisits, then one shared FusionBlock per level,
    // pairing revisit r with r + R'/2.
    const P = nextPowerOfTwo(R);
    let y = encoded; // (B·R', hidden, H, W), batch-major
    if (P > R) {
      const five = g.node('Reshape', [y, shapeOf([batchDim], [R, hidden])]);
      const zerosShape = shapeOf([batchDim], [P - R, hidden]);
      const zeros = g.node('ConstantOfShape', [zerosShape], {
        value: { tensor: { dims: [1], dataType: OnnxDataType.FLOAT, floatData: [0] } },
      });
      const padded = g.node('Concat', [five, zeros], { axis: 1 });
      y = g.node('Reshape', [padded, shapeOf([], [-1, hidden])]);
    }
    const fuse = 'fusion.fusion.0.fuse';
    const alt = (i: number) => [0, 1, 2, 3, 4, 5, 6, 7].map((l) => `fusion.fusion.${l}.fuse.${i}`);
    const resPrefixes = [0, 1, 2, 3, 4, 5, 6, 7].map(
      (l) => `fusion.fusion.${l}.fuse.0.residualblock.doubleconv2d`,
    );
    for (let r = P; r > 1; r /= 2) {
      const half = r / 2;
      const six = g.node('Reshape', [y, shapeOf([batchDim], [2, half, hidden])]);
      const paired = g.node('Transpose', [six], { perm: [0, 2, 1, 3, 4, 5] });
      const cat = g.node('Reshape', [paired, shapeOf([], [-1, 2 * hidden])]);
      const res = residual(cat, resPrefixes, 2 * hidden);
      const c = conv(res, [`${fuse}.1`, ...alt(1)], 2 * hidden, hidden, k);
      y = prelu(c, [`${fuse}.3`, ...alt(3)]);
    }
    fused = y; // (B, hidden, H, W)
  }

  // PixelShuffleBlock: DepthToSpace (CRD) → conv → PReLU → conv → PReLU.
  const zoom = cfg.zoomFactor;
  const shuffled = g.node('DepthToSpace', [fused], { blocksize: zoom, mode: 'CRD' });
  const c2 = hidden / (zoom * zoom);
  let sr = conv(shuffled, ['sr.upsample.1'], c2, c2, cfg.srKernelSize);
  sr = prelu(sr, ['sr.upsample.3']);
  sr = conv(sr, ['sr.upsample.4'], c2, cfg.outChannels, cfg.srKernelSize);
  sr = prelu(sr, ['sr.upsample.6']);

  // Bilinear, half-pixel resize to outputSize, then the singleton revisit axis.
  const [outH, outW] = cfg.outputSize;
  const bc = g.node('Shape', [sr], { start: 0, end: 2 }, 'bc_dims');
  const sizes = g.node('Concat', [bc, g.int64([outH, outW], 'out_hw')], { axis: 0 });
  const resized = g.node('Resize', [sr, '', '', sizes], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
  g.node('Unsqueeze', [resized, g.int64([1], 'axes')], {}, ONNX_OUTPUT_NAME);

  throwWeightProblems(cfg, missing, misshaped, nonFinite);
  throwCopyProblems(wrongType, [...conflicts]);
  return encodeOnnxModel(modelProto(g, cfg, options));
}

/** Weights that are not Float32Array, or shared modules whose copies differ, as one typed error each. */
function throwCopyProblems(wrongType: string[], conflicts: string[]): void {
  if (wrongType.length > 0)
    throw new SrnetError(
      'WEIGHTS_DTYPE_MISMATCH',
      `state_dict weights must be Float32Array: ${wrongType.join(', ')}`,
      { tensors: wrongType },
    );
  if (conflicts.length > 0)
    throw new SrnetError(
      'MISSHAPED_WEIGHTS',
      `state_dict holds differing copies of a shared module (upstream stores them as one tensor): ${conflicts.join('; ')}`,
      { conflicting: conflicts },
    );
}

/** Every weight problem the graph build collected, as one typed error. */
function throwWeightProblems(
  cfg: ModelConfig,
  missing: string[],
  misshaped: string[],
  nonFinite: string[],
): void {
  if (missing.length > 0 || misshaped.length > 0) {
    const parts = [];
    if (missing.length) parts.push(`missing ${missing.length}: ${missing.join(', ')}`);
    if (misshaped.length) parts.push(`mis-shaped ${misshaped.length}: ${misshaped.join('; ')}`);
    throw new SrnetError(
      missing.length ? 'MISSING_WEIGHTS' : 'MISSHAPED_WEIGHTS',
      `state_dict does not fit ${cfg.kind} R=${cfg.revisits} (hidden ${cfg.hiddenChannels}): ${parts.join(' | ')}; export the weights of a model with this config`,
      { missing, misshaped },
    );
  }
  // A NaN/Inf weight would export a graph whose every output is NaN.
  if (nonFinite.length > 0)
    throw new SrnetError(
      'NON_FINITE_WEIGHTS',
      `state_dict holds non-finite weights (${nonFinite.join(', ')}); export the weights of a model that trained without diverging`,
      { nonFinite },
    );
}

/** The ModelProto around the built graph: dynamic batch/height/width in, fixed output size out, config metadata. */
function modelProto(g: GraphBuilder, cfg: ModelConfig, options: ExportOnnxOptions): OnnxModel {
  const R = cfg.revisits;
  const [outH, outW] = cfg.outputSize;
  const graph = g.build(
    options.graphName ?? `srnet-${cfg.kind}-r${R}`,
    [tensorValueInfo(ONNX_INPUT_NAME, ['batch', R, cfg.inChannels, 'height', 'width'])],
    [tensorValueInfo(ONNX_OUTPUT_NAME, ['batch', 1, cfg.outChannels, outH, outW])],
    `${cfg.kind} with ${R} revisits, exported by @worldstrat/srnet`,
  );
  return {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: '@worldstrat/srnet',
    producerVersion: options.producerVersion ?? '0.1.0',
    graph,
    metadataProps: [
      { key: ONNX_CONFIG_METADATA_KEY, value: JSON.stringify({ ...cfg, dropout: cfg.dropout }) },
      ...Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    ],
  };
}
