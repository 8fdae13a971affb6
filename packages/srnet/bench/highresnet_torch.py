"""PyTorch CPU reference timing for the srnet benchmarks: the upstream HighResNet / SRCNN architecture
(as upstream defines it) written out in plain torch, eval mode, random weights (timing only).

Usage: /usr/bin/python3 highresnet_torch.py --kind highresnet --revisits 8 --batch 8 --threads 2 --iters 5
Prints one JSON line: {"median_ms": ..., "mean_ms": ..., "times_ms": [...], "torch": "..."}.
With --serve it prints {"ready": ...} after the warm-up, then runs one forward per stdin line and prints its
time in ms, so a caller can interleave these runs with its own (fair on a loaded machine).
"""
import sys
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, k):
    return nn.Conv2d(cin, cout, k, padding=k // 2, padding_mode="reflect" if k > 1 else "zeros")


class DoubleConv(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.body = nn.Sequential(conv(cin, cout, k), nn.PReLU(), conv(cout, cout, k), nn.PReLU())

    def forward(self, x):
        return self.body(x)


class Residual(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.dc = DoubleConv(c, c, k)

    def forward(self, x):
        return x + self.dc(x)


class Model(nn.Module):
    def __init__(self, kind, revisits, cin=12, cout=3, hidden=128, k=3, zoom=2, out=(156, 156), residual_layers=1):
        super().__init__()
        self.kind, self.revisits, self.hidden, self.out = kind, revisits, hidden, out
        self.encoder = DoubleConv(cin, hidden, k)
        if kind == "srcnn":
            self.fusion = nn.Sequential(DoubleConv(revisits * hidden, hidden, k), *[Residual(hidden, k) for _ in range(residual_layers)])
        else:
            self.fuse = nn.Sequential(Residual(2 * hidden, k), conv(2 * hidden, hidden, k), nn.PReLU())
        c2 = hidden // (zoom * zoom)
        self.sr = nn.Sequential(nn.PixelShuffle(zoom), conv(c2, c2, 1), nn.PReLU(), conv(c2, cout, 1), nn.PReLU())

    def forward(self, x):
        b, r, c, h, w = x.shape
        y = self.encoder(x.reshape(b * r, c, h, w))
        if self.kind == "srcnn":
            y = self.fusion(y.reshape(b, r * self.hidden, h, w))
        else:
            y = y.reshape(b, r, self.hidden, h, w)
            p = 2 ** math.ceil(math.log2(r))
            if p > r:
                y = torch.cat([y, y.new_zeros(b, p - r, self.hidden, h, w)], 1)
            while y.shape[1] > 1:
                half = y.shape[1] // 2
                first = y[:, :half].reshape(b * half, self.hidden, h, w)
                second = y[:, half:].reshape(b * half, self.hidden, h, w)
                y = self.fuse(torch.cat([first, second], 1)).reshape(b, half, self.hidden, h, w)
            y = y[:, 0]
        y = self.sr(y)
        y = F.interpolate(y, size=self.out, mode="bilinear", align_corners=False)
        return y[:, None]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", default="highresnet")
    ap.add_argument("--revisits", type=int, default=8)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Model(args.kind, args.revisits).eval()
    x = torch.randn(args.batch, args.revisits, 12, args.size, args.size)
    if args.serve:
        with torch.inference_mode():
            for _ in range(args.warmup):
                model(x)
            print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
            for line in sys.stdin:
                if line.strip() == "quit":
                    break
                t0 = time.perf_counter()
                model(x)
                print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}), flush=True)
        return
    times = []
    with torch.inference_mode():
        for i in range(args.warmup + args.iters):
            t0 = time.perf_counter()
            y = model(x)
            dt = (time.perf_counter() - t0) * 1000
            if i >= args.warmup:
                times.append(dt)
    assert tuple(y.shape) == (args.batch, 1, 3, 156, 156)
    s = sorted(times)
    print(json.dumps({"median_ms": s[len(s) // 2], "mean_ms": sum(times) / len(times), "times_ms": times,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
