"""Write packages/raster-io/src/crs/epsg-tables.ts: how GDAL reads and writes EPSG codes in GeoTIFF GeoKeys, from
this machine's GDAL and its PROJ database. Every answer is taken from GDAL itself, by reading and writing files.

Reading (raster-io reports the code GDAL reports):
- a ProjectedCSTypeGeoKey: GDAL replaces a deprecated CRS by its one replacement, strips the vertical part of a
  compound CRS, and reports no code where the key's CRS differs from the registry's current one (3356, a
  deprecated Cayman grid that was in metres) or is no horizontal CRS at all. Each EPSG CRS code up to 65535 is put
  in a GeoKey directory of revision 1.0 (what GDAL writes without vertical keys) and read back;
- a GeographicTypeGeoKey: the same, for geographic codes;
- a GeographicTypeGeoKey + VerticalCSTypeGeoKey pair as GDAL writes a geographic 3D CRS (4326 + 4979).
Writing (raster-io stores a bare EPSG code as GDAL's GTiff driver stores it):
- geographic (2D and 3D) codes take GTModelType 2 + GeographicTypeGeoKey, projected ones 1 + ProjectedCSTypeGeoKey
  (the block a code sits in says nothing: 4087 is projected, 6318 geographic);
- geographic 3D and compound codes are a horizontal code + VerticalCSTypeGeoKey, the codes GDAL writes;
- geocentric and vertical codes are no horizontal georeferencing.

Run with python3-gdal: /usr/bin/python3 scripts/generate-epsg-tables.py [output.ts | --json]
(--json prints the tables instead: packages/raster-io/test/read/geo-tag-types.gdal.test.ts checks the committed
file is what this machine's GDAL gives.)
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

MAX_GEOKEY = 65535
MAX_EPSG_GEOKEY = 32766  # 32767 is "user-defined"
MODEL_TYPE, RASTER_TYPE, GEOGRAPHIC_TYPE, PROJECTED_CS_TYPE, VERTICAL_CS_TYPE = 1024, 1025, 2048, 3072, 4096


def proj_db_path():
    for path in osr.GetPROJSearchPaths():
        candidate = f"{path}/proj.db"
        if os.path.exists(candidate):
            return candidate
    raise SystemExit("proj.db not found on PROJ's search path")


def codes_of(db, sql, limit):
    return sorted({int(c) for (c,) in db.execute(sql) if str(c).isdigit() and int(c) <= limit})


def tiny_geotiff(keys, minor):
    """A 1x1 uint8 little-endian TIFF with a pixel scale, a tiepoint and these SHORT GeoKeys."""
    directory = [1, 1, minor, len(keys)]
    for key, value in sorted(keys.items()):
        directory += [key, 0, 1, value]
    entries = [
        (256, 3, [1]), (257, 3, [1]), (258, 3, [8]), (259, 3, [1]), (262, 3, [1]), (273, 4, [0]),
        (277, 3, [1]), (279, 4, [1]), (33550, 12, [1.0, 1.0, 0.0]), (33922, 12, [0.0] * 6),
        (34735, 3, directory),
    ]
    fmt = {3: "H", 4: "I", 12: "d"}
    data_at = 8 + 2 + 12 * len(entries) + 4
    payloads = [struct.pack(f"<{len(v)}{fmt[t]}", *v) for _, t, v in entries]
    pixel_at = data_at + sum(len(p) for p in payloads if len(p) > 4)
    ifd, data = b"", b""
    for (tag, typ, values), payload in zip(entries, payloads):
        if tag == 273:
            payload = struct.pack("<I", pixel_at)
        if len(payload) <= 4:
            ifd += struct.pack("<HHI", tag, typ, len(values)) + payload.ljust(4, b"\0")
        else:
            ifd += struct.pack("<HHII", tag, typ, len(values), data_at + len(data))
            data += payload
    return b"II*\0" + struct.pack("<IH", 8, len(entries)) + ifd + struct.pack("<I", 0) + data + b"\x07"


def gdal_reads(keys, minor=0):
    """The EPSG code GDAL reports for a GeoTIFF with these GeoKeys (0: none)."""
    gdal.FileFromMemBuffer("/vsimem/epsg.tif", tiny_geotiff(keys, minor))
    try:
        srs = gdal.Open("/vsimem/epsg.tif").GetSpatialRef()
    finally:
        gdal.Unlink("/vsimem/epsg.tif")
    code = srs.GetAuthorityCode(None) if srs is not None else None
    return int(code) if code else 0


def gdal_writes(code, path):
    """The SHORT GeoKeys GDAL's GTiff driver writes for EPSG:code."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(code)
    ds = gdal.GetDriverByName("GTiff").Create(path, 1, 1, 1)
    ds.SetGeoTransform([0, 1, 0, 0, 0, -1])
    ds.SetSpatialRef(srs)
    ds = None
    with open(path, "rb") as f:
        b = f.read()
    ifd = struct.unpack_from("<I", b, 4)[0]
    (count,) = struct.unpack_from("<H", b, ifd)
    for i in range(count):
        tag, _type, n, value = struct.unpack_from("<HHII", b, ifd + 2 + 12 * i)
        if tag == 34735:
            v = struct.unpack_from(f"<{n}H", b, value if n > 2 else ifd + 2 + 12 * i + 8)
            return {v[j]: v[j + 3] for j in range(4, len(v), 4) if v[j + 1] == 0}
    return {}


def tables():
    db = sqlite3.connect(proj_db_path())
    every = codes_of(
        db,
        "SELECT code FROM projected_crs WHERE auth_name = 'EPSG' UNION SELECT code FROM geodetic_crs WHERE "
        "auth_name = 'EPSG' UNION SELECT code FROM compound_crs WHERE auth_name = 'EPSG' UNION SELECT code FROM "
        "vertical_crs WHERE auth_name = 'EPSG'",
        MAX_GEOKEY,
    )
    geographic_sql = "SELECT code FROM geodetic_crs WHERE auth_name = 'EPSG' AND type LIKE 'geographic%'"
    geographic = codes_of(db, geographic_sql, MAX_EPSG_GEOKEY)
    geographic_3d = set(codes_of(db, geographic_sql.replace("LIKE 'geographic%'", "= 'geographic 3D'"), MAX_EPSG_GEOKEY))
    compound = codes_of(db, "SELECT code FROM compound_crs WHERE auth_name = 'EPSG'", MAX_EPSG_GEOKEY)
    not_horizontal = codes_of(
        db,
        "SELECT code FROM geodetic_crs WHERE auth_name = 'EPSG' AND type = 'geocentric' "
        "UNION SELECT code FROM vertical_crs WHERE auth_name = 'EPSG'",
        MAX_EPSG_GEOKEY,
    )
    projected_read_as = [[c, r] for c in every if (r := gdal_reads({MODEL_TYPE: 1, RASTER_TYPE: 1, PROJECTED_CS_TYPE: c})) != c]
    geographic_read_as = [[c, r] for c in geographic if (r := gdal_reads({MODEL_TYPE: 2, RASTER_TYPE: 1, GEOGRAPHIC_TYPE: c})) != c]
    with_vertical = []
    with tempfile.TemporaryDirectory() as tmp:
        for code in sorted(geographic_3d.union(compound)):
            keys = gdal_writes(code, os.path.join(tmp, "keys.tif"))
            horizontal = keys.get(PROJECTED_CS_TYPE, keys.get(GEOGRAPHIC_TYPE))
            vertical = keys.get(VERTICAL_CS_TYPE)
            if horizontal is None or vertical is None:
                raise SystemExit(f"EPSG:{code}: GDAL wrote {keys}, not a horizontal + vertical pair")
            row = [code, horizontal, vertical]
            if code in geographic_3d:
                row.append(gdal_reads({MODEL_TYPE: 2, RASTER_TYPE: 1, GEOGRAPHIC_TYPE: horizontal, VERTICAL_CS_TYPE: vertical}, 1))
            with_vertical.append(row)
    meta = dict(db.execute("SELECT key, value FROM metadata"))
    return meta.get("EPSG.VERSION", "?"), {
        "projectedReadAs": projected_read_as,
        "geographicReadAs": geographic_read_as,
        "geographic": geographic,
        "withVertical": with_vertical,
        "notHorizontal": not_horizontal,
    }


def base36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def cells(rows):
    """Comma-separated cells of base-36 fields, the first the distance from the previous cell's code."""
    last, out = 0, []
    for row in rows:
        row = row if isinstance(row, list) else [row]
        out.append(":".join([base36(row[0] - last)] + [base36(v) for v in row[1:]]))
        last = row[0]
    return ",".join(out)


def ts_const(name, doc, rows):
    body = cells(rows)
    one_line = f"export const {name} = '{body}';"
    if len(one_line) <= 110:  # as the formatter keeps it
        return f"\n/** {doc} */\n{one_line}\n"
    lines = [body[i : i + 112] for i in range(0, len(body), 112)]
    return (
        f"\n/** {doc} */\nexport const {name} =\n"
        + "\n".join(f"  '{line}'" + (" +" if i < len(lines) - 1 else ";") for i, line in enumerate(lines))
        + "\n"
    )


def main():
    version, t = tables()
    if sys.argv[1:] == ["--json"]:
        print(json.dumps(t))
        return
    proj = f"{osr.GetPROJVersionMajor()}.{osr.GetPROJVersionMinor()}.{osr.GetPROJVersionMicro()}"
    ts = (
        f"// Generated by scripts/generate-epsg-tables.py from GDAL {gdal.__version__} with PROJ {proj}'s database\n"
        f"// (EPSG {version}); do not edit. Each table is comma-separated cells of base-36 fields; a cell's first field\n"
        "// is its code's distance from the previous cell's code (from 0).\n"
        + ts_const(
            "EPSG_READ_AS",
            "Codes GDAL reads as another in a ProjectedCSTypeGeoKey, as `gap:code read` (0: GDAL reports no code).",
            t["projectedReadAs"],
        )
        + ts_const(
            "EPSG_GEOGRAPHIC_READ_AS",
            "Codes GDAL reads as another in a GeographicTypeGeoKey, as `gap:code read`.",
            t["geographicReadAs"],
        )
        + ts_const("EPSG_GEOGRAPHIC", "Geographic 2D and 3D CRSs (GTModelType 2), up to 32766.", t["geographic"])
        + ts_const(
            "EPSG_WITH_VERTICAL",
            "Geographic 3D and compound CRSs as `gap:horizontal:vertical`, the horizontal code (Geographic- or\n"
            " * ProjectedCSTypeGeoKey) and VerticalCSTypeGeoKey GDAL writes for them; a geographic 3D CRS has a fourth\n"
            " * field, the code GDAL reads from that pair (0: none).",
            t["withVertical"],
        )
        + ts_const(
            "EPSG_NOT_HORIZONTAL",
            "Geocentric and vertical CRSs, up to 32766: no horizontal georeferencing for a raster.",
            t["notHorizontal"],
        )
    )
    out = sys.argv[1] if len(sys.argv) > 1 else "packages/raster-io/src/crs/epsg-tables.ts"
    with open(out, "w", encoding="utf-8") as f:
        f.write(ts)
    print(", ".join(f"{k}: {len(v)}" for k, v in t.items()) + f" -> {out}", file=sys.stderr)


main()
