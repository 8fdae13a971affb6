// A minimal baseline JPEG writer for tests: it takes quantized DCT coefficients as they are (no forward DCT), so
// a test can feed libjpeg (through GDAL) and our decoder the same arbitrary coefficients, restart intervals and
// sampling factors. Huffman tables are flat: DC categories 0..11 in 4-bit codes, every AC (run, size) symbol
// with sizes 1..10 in 8-bit codes; `wide` inputs add DC categories 12..15 (5-bit codes) and AC sizes 11..15, which
// libjpeg decodes although no 8-bit encoder writes them (corrupt streams reach them).

export interface JpegComponentInput {
  h: number;
  v: number;
  /** Quantized coefficients in natural (row-major) order, 64 per block, blocks row by row over the component. */
  blocks: Int16Array;
}

export interface JpegInput {
  width: number;
  height: number;
  components: JpegComponentInput[];
  /** One table (natural order) shared by every component. */
  quant: Uint8Array;
  restartInterval?: number;
  /** Coefficients (DC differences) up to ±32767, with the wider Huffman tables they need. */
  wide?: boolean;
}

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
];

const DC_SYMBOLS = Array.from({ length: 12 }, (_, i) => i);
const DC_WIDE = [12, 13, 14, 15];
const acSymbols = (maxSize: number) => {
  const symbols = [0x00, 0xf0];
  for (let r = 0; r < 16; r++) for (let s = 1; s <= maxSize; s++) symbols.push((r << 4) | s);
  return symbols;
};
const AC_SYMBOLS = acSymbols(10);
const AC_WIDE = acSymbols(15);

/** Blocks per line and column a component needs in an interleaved scan of `input`. */
export function componentBlocks(input: JpegInput, c: JpegComponentInput): [number, number] {
  const hmax = Math.max(...input.components.map((x) => x.h));
  const vmax = Math.max(...input.components.map((x) => x.v));
  if (input.components.length === 1) return [Math.ceil(input.width / 8), Math.ceil(input.height / 8)];
  return [Math.ceil(input.width / (8 * hmax)) * c.h, Math.ceil(input.height / (8 * vmax)) * c.v];
}

/** Encode `input` as a baseline JPEG stream (SOI … EOI). */
export function encodeBaselineJpeg(input: JpegInput): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) => {
    out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body);
  };
  const zq = ZIGZAG.map((n) => input.quant[n] as number);
  segment(0xdb, [0, ...zq]);
  const n = input.components.length;
  segment(0xc0, [
    8,
    input.height >> 8,
    input.height & 255,
    input.width >> 8,
    input.width & 255,
    n,
    ...input.components.flatMap((c, i) => [i + 1, (c.h << 4) | c.v, 0]),
  ]);
  const dcCounts = new Array(16).fill(0);
  dcCounts[3] = DC_SYMBOLS.length;
  if (input.wide) dcCounts[4] = DC_WIDE.length; // codes 11000..11011 after the twelve 4-bit ones
  const dcSymbols = input.wide ? [...DC_SYMBOLS, ...DC_WIDE] : DC_SYMBOLS;
  const ac = input.wide ? AC_WIDE : AC_SYMBOLS;
  const acCounts = new Array(16).fill(0);
  acCounts[7] = ac.length;
  segment(0xc4, [0x00, ...dcCounts, ...dcSymbols, 0x10, ...acCounts, ...ac]);
  if (input.restartInterval) segment(0xdd, [input.restartInterval >> 8, input.restartInterval & 255]);
  segment(0xda, [n, ...input.components.flatMap((_, i) => [i + 1, 0x00]), 0, 63, 0]);

  let acc = 0;
  let bits = 0;
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++bits === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0);
        acc = 0;
        bits = 0;
      }
    }
  };
  const flush = () => {
    if (bits > 0) put((1 << (8 - bits)) - 1, 8 - bits);
  };
  const category = (v: number) => (v === 0 ? 0 : 32 - Math.clz32(Math.abs(v)));
  const putValue = (v: number, s: number) => put(v < 0 ? v + (1 << s) - 1 : v, s);
  const dcCode = (s: number) => (s < 12 ? put(s, 4) : put(24 + s - 12, 5));
  const acCode = (symbol: number) => put(ac.indexOf(symbol), 8);
  const preds = new Array(n).fill(0);
  const encodeBlock = (ci: number, coefs: Int16Array, at: number) => {
    const diff = (coefs[at] as number) - preds[ci];
    preds[ci] = coefs[at] as number;
    const s = category(diff);
    dcCode(s);
    putValue(diff, s);
    let run = 0;
    for (let k = 1; k < 64; k++) {
      const v = coefs[at + (ZIGZAG[k] as number)] as number;
      if (v === 0) {
        run++;
        continue;
      }
      while (run > 15) {
        acCode(0xf0);
        run -= 16;
      }
      const size = category(v);
      acCode((run << 4) | size);
      putValue(v, size);
      run = 0;
    }
    if (run > 0) acCode(0x00);
  };

  const grid = input.components.map((c) => componentBlocks(input, c));
  const single = n === 1;
  const first = input.components[0] as JpegComponentInput;
  const mcusX = single ? (grid[0] as [number, number])[0] : (grid[0] as [number, number])[0] / first.h;
  const mcusY = single ? (grid[0] as [number, number])[1] : (grid[0] as [number, number])[1] / first.v;
  for (let m = 0; m < mcusX * mcusY; m++) {
    if (input.restartInterval && m > 0 && m % input.restartInterval === 0) {
      flush();
      out.push(0xff, 0xd0 + ((m / input.restartInterval - 1) & 7));
      preds.fill(0);
    }
    const mx = m % mcusX;
    const my = Math.floor(m / mcusX);
    input.components.forEach((c, ci) => {
      const [bx] = grid[ci] as [number, number];
      const h = single ? 1 : c.h;
      const v = single ? 1 : c.v;
      for (let y = 0; y < v; y++)
        for (let x = 0; x < h; x++) encodeBlock(ci, c.blocks, ((my * v + y) * bx + mx * h + x) * 64);
    });
  }
  flush();
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
