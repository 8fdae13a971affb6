# Read many TIFFs with GDAL in one process: one JSON line per path given on stdin
# (size, dtype and an MD5 of the band-sequential native-endian pixels, the georeferencing, nodata, the
# per-dataset mask and every overview, or the error). Doubles travel as repr() strings: JSON has no NaN.
import hashlib
import json
import sys

from osgeo import gdal

# As gdalinfo and rasterio: errors libtiff/libgeotiff log while GDAL carries on (a broken GeoKey, an unreadable
# optional tag) are not failures; a failed open or read (None) is.
gdal.DontUseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
gdal.PushErrorHandler("CPLQuietErrorHandler")
max_samples = int(sys.argv[1])


def md5_of(bands, width, height):
    h = hashlib.md5()
    for band in bands:
        data = band.ReadRaster(0, 0, width, height, buf_type=band.DataType)
        if data is None:
            raise RuntimeError(gdal.GetLastErrorMsg() or "ReadRaster failed")
        h.update(data)
    return h.hexdigest()


def describe(ds):
    n = ds.RasterXSize * ds.RasterYSize * ds.RasterCount
    if n > max_samples or ds.RasterCount == 0:
        return dict(ok=False, error="skipped: %d samples" % n)
    bands = [ds.GetRasterBand(b) for b in range(1, ds.RasterCount + 1)]
    r = dict(ok=True, width=ds.RasterXSize, height=ds.RasterYSize, bands=ds.RasterCount,
             dtypes=sorted({gdal.GetDataTypeName(b.DataType) for b in bands}),
             md5=md5_of(bands, ds.RasterXSize, ds.RasterYSize))
    r.update(georeferencing(ds, bands))
    if bands[0].GetMaskFlags() == gdal.GMF_PER_DATASET:
        r["mask"] = attempt(lambda: dict(md5=md5_of([bands[0].GetMaskBand()], ds.RasterXSize, ds.RasterYSize)))
    r["overviews"] = [attempt(lambda k=k: overview(bands, k)) for k in range(bands[0].GetOverviewCount())]
    return r


def georeferencing(ds, bands):
    """What GDAL hands a caller that does not raise on logged errors (gdalinfo, rasterio): libgeotiff logs
    a broken GeoKey as an error and GDAL carries on without it; those messages are kept in georef_errors."""
    errors = []

    def collect(*args):
        # a Python handler must never raise: python-gdal then reports its exception as the read's failure
        try:
            if len(args) >= 3 and args[0] >= gdal.CE_Failure:
                errors.append(str(args[2]))
        except Exception:  # noqa: BLE001
            pass

    def attempt_or(fallback, fn):
        # python-gdal can fail a call on a broken CRS ("returned a result with an exception set"): as gdalinfo
        # reports the rest, that part is absent and its message kept
        try:
            return fn()
        except Exception as e:  # noqa: BLE001
            errors.append(str(e))
            return fallback

    gdal.PushErrorHandler(collect)
    try:
        gt = attempt_or(None, lambda: ds.GetGeoTransform(can_return_null=True))
        nodata = [b.GetNoDataValue() for b in bands]
        srs = attempt_or(None, ds.GetSpatialRef)
        epsg = attempt_or(None, lambda: srs.GetAuthorityCode(None) if srs else None)
    finally:
        gdal.PopErrorHandler()
    return dict(gt=[repr(float(x)) for x in gt] if gt else None,
                nodata=[None if x is None else repr(float(x)) for x in nodata],
                epsg=epsg, georef_errors=[e[:200] for e in errors])


def open_leniently(path):
    ds = gdal.Open(path)
    if ds is None:
        raise RuntimeError(gdal.GetLastErrorMsg() or "GDAL could not open the file")
    return ds


def overview(bands, k):
    ovs = [b.GetOverview(k) for b in bands]
    if any(o is None for o in ovs):
        return dict(error="missing in some band")
    return dict(width=ovs[0].XSize, height=ovs[0].YSize, md5=md5_of(ovs, ovs[0].XSize, ovs[0].YSize))


def attempt(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        return dict(error=str(e)[:200])


for path in sys.stdin.read().splitlines():
    if not path:
        continue
    r = {"path": path}
    try:
        ds = open_leniently(path)
        r.update(describe(ds))
        ds = None
    except Exception as e:  # noqa: BLE001 - every GDAL failure is a result here
        r = {"path": path, "ok": False, "error": str(e)[:300]}
    print(json.dumps(r), flush=True)
