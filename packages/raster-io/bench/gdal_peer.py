"""In-process GDAL peer for the raster-io benchmarks (run with /usr/bin/python3 and python3-gdal).

Times each job inside this Python process (interpreter start-up and module import excluded), one job per stdin
line, single-threaded (GDAL_NUM_THREADS=1), and prints {"ms": ...} per job so the caller can interleave these
runs with its own:
  read <path>              gdal.Open + every band's ReadAsArray + close
  cog <src> <dst> <ovr>    copy <src>, loaded once into a MEM dataset, to <dst> with the COG driver (deflate,
                           predictor, 256-px tiles, <ovr> average overviews), NUM_THREADS=1
Prints {"gdal": version} when ready; "quit" ends it.
"""
import json
import sys
import time

from osgeo import gdal

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_NUM_THREADS", "1")
mem = {}


def read(path):
    ds = gdal.Open(path)
    ds.ReadAsArray()
    ds = None


def cog(src, dst, overviews):
    if src not in mem:
        mem[src] = gdal.Translate("", src, format="MEM")
    gdal.GetDriverByName("COG").CreateCopy(
        dst,
        mem[src],
        options=[
            "COMPRESS=DEFLATE",
            "PREDICTOR=YES",
            "BLOCKSIZE=256",
            "NUM_THREADS=1",
            f"OVERVIEW_COUNT={overviews}",
            "OVERVIEW_RESAMPLING=AVERAGE",
        ],
    )


print(json.dumps({"gdal": gdal.__version__}), flush=True)
for line in sys.stdin:
    parts = line.split()
    if not parts or parts[0] == "quit":
        break
    if parts[0] == "cog" and parts[1] not in mem:
        cog(parts[1], parts[2], int(parts[3]))  # load the source outside the timed run
    t0 = time.perf_counter()
    if parts[0] == "read":
        read(parts[1])
    else:
        cog(parts[1], parts[2], int(parts[3]))
    print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}), flush=True)
