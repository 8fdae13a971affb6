// `synthetic.json`, the record `worldstrat synth` writes last into a synthetic dataset: its generation options
// decide whether the demo reuses the dataset, and are part of what a trained model's weights depend on.
import { readInputText } from './read-input.node.js';

/**
 * The generation options recorded in a synthetic dataset's `synthetic.json`; {} when the file is not JSON or
 * records none (the dataset is then generated again, not reused).
 *
 * @param path - the `synthetic.json` file.
 * @returns its `options` object, or {}.
 */
export async function syntheticOptions(path: string): Promise<Record<string, unknown>> {
  let j: unknown;
  try {
    j = JSON.parse(await readInputText(path, 'synthetic dataset record', 1 << 20));
  } catch {
    return {};
  }
  const o = j !== null && typeof j === 'object' ? (j as { options?: unknown }).options : undefined;
  return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : {};
}
