// TIFFs written by the other tools people use, read by us and by GDAL: tifffile and Pillow (Python), ImageMagick,
// libvips and libtiff's tiffcp. Every file must give GDAL's pixels, georeferencing, nodata, mask and overviews,
// or a typed error for the few layouts we refuse (listed below with the reason). The tools come from Debian
// (python3-tifffile, python3-pil, imagemagick, libvips-tools, libtiff-tools); CI installs them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openGeoTiff, RasterIoError, readRaster } from '../../src/index.js';
import { PYTHON_GDAL } from '../support/gdal.js';
import { compareWithGdal, type Findings, gdalBatch, ours } from '../support/gdal-compare.js';
import { requireTool } from '../support/require-tool.js';
import { useTmpDir } from '../support/tmp.js';

const tmp = useTmpDir('raster-io-third-party-');
const PYTHON_WRITERS = fileURLToPath(new URL('../support/third_party_tiffs.py', import.meta.url));

const ran = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const IMAGEMAGICK = ['magick', 'convert'].find((c) => ran(c, ['-version']));
const HAS_VIPS = ran('vips', ['--version']);
const HAS_TIFFCP = spawnSync('tiffcp', [], { encoding: 'utf8' }).error === undefined;
const HAS_PY_WRITERS = PYTHON_GDAL !== undefined && ran(PYTHON_GDAL, ['-c', 'import tifffile, PIL, numpy']);

/** Layouts we refuse where GDAL returns something, each with the reason (a typed error, never other pixels). */
const REFUSED: Record<string, string> = {
  // signed 8-bit: GDAL 3.6 hands back unsigned bytes (PIXELTYPE=SIGNEDBYTE metadata); we have no int8 dtype
  'tifffile-int8.tif': 'UNSUPPORTED_DTYPE',
  'tifffile-int8-geo-zlib.tif': 'UNSUPPORTED_DTYPE',
  'vips-char.tif': 'UNSUPPORTED_DTYPE',
  'tifffile-uint64.tif': 'UNSUPPORTED_DTYPE',
  'tifffile-complex64.tif': 'UNSUPPORTED_DTYPE',
  // 8-bit CMYK: GDAL converts it to RGBA through libtiff
  'tifffile-cmyk.tif': 'UNSUPPORTED_PHOTOMETRIC',
  'pillow-CMYK.tif': 'UNSUPPORTED_PHOTOMETRIC',
  'magick-cmyk.tif': 'UNSUPPORTED_PHOTOMETRIC',
  // vips writes 8-bit RGB blocks under a CCITT tag; libtiff cannot decode them and GDAL returns zeros
  'vips-ccittfax4-rgb.tif': 'UNSUPPORTED_CODEC',
};

/** ImageMagick variants: name → options between the input and the output file. */
const MAGICK: Record<string, string[]> = {
  none: ['-compress', 'None'],
  zip: ['-compress', 'Zip'],
  lzw: ['-compress', 'LZW'],
  rle: ['-compress', 'RLE'],
  jpeg: ['-compress', 'JPEG'],
  lzma: ['-compress', 'LZMA'],
  zstd: ['-compress', 'Zstd'],
  webp: ['-compress', 'WebP'],
  rgba: ['-alpha', 'set', '-channel', 'A', '-evaluate', 'set', '60%', '+channel', '-compress', 'Zip'],
  tiled: ['-define', 'tiff:tile-geometry=16x16', '-compress', 'Zip'],
  planar: ['-interlace', 'plane', '-compress', 'LZW'],
  'msb-16bit': ['-endian', 'MSB', '-depth', '16'],
  'predictor-2': ['-define', 'tiff:predictor=2', '-compress', 'LZW'],
  gray16: ['-colorspace', 'gray', '-depth', '16'],
  float32: ['-colorspace', 'gray', '-define', 'quantum:format=floating-point', '-depth', '32'],
  float16: ['-colorspace', 'gray', '-define', 'quantum:format=floating-point', '-depth', '16'],
  float64: ['-colorspace', 'gray', '-define', 'quantum:format=floating-point', '-depth', '64'],
  cmyk: ['-colorspace', 'CMYK'],
  palette: ['-type', 'Palette', '-compress', 'LZW'],
  'bilevel-group4': ['-type', 'Bilevel', '-compress', 'Group4'],
  'bilevel-fax': ['-type', 'Bilevel', '-compress', 'Fax'],
  bilevel: ['-type', 'Bilevel', '-compress', 'None'],
  gray4: ['-colorspace', 'gray', '-depth', '4'],
  gray12: ['-colorspace', 'gray', '-depth', '12'],
  'rows-5': ['-define', 'tiff:rows-per-strip=5', '-compress', 'Zip'],
  miniswhite: ['-colorspace', 'gray', '-define', 'tiff:photometric=min-is-white'],
  'jpeg-420': ['-compress', 'JPEG', '-sampling-factor', '2x2', '-quality', '80'],
  'jpeg-ycbcr': ['-colorspace', 'YCbCr', '-compress', 'JPEG'],
};

/** libvips `tiffsave` variants: name → options. */
const VIPS: Record<string, string[]> = {
  deflate: ['--compression', 'deflate'],
  'deflate-predictor': ['--compression', 'deflate', '--predictor', 'horizontal'],
  'lzw-tiled': ['--compression', 'lzw', '--tile', '--tile-width', '32', '--tile-height', '32'],
  'jpeg-tiled': ['--compression', 'jpeg', '--tile', '--tile-width', '16', '--tile-height', '16', '-Q', '85'],
  'webp-tiled': ['--compression', 'webp', '--tile', '--tile-width', '32', '--tile-height', '32'],
  zstd: ['--compression', 'zstd'],
  pyramid: ['--tile', '--pyramid', '--tile-width', '16', '--tile-height', '16', '--compression', 'deflate'],
  'pyramid-subifd': [
    ...['--tile', '--pyramid', '--subifd', '--tile-width', '16', '--tile-height', '16'],
    ...['--compression', 'deflate'],
  ],
  bigtiff: ['--bigtiff', '--compression', 'lzw'],
  packbits: ['--compression', 'packbits'],
  'ccittfax4-rgb': ['--compression', 'ccittfax4', '--bitdepth', '1'],
  bitdepth2: ['--bitdepth', '2'],
  bitdepth4: ['--bitdepth', '4'],
  'miniswhite-1bit': ['--miniswhite', '--bitdepth', '1'],
};

/** libvips casts before `tiffsave`: name → [format, tiffsave options]. */
const VIPS_CAST: Record<string, [string, string[]]> = {
  'float-predictor': ['float', ['--compression', 'deflate', '--predictor', 'float']],
  'short-lzw': ['short', ['--compression', 'lzw', '--predictor', 'horizontal']],
  char: ['char', []],
  double: ['double', ['--compression', 'deflate']],
};

/** tiffcp rewrites of ImageMagick's plain RGB file: name → options. */
const TIFFCP: Record<string, string[]> = {
  'lzw-predictor': ['-c', 'lzw:2'],
  'zip-tiled': ['-c', 'zip:2', '-t', '-w', '16', '-l', '16'],
  'separate-packbits': ['-p', 'separate', '-c', 'packbits'],
  'big-endian-zip': ['-B', '-c', 'zip'],
  'jpeg-ycbcr': ['-c', 'jpeg:r:75'],
  'jpeg-rgb': ['-c', 'jpeg:75'],
  'rows-3': ['-r', '3', '-c', 'lzw'],
  bigtiff: ['-8'],
};

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error}`);
}

/** Every variant, written by its tool into the test folder. */
function writeCorpus(dir: string): string[] {
  const paths: string[] = [];
  const py = spawnSync(PYTHON_GDAL as string, [PYTHON_WRITERS, dir], { encoding: 'utf8', timeout: 120_000 });
  if (py.status !== 0) throw new Error(`third_party_tiffs.py failed: ${py.stderr}`);
  paths.push(...py.stdout.trim().split('\n'));
  const magick = IMAGEMAGICK as string;
  const source = join(dir, 'source.png');
  run(magick, ['-size', '53x37', 'plasma:fractal', '-seed', '3', '-depth', '8', source]);
  for (const [name, options] of Object.entries(MAGICK)) {
    paths.push(join(dir, `magick-${name}.tif`));
    run(magick, [source, ...options, paths.at(-1) as string]);
  }
  for (const [name, options] of Object.entries(VIPS)) {
    paths.push(join(dir, `vips-${name}.tif`));
    run('vips', ['tiffsave', source, paths.at(-1) as string, ...options]);
  }
  for (const [name, [format, options]] of Object.entries(VIPS_CAST)) {
    const cast = join(dir, `${name}.v`);
    run('vips', ['cast', source, cast, format]);
    paths.push(join(dir, `vips-${name}.tif`));
    run('vips', ['tiffsave', cast, paths.at(-1) as string, ...options]);
  }
  // a tiled predictor file from a source taller than the WebAssembly stage's reused slab (256 KiB per band)
  const tall = join(dir, 'tall.png');
  run(magick, ['-size', '1100x1500', 'plasma:fractal', '-seed', '3', '-depth', '8', tall]);
  paths.push(join(dir, 'vips-tall-tiled-deflate-predictor.tif'));
  run('vips', [
    'tiffsave',
    tall,
    paths.at(-1) as string,
    '--tile',
    '--tile-width',
    '256',
    '--tile-height',
    '256',
    '--compression',
    'deflate',
    '--predictor',
    'horizontal',
  ]);
  for (const [name, options] of Object.entries(TIFFCP)) {
    paths.push(join(dir, `tiffcp-${name}.tif`));
    run('tiffcp', [...options, join(dir, 'magick-none.tif'), paths.at(-1) as string]);
  }
  paths.push(join(dir, 'tiffcp-float-predictor-3.tif'));
  run('tiffcp', ['-c', 'lzw:3', join(dir, 'magick-float32.tif'), paths.at(-1) as string]);
  return paths;
}

const tools =
  requireTool('python3-gdal with python3-tifffile and python3-pil', HAS_PY_WRITERS) &&
  requireTool('ImageMagick (imagemagick)', IMAGEMAGICK !== undefined) &&
  requireTool('libvips (libvips-tools)', HAS_VIPS) &&
  requireTool('tiffcp (libtiff-tools)', HAS_TIFFCP);

describe.runIf(tools)('TIFFs from tifffile, Pillow, ImageMagick, libvips and tiffcp', () => {
  let paths: string[] = [];
  const outcomes = new Map<string, 'matched' | 'typed' | 'differs'>();
  const found: Findings = { problems: [], stricter: [] };

  beforeAll(async () => {
    paths = writeCorpus(tmp());
    const gdal = gdalBatch(paths);
    for (const path of paths) {
      const r = await ours(new Uint8Array(readFileSync(path)), path);
      outcomes.set(basename(path), compareWithGdal(basename(path), path, r, gdal.get(path), found));
    }
  }, 300_000);

  it('every file reads as GDAL reads it (pixels, georeferencing, nodata, masks, overviews), or is refused typed', () => {
    expect(found.problems, found.problems.join('\n')).toEqual([]);
    expect(paths.length).toBeGreaterThan(125);
  });

  it('refuses only the listed layouts, each with its typed error, where GDAL reads something', () => {
    const refused = Object.fromEntries(
      found.stricter.map((s) => {
        const [file, code] = s.split(': ');
        return [file, code?.split(' ')[0]];
      }),
    );
    for (const [file, code] of Object.entries(refused)) expect([file, code]).toEqual([file, REFUSED[file]]);
    // the layouts the formats themselves fix (another tool version may write the vips/ImageMagick ones otherwise)
    for (const file of [
      'tifffile-int8.tif',
      'tifffile-uint64.tif',
      'tifffile-complex64.tif',
      'tifffile-cmyk.tif',
    ])
      expect(refused[file], file).toBe(REFUSED[file]);
    const matched = [...outcomes.values()].filter((o) => o === 'matched').length;
    expect(matched).toBe(paths.length - Object.keys(refused).length);
  });

  it('reads the SubIFD pyramids of vips and tifffile as overviews, as GDAL does', async () => {
    for (const name of ['vips-pyramid-subifd.tif', 'tifffile-pyramid-subifds.tif']) {
      const tiff = await openGeoTiff(readFileSync(join(tmp(), name)), { name });
      expect(
        tiff.levels.map((l) => l.width),
        name,
      ).toEqual(name.startsWith('vips') ? [53, 26, 13] : [128, 64, 32]);
      expect(outcomes.get(name), name).toBe('matched');
    }
  });

  it('keeps the first of two equal tags, as libtiff does (tifffile writes two ImageDescription tags)', async () => {
    expect(outcomes.get('tifffile-two-descriptions.tif')).toBe('matched');
    // YCbCr with RATIONAL coefficients and a studio-range ReferenceBlackWhite: converted as GDAL converts it
    expect(outcomes.get('tifffile-ycbcr-studio-range.tif')).toBe('matched');
    const tiff = await openGeoTiff(readFileSync(join(tmp(), 'tifffile-ycbcr-studio-range.tif')));
    expect(tiff.levels[0]?.ycbcr?.referenceBlackWhite).toEqual([16, 235, 128, 240, 128, 240]);
  });

  it('8-bit CMYK is refused naming the file, 16-bit CMYK reads as stored (as GDAL returns both)', async () => {
    const path = join(tmp(), 'tifffile-cmyk.tif');
    const err = await readRaster(await openGeoTiff(readFileSync(path), { name: path })).catch((e) => e);
    expect(err).toBeInstanceOf(RasterIoError);
    expect(err.code).toBe('UNSUPPORTED_PHOTOMETRIC');
    expect(err.message).toContain(path);
    expect(outcomes.get('tifffile-cmyk16.tif')).toBe('matched');
  });
});
