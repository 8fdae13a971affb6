// Checks of Adam settings, apart from the optimiser so checkpoint encoding does not import TF.js.
import { SrnetError, type SrnetErrorCode } from '../errors.js';
import { argumentError, checkObject } from '../internal/check-arguments.js';
import type { AdamConfig } from './adam.js';

/** What each setting must be: β = 1 or NaN, eps ≤ 0, a NaN rate or decay would make every weight NaN. */
const ADAM_RULES: Record<keyof AdamConfig, { ok: (v: number) => boolean; expected: string }> = {
  lr: { ok: (v) => v > 0 && Number.isFinite(v), expected: 'a finite number > 0' },
  beta1: { ok: (v) => v >= 0 && v < 1, expected: 'a number in [0, 1)' },
  beta2: { ok: (v) => v >= 0 && v < 1, expected: 'a number in [0, 1)' },
  eps: { ok: (v) => v > 0 && Number.isFinite(v), expected: 'a finite number > 0' },
  weightDecay: { ok: (v) => v >= 0 && Number.isFinite(v), expected: 'a finite number ≥ 0' },
};

/**
 * Checks Adam settings member by member (`partial`: absent members take the defaults); an unknown member
 * (`learningRate`) is refused rather than silently ignored. Errors are `code` (`BAD_CONFIG`) naming `<name>.<key>`.
 */
export function checkAdamConfig(
  fn: string,
  name: string,
  value: unknown,
  partial = false,
  code: SrnetErrorCode = 'BAD_CONFIG',
): AdamConfig {
  const cfg = checkObject<Record<string, unknown>>(fn, name, value, code);
  for (const key of Object.keys(cfg))
    if (!Object.hasOwn(ADAM_RULES, key))
      throw new SrnetError(
        code,
        `${fn}: ${name}.${key} is not an Adam setting (expected ${Object.keys(ADAM_RULES).join(', ')})`,
        { argument: `${name}.${key}` },
      );
  for (const [key, rule] of Object.entries(ADAM_RULES)) {
    const v = cfg[key];
    if (partial && v === undefined) continue;
    if (typeof v !== 'number' || !rule.ok(v)) argumentError(fn, `${name}.${key}`, rule.expected, v, code);
  }
  return cfg as unknown as AdamConfig;
}
