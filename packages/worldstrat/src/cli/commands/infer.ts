// `worldstrat infer <revisits…> --weights w --out sr.tif`: the building block behind `superresolve` (same options).
import type { Command } from 'commander';
import type { CliRunner } from '../runtime.js';
import { registerSuperresolveCommand } from './superresolve.js';

/** Register `infer`. */
export function registerInfer(program: Command, run: CliRunner): void {
  registerSuperresolveCommand(
    program,
    run,
    'infer',
    'run SR weights (tfjs | onnx) on local revisit GeoTIFFs → SR GeoTIFF + PNG (same as superresolve)',
  );
}
