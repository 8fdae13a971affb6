// Streams a synthetic float32 image through the BUILT package's createCogWriter in a fresh Node process, so
// a test can bound its heap and measure its peak RSS. Prints one JSON line.
// Usage: node write-cog-child.mjs <out.tif> <width> <height> <rowsPerCall>
const { createCogWriter } = await import(new URL('../../dist/node.js', import.meta.url).href);

const [out, w, h, chunk] = process.argv.slice(2);
const width = Number(w);
const height = Number(h);
const rowsPerCall = Number(chunk);
const t0 = performance.now();
let result;
try {
  const writer = await createCogWriter(out, {
    width,
    height,
    bands: 1,
    dtype: 'float32',
    noData: Number.NaN,
    compression: 'deflate',
    deflateLevel: 1,
    predictor: true,
    overviews: [2, 4, 8, 16],
  });
  const rows = new Float32Array(width * rowsPerCall);
  for (let y = 0; y < height; y += rowsPerCall) {
    const n = Math.min(rowsPerCall, height - y);
    // Value = x + 2y (exact in float32 at these sizes), so any pixel can be checked afterwards.
    for (let r = 0; r < n; r++) for (let x = 0; x < width; x++) rows[r * width + x] = x + 2 * (y + r);
    await writer.writeRows(y, [n === rowsPerCall ? rows : rows.subarray(0, n * width)]);
  }
  const bytes = await writer.close();
  result = { ok: true, bytes };
} catch (err) {
  result = { ok: false, code: err?.code, message: String(err?.message ?? err) };
}
result.ms = performance.now() - t0;
result.maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify(result)}\n`);
