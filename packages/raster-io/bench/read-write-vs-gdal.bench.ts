// Read/write speed vs GDAL called in-process, on a WorldStrat-sized image: 4-band 1054×1054 (a SPOT PAN-sized
// tile). The peer is python3-gdal (bench/gdal_peer.py): each GDAL job is timed inside Python (interpreter start
// excluded) and runs interleaved with ours one by one so machine load hits both alike, at equal thread counts:
// ours `threads: N` against GDAL_NUM_THREADS=N (reads) / NUM_THREADS=N (COG driver). Ours: readGeoTiffFile
// (file → typed arrays; again into arrays reused between reads) and writeGeoTiff (typed arrays → file) in this
// process. Inputs are generated here with gdal_translate. BENCH_REPS (default 5) sets the repetitions,
// BENCH_THREADS (default "1,2") the thread counts; medians are reported with os.loadavg() before and after each
// thread count. Fresh-array reads also print the minor page faults per read of each side: first touches of new
// memory, which numpy avoids by reusing what glibc kept from the last array. A last section repeats the fresh
// reads with glibc told to keep freed memory (mallopt through koffi), as numpy gets it for free.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg as osLoadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import {
  deflateBackend,
  jpegBackend,
  lzwBackend,
  openGeoTiff,
  readGeoTiffFile,
  readRaster,
  webpBackend,
  writeGeoTiff,
} from '../src/node.js';
import type { Raster, RasterArray } from '../src/types.js';
import { HAS_GDAL } from '../test/support/gdal.js';
import { syntheticRaster } from '../test/support/synthetic.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const THREADS = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'raster-io-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const loadavg = () =>
  osLoadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function gdalTranslate(args: string[]): void {
  const r = spawnSync('gdal_translate', ['-q', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}

/** One timed run: milliseconds and the process's minor page faults during it. */
interface Timed {
  ms: number;
  faults: number;
}

/** The python3-gdal peer: `job()` sends one job line and resolves with its in-process time and faults. */
async function startPeer(): Promise<{
  job: (line: string) => Promise<Timed>;
  close: () => void;
  version: string;
}> {
  const script = fileURLToPath(new URL('./gdal_peer.py', import.meta.url));
  const proc: ChildProcessWithoutNullStreams = spawn('/usr/bin/python3', [script], { env: process.env });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`gdal peer exited: ${stderr}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const ready = await next();
  return {
    version: String(ready.gdal),
    job: async (line) => {
      proc.stdin.write(`${line}\n`);
      const r = await next();
      return { ms: Number(r.ms), faults: Number(r.faults) };
    },
    close: () => {
      proc.stdin.write('quit\n');
      proc.stdin.end();
    },
  };
}

/** Medians of REPS interleaved runs of ours and the peer's job (one warm-up each). */
async function interleaved(
  ours: () => Promise<unknown>,
  theirs: () => Promise<Timed>,
): Promise<{ ours: Timed; theirs: Timed }> {
  await ours();
  await theirs();
  const a: Timed[] = [];
  const b: Timed[] = [];
  for (let i = 0; i < REPS; i++) {
    const f0 = process.resourceUsage().minorPageFault;
    const t0 = performance.now();
    await ours();
    a.push({ ms: performance.now() - t0, faults: process.resourceUsage().minorPageFault - f0 });
    b.push(await theirs());
  }
  const mid = (xs: Timed[]): Timed => ({
    ms: median(xs.map((x) => x.ms)),
    faults: median(xs.map((x) => x.faults)),
  });
  return { ours: mid(a), theirs: mid(b) };
}

/**
 * Tell glibc to keep freed memory for reuse (mallopt through koffi): big arrays then come from memory the process
 * already touched, as numpy's do. Returns what was set, or why not.
 */
function keepFreedMemory(): string {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const mallopt = koffi.load('libc.so.6').func('int mallopt(int param, int value)');
    const M_TRIM_THRESHOLD = -1;
    const M_MMAP_THRESHOLD = -3;
    if (mallopt(M_MMAP_THRESHOLD, 256 << 20) !== 1 || mallopt(M_TRIM_THRESHOLD, 512 << 20) !== 1)
      return 'mallopt refused';
    return 'mallopt M_MMAP_THRESHOLD=256 MiB, M_TRIM_THRESHOLD=512 MiB';
  } catch (e) {
    return `unavailable (${(e as Error).message})`;
  }
}

/** Arrays of `raster`'s type and band size to read into, plain or shared. */
function reusedBands(raster: Raster, shared: boolean): RasterArray[] {
  return raster.bands.map((b) => {
    const Ctor = b.constructor as new (buffer: ArrayBufferLike) => RasterArray;
    return new Ctor(shared ? new SharedArrayBuffer(b.byteLength) : new ArrayBuffer(b.byteLength));
  });
}

/** Milliseconds to a tenth, or to a hundredth under 10 ms (the small chip's reads take well under one). */
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1).padStart(7);

const row = (what: string, { ours, theirs }: { ours: Timed; theirs: Timed }, faults = false) =>
  `${what.padEnd(34)} ours ${ms(ours.ms)} ms   GDAL in-process ${ms(theirs.ms)} ms   speed ${(theirs.ms / ours.ms).toFixed(2)}× GDAL` +
  (faults ? `   page faults/read ours ${ours.faults}, GDAL ${theirs.faults}` : '');

it.skipIf(!HAS_GDAL)('read 4×1054² files and write a COG vs python3-gdal in-process', async () => {
  const peer = await startPeer().catch((e: unknown) => {
    if (process.env.CI === 'true') throw e;
    console.log(`[raster-io bench] python3-gdal peer unavailable (${(e as Error).message.trim()}); skipped`);
    return null;
  });
  if (!peer) return;
  const u16 = syntheticRaster('uint16', 1054, 1054, 4, 42);
  const f32 = syntheticRaster('float32', 1054, 1054, 4, 43);
  for (const r of [u16, f32]) r.geo = { epsg: 32633, transform: [500000, 1.5, 0, 4600000, 0, -1.5] };
  const src16 = join(dir, 'src16.tif');
  const src32 = join(dir, 'src32.tif');
  await writeGeoTiff(src16, u16);
  await writeGeoTiff(src32, f32);
  const rgb = syntheticRaster('uint8', 1054, 1054, 3, 44);
  rgb.geo = u16.geo;
  const src8 = join(dir, 'src8.tif');
  await writeGeoTiff(src8, rgb);
  const chip = syntheticRaster('uint16', 64, 64, 4, 45);
  chip.geo = u16.geo;
  const chipPath = join(dir, 'chip.tif');
  await writeGeoTiff(chipPath, chip, { compression: 'deflate', interleave: 'pixel' });
  const files: [string, string, string[], Raster][] = [
    ['uint16 plain (strips)', src16, ['-co', 'COMPRESS=NONE'], u16],
    ['uint16 deflate, 256-px tiles', src16, ['-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES'], u16],
    ['uint16 LZW + predictor 2', src16, ['-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2'], u16],
    ['float32 deflate + predictor 3', src32, ['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=3'], f32],
    // lossy: pixels equal GDAL's (test/read/jpeg.gdal.test.ts), not the source's
    [
      'uint8 RGB JPEG (YCbCr 4:2:0), tiles',
      src8,
      ['-co', 'COMPRESS=JPEG', '-co', 'PHOTOMETRIC=YCBCR', '-co', 'TILED=YES'],
      rgb,
    ],
    ['uint8 RGB WEBP (lossy), tiles', src8, ['-co', 'COMPRESS=WEBP', '-co', 'TILED=YES'], rgb],
  ];
  const lossy = (name: string) => name.includes('JPEG') || name.includes('WEBP');
  const lines = [
    `raster-io vs GDAL ${peer.version} (python3-gdal in-process), median of ${REPS} interleaved runs, ` +
      `${availableParallelism()} CPUs, load ${loadavg()}; our deflate: ${deflateBackend()}, our LZW: ${lzwBackend()}, our JPEG: ${jpegBackend() ?? 'TypeScript decoder'}, our WEBP: ${webpBackend() ?? 'none'}`,
  ];
  try {
    const paths = files.map(([, src, co], i) => {
      const path = join(dir, `in${i}.tif`);
      gdalTranslate([...co, src, path]);
      return path;
    });
    for (const threads of THREADS) {
      lines.push(
        `threads ${threads} (ours threads: ${threads}, GDAL_NUM_THREADS=${threads}); load ${loadavg()}`,
      );
      for (const [i, [name, , , raster]] of files.entries()) {
        const path = paths[i] as string;
        const check = await readGeoTiffFile(path, { threads });
        if (!lossy(name)) expect(check.bands[3]).toEqual(raster.bands[3]);
        const fresh = await interleaved(
          () => readGeoTiffFile(path, { threads }),
          () => peer.job(`read ${threads} ${path}`),
        );
        lines.push(row(`read ${name}`, fresh, true));
        // the same read into arrays kept from read to read (shared ones when workers decode), against
        // GDAL's fresh ReadAsArray (its faster way: buf_obj reads are slower in GDAL 3.6)
        const into = reusedBands(raster, threads > 1);
        const reused = await interleaved(
          () => readGeoTiffFile(path, { threads, into }),
          () => peer.job(`read ${threads} ${path}`),
        );
        expect(into[raster.bands.length - 1]).toEqual(check.bands[raster.bands.length - 1]);
        lines.push(row(`  into reused ${threads > 1 ? 'shared ' : ''}arrays`, reused));
        if (threads === 1) {
          // every file-system call on the calling thread, as GDAL makes them (no round trips to libuv's threads)
          const sync = await interleaved(
            () => readGeoTiffFile(path, { into, syncIo: true }),
            () => peer.job(`read 1 ${path}`),
          );
          expect(into[raster.bands.length - 1]).toEqual(check.bands[raster.bands.length - 1]);
          lines.push(row('    with syncIo', sync));
        }
      }
      if (threads === 1) {
        // the browser's path: the file's bytes in memory, the browser-safe codecs (fflate's inflate)
        const deflatePath = paths[1] as string;
        const tiff = await openGeoTiff(new Uint8Array(readFileSync(deflatePath)));
        const into = reusedBands(u16, false);
        const inMemory = await interleaved(
          () => readRaster(tiff, { into }),
          () => peer.job(`read 1 ${deflatePath}`),
        );
        expect(into[3]).toEqual(u16.bands[3]);
        lines.push(row('  from memory, browser codecs', inMemory));
        // a small chip, as training loaders read many: the open's round trips weigh most, unless syncIo
        const chipInto = reusedBands(chip, false);
        for (const syncIo of [false, true]) {
          const small = await interleaved(
            () => readGeoTiffFile(chipPath, { into: chipInto, syncIo }),
            () => peer.job(`read 1 ${chipPath}`),
          );
          expect(chipInto[3]).toEqual(chip.bands[3]);
          lines.push(row(syncIo ? '  with syncIo' : 'read uint16 64²×4 deflate chip', small));
        }
      }
      const ourCog = join(dir, 'ours-cog.tif');
      const gdalCog = join(dir, 'gdal-cog.tif');
      const write = await interleaved(
        () =>
          writeGeoTiff(ourCog, u16, {
            cog: true,
            compression: 'deflate',
            predictor: true,
            overviews: [2, 4],
            tileSize: 256,
            threads,
          }),
        () => peer.job(`cog ${threads} ${src16} ${gdalCog} 2`),
      );
      lines.push(row('write COG deflate+pred, ovr 2/4', write));
      lines.push(
        `  sizes: ours ${statSync(ourCog).size} B, GDAL ${statSync(gdalCog).size} B; load ${loadavg()}`,
      );
    }
    // last: once set, glibc keeps this for the rest of the process
    lines.push(`fresh reads again, glibc keeping freed memory: ${keepFreedMemory()}; load ${loadavg()}`);
    for (const threads of THREADS) {
      for (const [i, [name]] of files.entries()) {
        const path = paths[i] as string;
        // until V8 has freed a few reads' arrays, glibc has nothing kept to hand out
        for (let k = 0; k < 10; k++) await readGeoTiffFile(path, { threads });
        const fresh = await interleaved(
          () => readGeoTiffFile(path, { threads }),
          () => peer.job(`read ${threads} ${path}`),
        );
        lines.push(row(`read ${name}, threads ${threads}`, fresh, true));
      }
    }
  } finally {
    peer.close();
  }
  console.log(lines.join('\n'));
});
