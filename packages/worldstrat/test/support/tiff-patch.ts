// Damage GeoTIFFs our writer produced the way hostile inputs are damaged: an IFD chain that loops, a compressed
// block that does not decode.
import { readFileSync, writeFileSync } from 'node:fs';

/** The first IFD of a little-endian classic TIFF: its offset, entry count and tags (value offsets resolved). */
function firstIfd(bytes: Buffer) {
  if (bytes.toString('latin1', 0, 2) !== 'II' || bytes.readUInt16LE(2) !== 42)
    throw new Error('not a little-endian classic TIFF');
  const at = bytes.readUInt32LE(4);
  const n = bytes.readUInt16LE(at);
  const values = (tag: number): number[] => {
    for (let i = 0; i < n; i++) {
      const e = at + 2 + 12 * i;
      if (bytes.readUInt16LE(e) !== tag) continue;
      const type = bytes.readUInt16LE(e + 2);
      const count = bytes.readUInt32LE(e + 4);
      const size = type === 3 ? 2 : 4;
      const base = count * size <= 4 ? e + 8 : bytes.readUInt32LE(e + 8);
      return Array.from({ length: count }, (_, k) =>
        size === 2 ? bytes.readUInt16LE(base + 2 * k) : bytes.readUInt32LE(base + 4 * k),
      );
    }
    throw new Error(`tag ${tag} not in the first IFD`);
  };
  return { at, n, values };
}

/** Point the first IFD's next-IFD offset back at itself (a one-IFD loop). */
export function makeSelfLoop(path: string): void {
  const bytes = readFileSync(path);
  const { at, n } = firstIfd(bytes);
  bytes.writeUInt32LE(at, at + 2 + 12 * n);
  writeFileSync(path, bytes);
}

/** Overwrite the first strip/tile of the full-resolution image with bytes that are not a zlib stream. */
export function corruptFirstBlock(path: string): void {
  const bytes = readFileSync(path);
  const ifd = firstIfd(bytes);
  let offsets: number[];
  let counts: number[];
  try {
    offsets = ifd.values(324);
    counts = ifd.values(325);
  } catch {
    offsets = ifd.values(273);
    counts = ifd.values(279);
  }
  bytes.fill(0xab, offsets[0], (offsets[0] as number) + (counts[0] as number));
  writeFileSync(path, bytes);
}
