// What a trained model's weights depend on: the model, the data (files, splits) and every training setting that
// changes the weights or the recorded history. `trainModel` writes it into each history file; a resumed
// benchmark reuses finished weights only for the same recipe, and continues a checkpoint only when nothing but
// the step budget differs. Settings that give the same model within float rounding (backend, micro-batches,
// data-parallel workers, checkpoint frequency) are not part of it.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SceneEntry, SplitMode, WorldStratDataset } from '@worldstrat/dataset/node';
import type { RegistrationMode } from '@worldstrat/metrics';
import type { ModelConfig } from '@worldstrat/srnet';
import { syntheticOptions } from './synthetic-record.node.js';

/** The settings a training run's result depends on (see the file header). */
export interface TrainRecipe {
  config: ModelConfig;
  /** The data trained on: a hash of the dataset's tables, generation record and train/val scenes. */
  dataset: string;
  splitMode: SplitMode;
  seed: number;
  batchSize: number;
  learningRate: number;
  cosineT0: number | false;
  cosineDecaySteps: number | null;
  lossMode: RegistrationMode;
  validate: boolean;
  /** The step budget: optimiser steps the run ends at (epochs × steps per epoch, or fewer with maxSteps). */
  steps: number;
}

/** Display names of the recipe's members (the CLI's flags where it has one). */
const LABELS: Record<keyof TrainRecipe, string> = {
  config: 'model (kind, revisits, width, dropout…)',
  dataset: 'dataset (tables, generation record or train/val scenes)',
  splitMode: 'split mode',
  seed: '--seed',
  batchSize: '--batch-size',
  learningRate: '--lr',
  cosineT0: '--cosine-t0',
  cosineDecaySteps: '--lr-decay-steps',
  lossMode: '--loss-mode',
  validate: 'validation',
  steps: 'steps (--steps / --epochs)',
};

/** Members shown with their two values (the others are long or opaque). */
const SHOWN: ReadonlySet<keyof TrainRecipe> = new Set([
  'seed',
  'batchSize',
  'learningRate',
  'cosineT0',
  'cosineDecaySteps',
  'lossMode',
  'validate',
  'steps',
]);

/**
 * What differs between a recorded recipe and the wanted one, one entry per member (`--lr 0.0001 → 0.01`).
 *
 * @param had - the recipe a history file recorded (anything: an older file has none).
 * @param want - this run's recipe.
 * @param withSteps - whether the step budget counts (false: only what continuing a checkpoint cannot change).
 * @returns the differences; empty when the recipes match.
 */
export function recipeDifferences(had: unknown, want: TrainRecipe, withSteps = true): string[] {
  if (had === null || typeof had !== 'object' || Array.isArray(had))
    return ['no training settings recorded (written by an older version)'];
  const old = had as Record<string, unknown>;
  const out: string[] = [];
  for (const key of Object.keys(LABELS) as (keyof TrainRecipe)[]) {
    if (key === 'steps' && !withSteps) continue;
    const a = JSON.stringify(old[key] ?? null);
    const b = JSON.stringify(want[key] ?? null);
    if (a !== b) out.push(SHOWN.has(key) ? `${LABELS[key]} ${a} → ${b}` : LABELS[key]);
  }
  return out;
}

/**
 * The identity of the data a model trains on: the `metadata.csv` rows, a synthetic dataset's generation options
 * (its noise and clouds are not in the tables) and the train/val scene names of the split used.
 *
 * @param dataset - the opened dataset.
 * @param scenes - the train and val scenes the run uses.
 * @returns a 16-hex-digit hash.
 */
export async function datasetFingerprint(
  dataset: WorldStratDataset,
  scenes: { train: readonly SceneEntry[]; val: readonly SceneEntry[] },
): Promise<string> {
  const hash = createHash('sha256');
  const record = join(dataset.root, 'synthetic.json');
  const synthetic = existsSync(record) ? await syntheticOptions(record) : null;
  // `overwrite` says how the folder was written, not what it holds
  if (synthetic) delete synthetic.overwrite;
  hash.update(
    JSON.stringify({
      hrFolder: dataset.hrFolder,
      radiometryDepth: dataset.radiometryDepth,
      synthetic,
      train: scenes.train.map((s) => s.name),
      val: scenes.val.map((s) => s.name),
    }),
  );
  // a table that cannot be read still identifies the dataset by what went wrong (training reports it if it matters)
  const rows = await dataset
    .metadataRows()
    .catch((e: unknown) => [{ unreadable: String((e as Error)?.message) }]);
  for (const row of rows) hash.update(JSON.stringify(row));
  return hash.digest('hex').slice(0, 16);
}
