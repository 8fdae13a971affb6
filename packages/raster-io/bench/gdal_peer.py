"""In-process GDAL peer for the raster-io benchmarks (run with /usr/bin/python3 and python3-gdal).

Times each job inside this Python process (interpreter start-up and module import excluded), one job per stdin
line, on <threads> threads (GDAL_NUM_THREADS for reads: GTiff's multi-threaded block decoding; NUM_THREADS for
the COG driver), and prints {"ms": ..., "faults": ...} per job (faults: the process's minor page faults during
the job) so the caller can interleave these runs with its own:
  read <threads> <path>              gdal.Open + every band's ReadAsArray + close
  cog <threads> <src> <dst> <ovr>    copy <src>, loaded once into a MEM dataset, to <dst> with the COG driver
                                     (deflate, predictor, 256-px tiles, <ovr> average overviews)
Prints {"gdal": version} when ready; "quit" ends it.
"""
import json
import resource
import sys
import time

from osgeo import gdal

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_NUM_THREADS", "1")
mem = {}


def read(threads, path):
    gdal.SetConfigOption("GDAL_NUM_THREADS", str(threads))
    ds = gdal.Open(path)
    ds.ReadAsArray()
    ds = None


def cog(threads, src, dst, overviews):
    if src not in mem:
        mem[src] = gdal.Translate("", src, format="MEM")
    gdal.GetDriverByName("COG").CreateCopy(
        dst,
        mem[src],
        options=[
            "COMPRESS=DEFLATE",
            "PREDICTOR=YES",
            "BLOCKSIZE=256",
            f"NUM_THREADS={threads}",
            f"OVERVIEW_COUNT={overviews}",
            "OVERVIEW_RESAMPLING=AVERAGE",
        ],
    )


print(json.dumps({"gdal": gdal.__version__}), flush=True)
for line in sys.stdin:
    parts = line.split()
    if not parts or parts[0] == "quit":
        break
    threads = int(parts[1])
    if parts[0] == "cog" and parts[2] not in mem:
        cog(threads, parts[2], parts[3], int(parts[4]))  # load the source outside the timed run
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.perf_counter()
    if parts[0] == "read":
        read(threads, parts[2])
    else:
        cog(threads, parts[2], parts[3], int(parts[4]))
    ms = (time.perf_counter() - t0) * 1000
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    print(json.dumps({"ms": ms, "faults": faults}), flush=True)
