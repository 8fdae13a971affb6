# Planar (PlanarConfiguration 2) 8-bit YCbCr TIFFs subsampled 1×1, written by tifffile, and GDAL's reads of them
# (libtiff's RGBA interface converts them to RGB) as raw uint8 band-sequential files next to each TIFF:
# NAME.full.raw (all bands), NAME.window.raw (x 5, y 7, 30×20), NAME.ov1.raw (first overview), NAME.error (GDAL's
# failure, when it fails). Usage: planar_ycbcr_tiffs.py DIR
import os
import sys

import numpy as np
import tifffile
from osgeo import gdal

gdal.UseExceptions()
out = sys.argv[1]
rng = np.random.default_rng(7)


def planes(height, width):
    # noise over a gradient: every code of each plane, compressible enough for zlib
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([(xx * 3 + yy) % 256, (yy * 5) % 256, (xx * 7 + yy * 2) % 256])
    return ((base + rng.integers(0, 40, base.shape)) % 256).astype(np.uint8)


STUDIO = [
    (532, 5, 6, (16, 1, 235, 1, 128, 1, 240, 1, 128, 1, 240, 1), False),  # ReferenceBlackWhite
    (529, 5, 3, (2126, 10000, 7152, 10000, 722, 10000), False),  # YCbCrCoefficients (Rec. 709)
]
YCC = dict(photometric="ycbcr", planarconfig="separate", subsampling=(1, 1))
files = {
    "plain": (planes(47, 61), dict(rowsperstrip=8)),
    "zlib-large": (planes(520, 700), dict(compression="zlib", rowsperstrip=64)),
    "studio": (planes(47, 61), dict(compression="zlib", rowsperstrip=16, extratags=STUDIO)),
    "wide-range": (
        planes(47, 61),
        dict(extratags=[(532, 5, 6, (0, 1, 255, 1, 100, 1, 200, 1, 60, 1, 250, 1), False)]),
    ),
    "tiled": (planes(47, 61), dict(compression="zlib", tile=(16, 16))),
}
for name, (data, kw) in files.items():
    tifffile.imwrite(os.path.join(out, f"{name}.tif"), data, **YCC, **kw)
pyramid = planes(90, 120)
with tifffile.TiffWriter(os.path.join(out, "pyramid.tif")) as tw:
    tw.write(pyramid, subifds=1, compression="zlib", **YCC)
    tw.write(pyramid[:, ::2, ::2], subfiletype=1, compression="zlib", **YCC)

for name in [*files, "pyramid"]:
    path = os.path.join(out, f"{name}.tif")
    try:
        ds = gdal.Open(path)
        ds.ReadAsArray().tofile(f"{path[:-4]}.full.raw")
        ds.ReadAsArray(5, 7, 30, 20).tofile(f"{path[:-4]}.window.raw")
        band = ds.GetRasterBand(1)
        if band.GetOverviewCount() > 0:
            np.stack(
                [ds.GetRasterBand(b + 1).GetOverview(0).ReadAsArray() for b in range(ds.RasterCount)]
            ).tofile(f"{path[:-4]}.ov1.raw")
    except RuntimeError as e:
        with open(f"{path[:-4]}.error", "w") as f:
            f.write(str(e))
