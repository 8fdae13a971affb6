// A Node tf.io handler (tfjs-node's file:// is not installable here): `<dir>/model.json` + `<dir>/weights.bin`,
// each written atomically.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '@worldstrat/core/node';

/**
 * tf.io IOHandler that saves to / loads from a directory (for {@link saveModel} / {@link loadModel}).
 *
 * @param dir - folder (created on save)
 * @example await saveModel(model, fileModelHandler('out/model')); const m = await loadModel(fileModelHandler('out/model'));
 */
export function fileModelHandler(dir: string): tf.io.IOHandler {
  return {
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
      await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: data.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      const bin = await readFile(join(dir, 'weights.bin'));
      const manifest = json.weightsManifest?.[0];
      return {
        format: json.format,
        generatedBy: json.generatedBy,
        modelTopology: json.modelTopology,
        weightSpecs: manifest?.weights ?? [],
        weightData: new Uint8Array(bin).buffer as ArrayBuffer,
      };
    },
  };
}
