# Writes TIFFs the way tifffile and Pillow write them (python3-tifffile without imagecodecs, python3-pil) into
# the folder given, one path per line on stdout. A writer that cannot make a variant on this install says so on
# stderr and the variant is left out; the test checks that the variants it counts on are there.
import os
import sys

import numpy as np
import tifffile
from PIL import Image

out = sys.argv[1]
rng = np.random.default_rng(7)


def smooth(h, w, c, dtype, lo=0, hi=255):
    """Smooth noisy bands (compressible, predictor-friendly), as sensor data is."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(np.sin(x / 7 + i) + np.cos(y / 5 - i)) * 0.25 + 0.5 for i in range(c)], -1)
    a = lo + (base + rng.random((h, w, c)) * 0.05) * (hi - lo)
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        a = np.clip(np.round(a), info.min, info.max)
    return a.astype(dtype)


def emit(path):
    print(path, flush=True)


def tf(name, data, **kw):
    path = os.path.join(out, f"tifffile-{name}.tif")
    try:
        tifffile.imwrite(path, data, **kw)
        emit(path)
    except Exception as e:  # noqa: BLE001 - a variant this tifffile cannot write
        print(f"tifffile {name}: {type(e).__name__}: {e}", file=sys.stderr)


# GeoTIFF tags as tifffile users add them: pixel scale, tiepoint, EPSG:32631 keys, nodata 0
GEO = dict(extratags=[
    (33550, 12, 3, (10.0, 10.0, 0.0), True),
    (33922, 12, 6, (0, 0, 0, 500000.0, 4000000.0, 0), True),
    (34735, 3, 16, (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32631), True),
    (42113, 2, 0, "0", True),
])
for dt in ["uint8", "uint16", "int16", "uint32", "int32", "float32", "float64", "int8"]:
    tf(f"{dt}", smooth(37, 53, 1, dt, 0, 200)[..., 0])
    tf(f"{dt}-geo-zlib", smooth(37, 53, 1, dt, 0, 200)[..., 0], compression="zlib",
       predictor=np.dtype(dt).kind in "iu", **GEO)
tf("rgb", smooth(40, 33, 3, "uint8"), photometric="rgb")
tf("rgb-planar", smooth(40, 33, 3, "uint8"), photometric="rgb", planarconfig="separate")
tf("rgba", smooth(40, 33, 4, "uint8"), photometric="rgb", extrasamples=["unassalpha"])
tf("rgb16-tiled", smooth(70, 90, 3, "uint16", 0, 60000), photometric="rgb", tile=(32, 48), compression="zlib",
   predictor=True)
tf("4band-planar", smooth(4, 40, 33, "uint16").reshape(4, 40, 33), photometric="minisblack",
   planarconfig="separate")
tf("5band", smooth(40, 33, 5, "uint16"), photometric="minisblack", planarconfig="contig")
tf("tiled-16", smooth(70, 90, 1, "uint16")[..., 0], tile=(16, 16), compression="zlib")
tf("tiled-planar-int16", smooth(3, 70, 90, "int16").reshape(3, 70, 90), tile=(32, 32),
   photometric="minisblack", planarconfig="separate", compression="zlib", predictor=True)
tf("be-uint16", smooth(37, 53, 1, "uint16")[..., 0], byteorder=">")
tf("be-float32", smooth(37, 53, 1, "float32")[..., 0], byteorder=">", compression="zlib")
tf("be-tiled-int16", smooth(37, 53, 1, "int16")[..., 0], byteorder=">", tile=(16, 16), compression="zlib",
   predictor=True)
tf("bigtiff", smooth(37, 53, 2, "uint16"), bigtiff=True, photometric="minisblack", planarconfig="contig")
tf("be-bigtiff-tiled", smooth(37, 53, 1, "float64")[..., 0], bigtiff=True, byteorder=">", tile=(16, 16))
tf("rows-7", smooth(37, 53, 1, "uint8")[..., 0], rowsperstrip=7, compression="zlib")
tf("lzma", smooth(37, 53, 1, "uint16")[..., 0], compression="lzma")
tf("bool", smooth(37, 53, 1, "uint8")[..., 0] > 128)
tf("pages", smooth(3, 37, 53, "uint8").reshape(3, 37, 53))
tf("imagej", smooth(37, 53, 1, "uint16")[..., 0], imagej=True)
tf("float16", smooth(37, 53, 1, "float16")[..., 0])
tf("uint64", smooth(37, 53, 1, "uint64")[..., 0])
tf("complex64", (smooth(37, 53, 1, "float32")[..., 0] * (1 + 1j)).astype("complex64"))
tf("2band", smooth(37, 53, 2, "uint8"), photometric="minisblack")
tf("miniswhite", smooth(37, 53, 1, "uint8")[..., 0], photometric="miniswhite")
tf("palette", smooth(37, 53, 1, "uint8")[..., 0], photometric="palette",
   colormap=np.tile(np.arange(256, dtype="uint16") * 257, (3, 1)))
# a description of the caller's and tifffile's own: two ImageDescription tags (libtiff keeps the first)
tf("two-descriptions", smooth(37, 53, 1, "uint8")[..., 0], description="caller's description")
# YCbCr with the coefficients and a studio-range ReferenceBlackWhite as RATIONAL arrays
tf("ycbcr-studio-range", smooth(9, 11, 3, "uint8", 16, 235), photometric="ycbcr", subsampling=(1, 1),
   extratags=[(529, 5, 3, (2990, 10000, 5870, 10000, 1140, 10000), True),
              (532, 5, 6, (16, 1, 235, 1, 128, 1, 240, 1, 128, 1, 240, 1), True)])
# taller than the slab of block rows raster-io's WebAssembly stage reuses down a read (256 KiB per band)
tf("tall-tiled-4band", smooth(1300, 900, 4, "uint16", 0, 60000), photometric="minisblack", planarconfig="contig",
   tile=(256, 256), compression="zlib")
tf("tall-strips-rgb-predictor", smooth(1500, 1100, 3, "uint8"), photometric="rgb", rowsperstrip=16,
   compression="zlib", predictor=True)
tf("cmyk", smooth(8, 9, 4, "uint8"), photometric="separated")
tf("cmyk16", smooth(8, 9, 4, "uint16", 0, 60000), photometric="separated")


def pyramid(name, subifds):
    """Full resolution and two reduced levels: as SubIFDs of IFD 0 (subifds=2) or along the chain."""
    path = os.path.join(out, f"tifffile-{name}.tif")
    d = smooth(128, 128, 1, "uint16")[..., 0]
    with tifffile.TiffWriter(path) as t:
        t.write(d, tile=(32, 32), compression="zlib", **({"subifds": 2} if subifds else {}))
        t.write(d[::2, ::2], tile=(32, 32), subfiletype=1, compression="zlib")
        t.write(d[::4, ::4], tile=(32, 32), subfiletype=1, compression="zlib")
    emit(path)


pyramid("pyramid-subifds", True)
pyramid("pyramid-chain", False)


def pil(name, img, **kw):
    path = os.path.join(out, f"pillow-{name}.tif")
    try:
        img.save(path, **kw)
        emit(path)
    except Exception as e:  # noqa: BLE001 - a variant this Pillow cannot write
        print(f"pillow {name}: {type(e).__name__}: {e}", file=sys.stderr)


g8 = Image.fromarray(smooth(37, 53, 1, "uint8")[..., 0])
rgb = Image.fromarray(smooth(37, 53, 3, "uint8"))
rgba = Image.fromarray(smooth(37, 53, 4, "uint8"))
for comp in ["raw", "tiff_lzw", "tiff_deflate", "tiff_adobe_deflate", "packbits", "jpeg"]:
    kw = {} if comp == "raw" else {"compression": comp}
    pil(f"L-{comp}", g8, **kw)
    pil(f"RGB-{comp}", rgb, **kw)
    if comp != "jpeg":
        pil(f"RGBA-{comp}", rgba, **kw)
pil("1-group4", g8.convert("1"), compression="group4")
pil("1-group3", g8.convert("1"), compression="group3")
pil("1-raw", g8.convert("1"))
pil("P-lzw", rgb.convert("P"), compression="tiff_lzw")
pil("I16-lzw", Image.fromarray(smooth(37, 53, 1, "uint16")[..., 0]), compression="tiff_lzw")
pil("I32", Image.fromarray(smooth(37, 53, 1, "int32")[..., 0]))
pil("F-deflate", Image.fromarray(smooth(37, 53, 1, "float32")[..., 0]), compression="tiff_deflate")
pil("CMYK", rgb.convert("CMYK"))
pil("LA", rgba.convert("LA"))
pil("YCbCr", rgb.convert("YCbCr"))
pil("jpeg-q95", rgb, compression="jpeg", quality=95)
