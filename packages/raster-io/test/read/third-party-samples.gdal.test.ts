// Sample layouts other tools write that GDAL 3.6 reads as stored, where we used to refuse them: 24-bit integer
// and Float24 samples (ImageMagick's -depth 24), CIELab of 16 bits or float (tifffile, libvips' LABS/LAB,
// ImageMagick's Lab -depth 16), ICCLab/ITULab, and YCbCr of more than 8 bits outside JPEG. GDAL takes libtiff's
// RGBA interface only for 8-bit (or fewer) CIELab/CMYK/YCbCr; everything else comes back as stored. Each file must
// read as GDAL reads it (pixels, dtype, band count); the RGBA conversions GDAL does stay typed refusals.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_GDAL } from '../support/gdal.js';
import { compareWithGdal, type Findings, gdalBatch, ours } from '../support/gdal-compare.js';
import { requireTool } from '../support/require-tool.js';
import { buildTiff } from '../support/tiff-builder.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-third-party-samples-');

const ran = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const IMAGEMAGICK = ['magick', 'convert'].find((c) => ran(c, ['-version']));
const HAS_VIPS = ran('vips', ['--version']);
const HAS_TIFFFILE = PYTHON_GDAL !== undefined && ran(PYTHON_GDAL, ['-c', 'import tifffile, numpy']);

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error}`);
}

/** tifffile writes (name → data and imwrite keywords), one path per line on stdout. */
const TIFFFILE = `
import sys, numpy as np, tifffile
out = sys.argv[1]
rng = np.random.default_rng(5)
u8 = lambda *s: rng.integers(0, 256, s, dtype=np.uint8)
u16 = lambda *s: rng.integers(0, 65536, s, dtype=np.uint16)
f32 = lambda *s: (rng.random(s, dtype=np.float32) * 200 - 100)
cases = {
    "cielab16": (u16(20, 23, 3), dict(photometric="cielab")),
    "cielab-float": (f32(20, 23, 3), dict(photometric="cielab", compression="zlib")),
    "cielab8-alpha": (u8(20, 23, 4), dict(photometric="cielab", extrasamples=["unassalpha"])),
    "icclab8": (u8(20, 23, 3), dict(photometric="icclab")),
    "itulab8": (u8(20, 23, 3), dict(photometric="itulab")),
    "ycbcr16": (u16(20, 24, 3), dict(photometric="ycbcr", subsampling=(1, 1))),
    "ycbcr16-planar": (u16(3, 20, 24), dict(photometric="ycbcr", planarconfig="separate")),
    "ycbcr-float": (f32(20, 24, 3), dict(photometric="ycbcr", subsampling=(1, 1), compression="zlib")),
    "cmyk-float": (f32(20, 24, 4), dict(photometric="separated")),
    # still converted by GDAL (RGBA): refused
    "cielab8": (u8(20, 23, 3), dict(photometric="cielab")),
    "cmyk8-planar": (u8(4, 20, 23), dict(photometric="separated", planarconfig="separate")),
}
for name, (data, kw) in cases.items():
    path = f"{out}/tifffile-{name}.tif"
    tifffile.imwrite(path, data, **kw)
    print(path)
`;

/** ImageMagick writes of a gray and an RGB source: name → [source, options]. */
const MAGICK: Record<string, ['gray' | 'rgb', string[]]> = {
  'gray-24': ['gray', ['-depth', '24']],
  'gray-24-msb-zip': ['gray', ['-depth', '24', '-define', 'tiff:endian=msb', '-compress', 'Zip']],
  'rgb-24-msb-tiled': [
    'rgb',
    ['-depth', '24', '-define', 'tiff:endian=msb', '-define', 'tiff:tile-geometry=16x16'],
  ],
  // Float24 with ImageMagick's default floating point predictor (3)
  'float24-gray': ['gray', ['-define', 'quantum:format=floating-point', '-depth', '24']],
  'float24-rgb-zip': [
    'rgb',
    ['-define', 'quantum:format=floating-point', '-depth', '24', '-compress', 'Zip'],
  ],
  'float24-msb': [
    'gray',
    ['-define', 'quantum:format=floating-point', '-depth', '24', '-define', 'tiff:endian=msb'],
  ],
  'float24-planar-lzw': [
    'rgb',
    ['-define', 'quantum:format=floating-point', '-depth', '24', '-interlace', 'plane', '-compress', 'LZW'],
  ],
  lab16: ['rgb', ['-colorspace', 'Lab', '-depth', '16']],
  // still converted by GDAL (RGBA): refused
  lab8: ['rgb', ['-colorspace', 'Lab']],
};

/** Float24 values of every kind (LE triples): zeros, denormals, infinities, NaN payloads, 1.0, extremes. */
const FLOAT24_SPECIALS = [
  0x000000, 0x800000, 0x000001, 0x00ffff, 0x7f0000, 0xff0000, 0x7f0001, 0xff8000, 0x3f0000, 0x7effff,
  0x010000, 0x808000, 0x00c000, 0x3e8000, 0x407fff, 0xc1abcd,
];

/** A 16×2 little-endian TIFF of 24-bit samples: the special values, then a row of uneven bytes. */
function craft24(sampleFormat: 1 | 3): Uint8Array {
  const bytes = new Uint8Array(16 * 2 * 3);
  for (const [i, v] of FLOAT24_SPECIALS.entries()) bytes.set([v & 255, (v >> 8) & 255, v >>> 16], 3 * i);
  for (let i = 48; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 255;
  return buildTiff({
    width: 16,
    height: 2,
    bitsPerSample: 24,
    sampleFormat,
    samplesPerPixel: 1,
    compression: 1,
    photometric: 1,
    blocks: [bytes],
    rowsPerStrip: 2,
  });
}

function writeCorpus(dir: string): string[] {
  const py = spawnSync(PYTHON_GDAL as string, ['-c', TIFFFILE, dir], { encoding: 'utf8', timeout: 60_000 });
  if (py.status !== 0) throw new Error(`tifffile writes failed: ${py.stderr}`);
  const paths = py.stdout.trim().split('\n');
  const magick = IMAGEMAGICK as string;
  const rgb = join(dir, 'source.png');
  const gray = join(dir, 'source-gray.png');
  run(magick, ['-size', '61x45', 'plasma:fractal', '-seed', '5', '-depth', '8', rgb]);
  run(magick, [rgb, '-colorspace', 'gray', gray]);
  for (const [name, [source, options]] of Object.entries(MAGICK)) {
    paths.push(join(dir, `magick-${name}.tif`));
    run(magick, [source === 'rgb' ? rgb : gray, ...options, paths.at(-1) as string]);
  }
  // libvips' CIELab: LABS is signed 16-bit, LAB float
  for (const space of ['labs', 'lab']) {
    const v = join(dir, `${space}.v`);
    run('vips', ['colourspace', rgb, v, space]);
    paths.push(join(dir, `vips-${space}.tif`));
    run('vips', ['tiffsave', v, paths.at(-1) as string]);
  }
  for (const format of [1, 3] as const) {
    paths.push(join(dir, `crafted-${format === 1 ? 'uint24' : 'float24'}.tif`));
    writeFileSync(paths.at(-1) as string, craft24(format));
  }
  return paths;
}

const REFUSED = new Set(['tifffile-cielab8.tif', 'tifffile-cmyk8-planar.tif', 'magick-lab8.tif']);

const tools =
  requireTool('python3-gdal with python3-tifffile', HAS_TIFFFILE) &&
  requireTool('ImageMagick (imagemagick)', IMAGEMAGICK !== undefined) &&
  requireTool('libvips (libvips-tools)', HAS_VIPS);

describe.runIf(tools)(
  'sample layouts GDAL reads as stored (24-bit, Float24, 16-bit/float Lab and YCbCr)',
  () => {
    let paths: string[] = [];
    const outcomes = new Map<string, 'matched' | 'typed' | 'differs'>();
    const found: Findings = { problems: [], stricter: [] };
    const dtypes = new Map<string, string>();

    beforeAll(async () => {
      paths = writeCorpus(tmp());
      const gdal = gdalBatch(paths);
      for (const path of paths) {
        const r = await ours(new Uint8Array(readFileSync(path)), path);
        if (r.ok) dtypes.set(basename(path), r.dtype);
        outcomes.set(basename(path), compareWithGdal(basename(path), path, r, gdal.get(path), found));
      }
    }, 120_000);

    it('reads every file as GDAL does (pixels, dtype, bands); only the RGBA conversions GDAL does are refused', () => {
      expect(found.problems, found.problems.join('\n')).toEqual([]);
      const unmatched = [...outcomes].filter(([name, o]) => o !== 'matched' && !REFUSED.has(name));
      expect(unmatched, found.stricter.join('\n')).toEqual([]);
      expect(paths.length).toBe(11 + Object.keys(MAGICK).length + 2 + 2);
      // 8-bit CIELab and 8-bit CMYK (planar too): GDAL returns them converted to RGBA
      for (const name of REFUSED) {
        expect([name, outcomes.get(name)]).toEqual([name, 'typed']);
        expect(found.stricter.find((s) => s.startsWith(name))).toContain('UNSUPPORTED_PHOTOMETRIC');
      }
    });

    it('widens 24-bit integers to uint32 and Float24 to float32, as GDAL does', () => {
      for (const name of ['magick-gray-24.tif', 'magick-gray-24-msb-zip.tif', 'magick-rgb-24-msb-tiled.tif'])
        expect([name, dtypes.get(name)]).toEqual([name, 'uint32']);
      expect(dtypes.get('crafted-uint24.tif')).toBe('uint32');
      for (const name of ['magick-float24-gray.tif', 'magick-float24-msb.tif', 'crafted-float24.tif'])
        expect([name, dtypes.get(name)]).toEqual([name, 'float32']);
    });
  },
);
