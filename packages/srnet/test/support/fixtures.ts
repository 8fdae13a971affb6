// Test helpers: locate ../shared (relative to this file, never hard-coded) and read parity fixtures.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@worldstrat/raster-io';

/** The shared folder: packages/srnet/../../../shared. */
export const sharedDir = fileURLToPath(new URL('../../../../../shared/', import.meta.url));

/** Raw bytes of a parity fixture. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${sharedDir}fixtures/parity/${name}`));
}

/** Parsed parity fixture. */
export function readFixture(name: string) {
  return readSafetensors(fixtureBytes(name));
}

/** max over i of |a−b| − (abs + rel·|b|); ≤ 0 means within tolerance. Also returns max abs diff. */
export function compareClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  abs: number,
  rel: number,
): { worst: number; maxAbs: number; index: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = Number.NEGATIVE_INFINITY;
  let maxAbs = 0;
  let index = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(maxAbs, d);
    const excess = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d - (abs + rel * Math.abs(b[i] as number));
    if (excess > worst) {
      worst = excess;
      index = i;
    }
  }
  return { worst, maxAbs, index };
}
