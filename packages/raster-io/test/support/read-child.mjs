// Reads one file (or URL) with the BUILT package in a fresh Node process, so tests can bound its heap
// (--max-old-space-size) and measure its peak RSS. Prints one JSON line.
// Usage: node read-child.mjs <path-or-url> [options-json]
const { openGeoTiff, openGeoTiffFile, httpSource, readRaster, RasterIoError } = await import(
  new URL('../../dist/node.js', import.meta.url).href
);

const [target, optionsJson] = process.argv.slice(2);
const options = optionsJson ? JSON.parse(optionsJson) : {};
const t0 = performance.now();
let result;
try {
  const tiff = /^https?:/.test(target)
    ? await openGeoTiff(httpSource(target, { timeoutMs: 5000 }), { limits: options.limits })
    : await openGeoTiffFile(target, { limits: options.limits });
  try {
    const r = await readRaster(tiff, options);
    result = { ok: true, width: r.width, height: r.height, filledBlocks: r.filledBlocks };
  } finally {
    await tiff.close();
  }
} catch (err) {
  result = {
    ok: false,
    typed: err instanceof RasterIoError,
    code: err?.code,
    type: err?.constructor?.name,
    message: String(err?.message ?? err),
  };
}
result.ms = performance.now() - t0;
result.maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify(result)}\n`);
