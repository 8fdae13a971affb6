// A Node tf.io handler (tfjs-node's file:// is not installable here): `<dir>/model.json` + `<dir>/weights.bin`,
// each written atomically.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { readFileBounded, writeFileAtomic } from '@worldstrat/core/node';
import { SrnetError } from '../errors.js';
import { checkString } from '../internal/check-arguments.js';

/**
 * tf.io IOHandler that saves to / loads from a directory (for {@link saveModel} / {@link loadModel}).
 *
 * @param dir - folder (created on save)
 * @returns the handler; its `source` (the model.json path) is named in loadModel's errors
 * @throws SrnetError `BAD_CHECKPOINT` (on load) when a file is missing, too large or model.json is malformed
 * @example await saveModel(model, fileModelHandler('out/model')); const m = await loadModel(fileModelHandler('out/model'));
 */
export function fileModelHandler(dir: string): tf.io.IOHandler & { readonly source: string } {
  checkString('fileModelHandler', 'dir', dir, 'BAD_CONFIG');
  const jsonPath = join(dir, 'model.json');
  return {
    source: jsonPath,
    async save(art: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      await mkdir(dir, { recursive: true });
      const data = art.weightData as ArrayBuffer;
      await writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(data));
      const json = {
        format: art.format,
        generatedBy: art.generatedBy,
        modelTopology: art.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }],
      };
      await writeFileAtomic(jsonPath, JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: data.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = parseModelJson(await readArtifact(jsonPath, MAX_MODEL_JSON_BYTES), jsonPath);
      const bin = await readArtifact(join(dir, 'weights.bin'), MAX_WEIGHTS_BYTES);
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

/** Largest model.json read (srnet's is a few KiB: the config and one spec per weight). */
const MAX_MODEL_JSON_BYTES = 16 << 20;
/** Largest weights.bin read (Node's own limit for one readFile). */
const MAX_WEIGHTS_BYTES = 2 ** 31 - 1;

async function readArtifact(path: string, limit: number): Promise<Buffer> {
  try {
    return await readFileBounded(path, { maxBytes: limit, what: 'model artifact' });
  } catch (cause) {
    throw new SrnetError('BAD_CHECKPOINT', (cause as Error).message, { file: path }, { cause });
  }
}

/** model.json's members loadModel reads; the weight specs are `weightsManifest[0].weights`. */
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
  return { ...doc, weights };
}
