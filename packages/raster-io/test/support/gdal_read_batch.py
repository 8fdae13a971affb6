# Read many TIFFs with GDAL in one process: one JSON line per path given on stdin
# (size, dtype and an MD5 of the band-sequential native-endian pixels, or the error).
import hashlib
import json
import sys

from osgeo import gdal

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
gdal.PushErrorHandler("CPLQuietErrorHandler")
max_samples = int(sys.argv[1])

for path in sys.stdin.read().splitlines():
    if not path:
        continue
    r = {"path": path}
    try:
        ds = gdal.Open(path)
        n = ds.RasterXSize * ds.RasterYSize * ds.RasterCount
        if n > max_samples or ds.RasterCount == 0:
            r.update(ok=False, error="skipped: %d samples" % n)
        else:
            h = hashlib.md5()
            types = set()
            for b in range(1, ds.RasterCount + 1):
                band = ds.GetRasterBand(b)
                types.add(gdal.GetDataTypeName(band.DataType))
                h.update(band.ReadRaster(0, 0, ds.RasterXSize, ds.RasterYSize, buf_type=band.DataType))
            r.update(ok=True, width=ds.RasterXSize, height=ds.RasterYSize, bands=ds.RasterCount,
                     dtypes=sorted(types), md5=h.hexdigest())
        ds = None
    except Exception as e:  # noqa: BLE001 - every GDAL failure is a result here
        r.update(ok=False, error=str(e)[:300])
    print(json.dumps(r), flush=True)
