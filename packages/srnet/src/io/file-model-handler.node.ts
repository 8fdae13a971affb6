// A Node tf.io handler (tfjs-node's file:// is not installable here): `<dir>/model.json` + the weights file it
// names. model.json is the one commit point of a save: the weights go to a new, content-named file first, so a
// crash or failure at any step leaves model.json naming a weights file that matches it.
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { readFileBounded, writeFileAtomic } from '@worldstrat/core/node';
import { SrnetError } from '../errors.js';
import { checkString } from '../internal/check-arguments.js';
import { showValue } from '../internal/show-value.js';
import { weightSpecsBytes } from './weight-specs.js';

/** The weights file of model.json written before content-named files (still loaded; replaced on save). */
const LEGACY_WEIGHTS = 'weights.bin';
/** Names of the weights files this handler writes: `weights.<16 hex digits of SHA-256>.bin`. */
const OWN_WEIGHTS = /^weights\.[0-9a-f]{16}\.bin$/;

/**
 * tf.io IOHandler that saves to / loads from a directory (for {@link saveModel} / {@link loadModel}).
 *
 * A save writes `weights.<hash>.bin` (named by its content), then replaces `model.json` (which names it)
 * atomically, then deletes the weights file the previous `model.json` named, if this handler wrote it. A loader
 * therefore always sees a matching pair, even after a crash mid-save; a failed save leaves the previous model.
 *
 * @param dir - folder (created on save)
 * @returns the handler; its `source` (the model.json path) is named in loadModel's errors
 * @throws SrnetError `BAD_CONFIG` (on save) when model.json cannot be written as JSON (e.g. a BigInt in the
 *   config); `BAD_CHECKPOINT` (on load) when a file is missing, too large or model.json is malformed
 * @example await saveModel(model, fileModelHandler('out/model')); const m = await loadModel(fileModelHandler('out/model'));
 */
export function fileModelHandler(dir: string): tf.io.IOHandler & { readonly source: string } {
  checkString('fileModelHandler', 'dir', dir, 'BAD_CONFIG');
  const jsonPath = join(dir, 'model.json');
  return {
    source: jsonPath,
    async save(art: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const parts = (
        Array.isArray(art.weightData) ? art.weightData : [art.weightData ?? new ArrayBuffer(0)]
      ).map((b) => new Uint8Array(b as ArrayBuffer));
      const weightsName = contentName(parts);
      const text = modelJsonText(art, weightsName, jsonPath); // before anything touches the disk
      await mkdir(dir, { recursive: true });
      const previous = await referencedWeights(jsonPath);
      await writeFileAtomic(join(dir, weightsName), parts);
      await writeFileAtomic(jsonPath, text); // the commit point
      for (const old of previous)
        if (old !== weightsName && (old === LEGACY_WEIGHTS || OWN_WEIGHTS.test(old)))
          await rm(join(dir, old), { force: true }).catch(() => undefined); // a leftover is harmless
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: parts.reduce((n, p) => n + p.byteLength, 0),
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = parseModelJson(await readArtifact(jsonPath, MAX_MODEL_JSON_BYTES), jsonPath);
      const files = (json.paths as string[]).map((name) => join(dir, name));
      const sizes = await weightFileSizes(files, weightSpecsBytes(json.weights, jsonPath), jsonPath);
      const parts: Buffer[] = [];
      // each read bounded by the size checked: a file that grew since is refused, not read in full
      for (const [i, file] of files.entries()) parts.push(await readArtifact(file, sizes[i] as number));
      const bin = Buffer.concat(parts);
      return {
        format: json.format as string,
        generatedBy: json.generatedBy as string,
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        weightSpecs: json.weights as tf.io.WeightsManifestEntry[],
        weightData: new Uint8Array(bin).buffer as ArrayBuffer,
      };
    },
  };
}

/** `weights.<first 16 hex digits of the SHA-256 of the bytes>.bin`: a new save never overwrites the live file. */
function contentName(parts: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return `weights.${hash.digest('hex').slice(0, 16)}.bin`;
}

/** model.json's text naming `weightsName`; a config JSON cannot write (a BigInt, a cycle) is BAD_CONFIG. */
function modelJsonText(art: tf.io.ModelArtifacts, weightsName: string, jsonPath: string): string {
  const json = {
    format: art.format,
    generatedBy: art.generatedBy,
    modelTopology: art.modelTopology,
    weightsManifest: [{ paths: [weightsName], weights: art.weightSpecs }],
  };
  try {
    return JSON.stringify(json);
  } catch (cause) {
    throw new SrnetError(
      'BAD_CONFIG',
      `${jsonPath}: cannot write the model as JSON (${(cause as Error).message}); the model config holds a value JSON cannot store — nothing was written`,
      { file: jsonPath },
      { cause },
    );
  }
}

/** The weights files the current model.json names (none when it is absent or unreadable). */
async function referencedWeights(jsonPath: string): Promise<string[]> {
  try {
    return parseModelJson(await readArtifact(jsonPath, MAX_MODEL_JSON_BYTES), jsonPath).paths as string[];
  } catch {
    return [];
  }
}

/** Largest model.json read (srnet's is a few KiB: the config and one spec per weight). */
const MAX_MODEL_JSON_BYTES = 16 << 20;
/** Largest weights file read (Node's own limit for one readFile). */
const MAX_WEIGHTS_BYTES = 2 ** 31 - 1;

/**
 * The weights files' sizes (stat; nothing read yet): together they must hold exactly the `expected` bytes the
 * weight specs describe, at most {@link MAX_WEIGHTS_BYTES}, so a model.json cannot make the loader read more.
 */
async function weightFileSizes(files: string[], expected: number, jsonPath: string): Promise<number[]> {
  const fail = (message: string): never => {
    throw new SrnetError('BAD_CHECKPOINT', `${jsonPath}: weightData ${message}; nothing was read`, {
      file: jsonPath,
      where: 'weightData',
    });
  };
  const sizes: number[] = [];
  // distinct names may still be one file (hard or symbolic links): it would be read once per name
  const seen = new Map<string, number>();
  for (const [i, file] of files.entries()) {
    const { size, identity } = await artifactStat(file);
    const first = seen.get(identity);
    if (first !== undefined)
      fail(
        `file ${file} (weightsManifest[0].paths[${i}]) is the file paths[${first}] names too (a link to it)`,
      );
    seen.set(identity, i);
    sizes.push(size);
  }
  const have = sizes.reduce((a, b) => a + b, 0);
  if (have !== expected)
    fail(
      `holds ${have} bytes in ${files.length} file(s) (weightsManifest[0].paths) but weightSpecs describe ${expected}`,
    );
  if (have > MAX_WEIGHTS_BYTES) fail(`holds ${have} bytes, more than the ${MAX_WEIGHTS_BYTES}-byte limit`);
  return sizes;
}

/**
 * A file's size in bytes and identity (device and inode, links followed), or BAD_CHECKPOINT naming it when it cannot
 * be examined (missing, unreadable).
 */
async function artifactStat(path: string): Promise<{ size: number; identity: string }> {
  try {
    const st = await stat(path, { bigint: true });
    return { size: Number(st.size), identity: `${st.dev}:${st.ino}` };
  } catch (cause) {
    const missing = (cause as { code?: unknown }).code === 'ENOENT';
    const why = missing ? 'does not exist' : `cannot be examined (${(cause as Error).message})`;
    throw new SrnetError('BAD_CHECKPOINT', `model artifact ${path} ${why}`, { file: path }, { cause });
  }
}

async function readArtifact(path: string, limit: number): Promise<Buffer> {
  try {
    return await readFileBounded(path, { maxBytes: limit, what: 'model artifact' });
  } catch (cause) {
    throw new SrnetError('BAD_CHECKPOINT', (cause as Error).message, { file: path }, { cause });
  }
}

/**
 * model.json's members loadModel reads; the weight specs are `weightsManifest[0].weights` and the weights files
 * `weightsManifest[0].paths` (file names inside the folder; absent: `weights.bin`, as older saves wrote).
 */
function parseModelJson(bytes: Buffer, path: string): Record<string, unknown> {
  const fail = (where: string, message: string): never => {
    throw new SrnetError('BAD_CHECKPOINT', `${path}: ${where} ${message}`, { file: path, where });
  };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    return fail('document', `is not JSON (${(cause as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return fail('document', 'must be a JSON object with modelTopology and weightsManifest');
  const doc = json as Record<string, unknown>;
  const manifest = doc.weightsManifest;
  const group = Array.isArray(manifest) ? (manifest[0] as unknown) : undefined;
  if (manifest !== undefined && (group === null || typeof group !== 'object' || Array.isArray(group)))
    fail('weightsManifest', 'must be an array holding one { paths, weights } group');
  const weights = (group as { weights?: unknown } | undefined)?.weights ?? [];
  const paths = (group as { paths?: unknown } | undefined)?.paths ?? [LEGACY_WEIGHTS];
  // file names only: a model.json must not make the loader read files outside its folder
  if (
    !Array.isArray(paths) ||
    paths.length === 0 ||
    !paths.every((p) => typeof p === 'string' && p !== '' && p !== '.' && p !== '..' && basename(p) === p)
  )
    fail('weightsManifest[0].paths', `= ${showValue(paths)}; expected file names in the model's folder`);
  const repeat = repeatedName(paths as string[]);
  if (repeat)
    fail(
      `weightsManifest[0].paths[${repeat.at}]`,
      `names ${showValue(repeat.name)} again (as paths[${repeat.first}]); name each weights file once`,
    );
  return { ...doc, weights, paths };
}

/**
 * The first name given twice: it would be read (and held) twice, so a few KiB of JSON naming one file hundreds of
 * times asked for gigabytes.
 */
function repeatedName(names: string[]): { name: string; at: number; first: number } | undefined {
  const seen = new Map<string, number>();
  for (const [at, name] of names.entries()) {
    const first = seen.get(name);
    if (first !== undefined) return { name, at, first };
    seen.set(name, at);
  }
  return undefined;
}
