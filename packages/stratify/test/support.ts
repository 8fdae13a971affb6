import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file in the shared (read-only) material, computed from this file's location. */
export function sharedPath(rel: string): string {
  return fileURLToPath(new URL(`../../../../shared/${rel}`, import.meta.url));
}

export function readShared(rel: string): string {
  return readFileSync(sharedPath(rel), 'utf8');
}
