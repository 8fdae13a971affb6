"""Write packages/raster-io/src/read/epsg-linear-units.ts: the linear unit of every projected EPSG CRS up to 32766
in this machine's PROJ database, and the size in metres GDAL gives each ProjLinearUnitsGeoKey value.

GDAL drops the EPSG code of a ProjectedCSTypeGeoKey whose CRS is in another unit than the file's
ProjLinearUnitsGeoKey (or its user-defined ProjLinearUnitSizeGeoKey) says: the two sizes are compared. Both
sides are taken from GDAL itself:
- a CRS's unit: the unit of its first axis in PROJ's database (what GDAL's importFromEPSG gives), its size checked
  against osr's GetLinearUnits;
- a key's size: a GeoTIFF with ProjectedCSTypeGeoKey 32633 (metres) and that ProjLinearUnitsGeoKey, read by GDAL
  (GetLinearUnits; 1 for a code libgeotiff does not know, as GDAL takes it). Every EPSG unit code is tried.

Run with python3-gdal: /usr/bin/python3 test/support/generate_linear_units.py [output.ts | --json]
(--json prints the tables: test/read/geokey-units.gdal.test.ts checks the committed file against this machine.)
"""
import json
import os
import sqlite3
import struct
import sys
import tempfile

from osgeo import gdal, osr

gdal.UseExceptions()
osr.UseExceptions()
gdal.PushErrorHandler("CPLQuietErrorHandler")

MAX_EPSG_GEOKEY = 32766
METRE = 9001
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def b36(n):
    out = ""
    while True:
        out = DIGITS[n % 36] + out
        n //= 36
        if n == 0:
            return out


def proj_db():
    for path in osr.GetPROJSearchPaths():
        candidate = os.path.join(path, "proj.db")
        if os.path.exists(candidate):
            return sqlite3.connect(candidate)
    raise SystemExit("proj.db not found")


def projected_units(db):
    """{code: unit code} of every EPSG projected CRS up to 32766 (its first axis' unit)."""
    rows = db.execute(
        "select p.code, a.uom_code from projected_crs p join axis a"
        " on a.coordinate_system_auth_name = p.coordinate_system_auth_name"
        " and a.coordinate_system_code = p.coordinate_system_code and a.coordinate_system_order = 1"
        " where p.auth_name = 'EPSG' and a.uom_auth_name = 'EPSG'"
    ).fetchall()
    return {int(code): int(uom) for code, uom in rows if int(code) <= MAX_EPSG_GEOKEY}


def tiny_tiff(path, keys):
    """A 1x1 byte TIFF with a pixel scale, a tiepoint and the GeoKeys given as (id, location, count, value)."""
    directory = [1, 1, 0, len(keys)] + [v for k in keys for v in k]
    tags = [
        (256, 3, [1]), (257, 3, [1]), (258, 3, [8]), (259, 3, [1]), (262, 3, [1]), (273, 4, [0]),
        (277, 3, [1]), (278, 3, [1]), (279, 4, [1]),
        (33550, 12, [10.0, 10.0, 0.0]), (33922, 12, [0, 0, 0, 500000, 5000000, 0]), (34735, 3, directory),
    ]
    fmt = {3: "H", 4: "I", 12: "d"}
    size = {3: 2, 4: 4, 12: 8}
    ifd_size = 2 + 12 * len(tags) + 4
    pixel_at = 8 + ifd_size
    extra_at = pixel_at + 2
    entries, extra = b"", b""
    for tag, typ, values in tags:
        if tag == 273:
            values = [pixel_at]
        raw = struct.pack("<" + fmt[typ] * len(values), *values)
        if len(raw) <= 4:
            entries += struct.pack("<HHI", tag, typ, len(values)) + raw.ljust(4, b"\0")
        else:
            entries += struct.pack("<HHII", tag, typ, len(values), extra_at + len(extra))
            extra += raw
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(tags)) + entries + struct.pack("<I", 0))
        f.write(b"\0\0" + extra)


def key_sizes(db, folder):
    """{unit code: metres} for every EPSG unit code GDAL sizes other than 1 in a ProjLinearUnitsGeoKey."""
    codes = sorted(int(c) for (c,) in db.execute("select code from unit_of_measure where auth_name = 'EPSG'"))
    out = {}
    for code in codes:
        path = os.path.join(folder, "unit-%d.tif" % code)
        tiny_tiff(path, [(1024, 0, 1, 1), (1025, 0, 1, 1), (3072, 0, 1, 32633), (3076, 0, 1, code)])
        srs = gdal.Open(path).GetSpatialRef()
        size = srs.GetLinearUnits()
        if size != 1.0:
            out[code] = size
    return out


def check_sizes(units, sizes):
    """Every CRS unit is sized, and the size is the one osr gives the CRS (a sample of each unit)."""
    seen = {}
    for code, unit in sorted(units.items()):
        seen.setdefault(unit, code)
    for unit, code in seen.items():
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(code)
        want = srs.GetLinearUnits()
        got = sizes.get(unit, 1.0)
        if abs(want - got) > 1e-15 * want:
            raise SystemExit("EPSG:%d: unit %d is %r in osr, %r as a GeoKey" % (code, unit, want, got))


def encode_units(units):
    """`gap[*run][:unit]` cells, base 36: a run of consecutive codes sharing a unit (metre when none is given)."""
    codes = sorted(units)
    cells, prev, i = [], 0, 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1 and units[codes[j + 1]] == units[codes[i]]:
            j += 1
        cell = b36(codes[i] - prev)
        if j > i:
            cell += "*" + b36(j - i + 1)
        if units[codes[i]] != METRE:
            cell += ":" + b36(units[codes[i]])
        cells.append(cell)
        prev, i = codes[j], j + 1
    return ",".join(cells)


def chunks(text, width=112):
    return "\n".join("  '%s' +" % text[k:k + width] for k in range(0, len(text), width))[:-2] + ";"


def main():
    db = proj_db()
    units = projected_units(db)
    with tempfile.TemporaryDirectory() as folder:
        sizes = key_sizes(db, folder)
    check_sizes(units, sizes)
    if sys.argv[1:] == ["--json"]:
        print(json.dumps({"units": sorted(units.items()), "sizes": sorted(sizes.items())}))
        return
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "src", "read", "epsg-linear-units.ts")
    version = db.execute("select value from metadata where key = 'EPSG.VERSION'").fetchone()[0]
    proj = db.execute("select value from metadata where key = 'PROJ.VERSION'").fetchone()
    sizes_text = ",".join("%s:%r" % (b36(code), size) for code, size in sorted(sizes.items()))
    with open(out, "w") as f:
        f.write(
            "// Generated by test/support/generate_linear_units.py from GDAL %s with PROJ %s's database\n"
            "// (EPSG %s); do not edit. Base-36 codes.\n\n"
            "/**\n"
            " * The linear unit of every projected EPSG CRS up to 32766, as comma-separated `gap[*run][:unit]` cells: the\n"
            " * first code's distance from the previous cell's last code (from 0), how many consecutive codes share the\n"
            " * unit (1 when absent) and its EPSG unit code (9001, metre, when absent).\n"
            " */\n"
            "export const EPSG_PROJECTED_UNITS =\n%s\n\n"
            "/**\n"
            " * The size in metres GDAL (libgeotiff) gives a ProjLinearUnitsGeoKey value, as `code:metres` cells, for\n"
            " * every EPSG unit code it does not size 1 (metre, and codes it does not know, which it takes as 1).\n"
            " */\n"
            "export const LINEAR_UNIT_SIZES =\n%s\n"
            % (gdal.__version__, proj[0] if proj else "?", version, chunks(encode_units(units)), chunks(sizes_text))
        )


main()
