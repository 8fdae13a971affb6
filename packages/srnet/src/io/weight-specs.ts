// TF.js weight specs (`weightsManifest[0].weights`) checked before anything is read or decoded by them: tf.io
// throws plain errors on bad specs, or reads past a short buffer. No TF.js import: the Node file handler sizes
// its reads from these checks before TF.js is involved.
import type * as tf from '@tensorflow/tfjs-core';
import { SrnetError, type SrnetErrorCode } from '../errors.js';
import { showValue } from '../internal/show-value.js';

/** Most dimensions of one weight (srnet's are rank 1 or 4). */
const MAX_WEIGHT_RANK = 8;

type Fail = (where: string, message: string, code?: SrnetErrorCode) => never;

/** Where one weight's bytes lie in the concatenated weight data. */
interface Span {
  key: string;
  start: number;
  end: number;
}

/** Throws `BAD_CHECKPOINT` (or `code`) as `<name>: <where> <message>`. */
function failFor(name: string): Fail {
  return (where, message, code = 'BAD_CHECKPOINT') => {
    throw new SrnetError(code, `${name}: ${where} ${message}`, { file: name, where });
  };
}

/** One spec `{ name, shape, dtype: 'float32' }` (unquantized), checked; returns its byte size. */
function specBytes(spec: unknown, i: number, fail: Fail): { key: string; size: number } {
  const where = `weightSpecs[${i}]`;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    fail(where, `= ${showValue(spec)}; expected { name, shape, dtype }`);
  const { name: key, shape, dtype, quantization } = spec as Record<string, unknown>;
  if (typeof key !== 'string') fail(`${where}.name`, `= ${showValue(key)}; expected a string`);
  if (
    !Array.isArray(shape) ||
    shape.length > MAX_WEIGHT_RANK ||
    !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
  )
    fail(`${where}.shape`, `= ${showValue(shape)}; expected up to ${MAX_WEIGHT_RANK} whole numbers ≥ 0`);
  if (dtype !== 'float32')
    fail(
      `${where}.dtype`,
      `(weight ${showValue(key)}) is ${typeof dtype === 'string' ? dtype : showValue(dtype)}; the model expects float32`,
      'WEIGHTS_DTYPE_MISMATCH',
    );
  if (quantization !== undefined)
    fail(`${where}.quantization`, 'is set; srnet artifacts hold unquantized float32 weights');
  return { key: key as string, size: 4 * (shape as number[]).reduce((a, b) => a * b, 1) };
}

/** Every spec checked; where each weight lies in the data. */
function specSpans(specs: unknown, fail: Fail): Span[] {
  if (!Array.isArray(specs)) fail('weightSpecs', `= ${showValue(specs)}; expected an array`);
  let bytes = 0;
  return (specs as unknown[]).map((spec, i) => {
    const { key, size } = specBytes(spec, i, fail);
    bytes += size;
    return { key, start: bytes - size, end: bytes };
  });
}

/**
 * The bytes the weight specs describe, each spec checked: what the weights files must hold, known before they
 * are read.
 *
 * @param specs - `weightsManifest[0].weights` as read from model.json.
 * @param name - the file named in errors.
 * @throws SrnetError `BAD_CHECKPOINT` (a malformed spec), `WEIGHTS_DTYPE_MISMATCH` (not float32)
 */
export function weightSpecsBytes(specs: unknown, name: string): number {
  const spans = specSpans(specs, failFor(name));
  return spans.length === 0 ? 0 : (spans[spans.length - 1] as Span).end;
}

/**
 * Each weight spec is `{ name, shape, dtype: 'float32' }` (unquantized) and together they cover the weight data
 * byte for byte; a weight name given twice holds the same bytes both times.
 *
 * @throws SrnetError `BAD_CHECKPOINT` naming `name` and the member, `WEIGHTS_DTYPE_MISMATCH`
 */
export function checkWeightSpecs(specs: unknown, data: tf.io.WeightData, name: string): void {
  const fail = failFor(name);
  const spans = specSpans(specs, fail);
  const bytes = spans.length === 0 ? 0 : (spans[spans.length - 1] as Span).end;
  const parts = Array.isArray(data) ? data : [data];
  const have = parts.reduce((n, b) => n + (b as ArrayBuffer).byteLength, 0);
  if (bytes !== have) fail('weightData', `holds ${have} bytes but weightSpecs describe ${bytes}`);
  checkRepeatedWeights(spans, parts as ArrayBuffer[], fail);
}

/**
 * A weight name given twice must hold the same bytes both times: tf.io keeps the last copy, so differing copies
 * would load whichever came last without a word.
 */
function checkRepeatedWeights(spans: Span[], parts: ArrayBuffer[], fail: Fail): void {
  const first = new Map<string, number>();
  let all: Uint8Array | undefined;
  spans.forEach((span, i) => {
    const j = first.get(span.key);
    if (j === undefined) {
      first.set(span.key, i);
      return;
    }
    all ??= concatBytes(parts);
    const a = all.subarray((spans[j] as Span).start, (spans[j] as Span).end);
    const b = all.subarray(span.start, span.end);
    if (a.length !== b.length || a.some((v, k) => v !== b[k]))
      fail(
        `weightSpecs[${i}]`,
        `repeats the weight name ${showValue(span.key)} of weightSpecs[${j}] with other values; keep one copy`,
      );
  });
}

function concatBytes(parts: ArrayBuffer[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}
