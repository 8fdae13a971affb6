// Per-unit result files of stages whose output is data rather than dataset files (catalogue search, SPOT
// orders): `<root>/rebuild/units/<kind>/<unit key>.json`, written atomically, holding the unit key and a
// sha256 of the result. A rerun of the same unit (same stage and parameters) finds a verified file and
// completes without work; a changed, truncated or foreign file is ignored and rewritten.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@worldstrat/core/node';
import { type ExecutorStage, type ExecutorUnit, unitKey } from './executor.js';

/** Largest unit output read back (bytes); a larger file is not ours and is redone. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Where a unit's output lives. */
export function unitOutputPath<P>(
  root: string,
  kind: string,
  stage: ExecutorStage,
  unit: ExecutorUnit<P>,
): string {
  return join(root, 'rebuild', 'units', kind, `${unitKey(stage, unit)}.json`);
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The verified output of an earlier run of this unit, or undefined.
 *
 * @param path - from {@link unitOutputPath}.
 * @param key - the unit key it must carry.
 * @returns the stored result.
 */
export async function readUnitOutput<R>(path: string, key: string): Promise<R | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined || text.length > MAX_OUTPUT_BYTES) return undefined;
  try {
    const o = JSON.parse(text) as { key?: unknown; sha256?: unknown; result?: unknown };
    if (o.key !== key || typeof o.sha256 !== 'string') return undefined;
    return digest(JSON.stringify(o.result)) === o.sha256 ? (o.result as R) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Write a unit's output atomically (temp + rename).
 *
 * @param path - from {@link unitOutputPath}.
 * @param key - the unit key.
 * @param result - JSON-serialisable result.
 */
export async function writeUnitOutput(path: string, key: string, result: unknown): Promise<void> {
  const body = JSON.stringify(result);
  await writeFileAtomic(path, `${JSON.stringify({ key, sha256: digest(body), result: JSON.parse(body) })}\n`);
}
