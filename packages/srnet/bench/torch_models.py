"""PyTorch peer for the srnet benchmark: the same HighResNet / SRCNN architecture as upstream WorldStrat,
timed for an eval forward and one training step (Adam, L2 weight decay, the upstream registered
loss: bias adjustment, 81-shift Lanczos search, MSE + MAE + SSIM). Prints one JSON line. Usage:
  /usr/bin/python3 bench/torch_models.py --model highresnet --revisits 8 --batch 8 --repeats 3 --threads 2
"""
import argparse, json, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, k):
    return nn.Conv2d(cin, cout, k, padding=k // 2, padding_mode="reflect")


class DoubleConv2d(nn.Module):
    def __init__(self, cin, cout, k=3):
        super().__init__()
        self.doubleconv2d = nn.Sequential(conv(cin, cout, k), nn.Identity(), nn.PReLU(), nn.Dropout(0.5),
                                          conv(cout, cout, k), nn.Identity(), nn.PReLU(), nn.Dropout(0.5))

    def forward(self, x):
        return self.doubleconv2d(x)


class Residual(nn.Module):
    def __init__(self, c, k=3):
        super().__init__()
        self.residualblock = DoubleConv2d(c, c, k)

    def forward(self, x):
        return x + self.residualblock(x)


class Fusion(nn.Module):
    def __init__(self, c, k=3):
        super().__init__()
        self.fuse = nn.Sequential(Residual(2 * c, k), conv(2 * c, c, k), nn.Identity(), nn.PReLU())

    def forward(self, x):
        b, r, c, h, w = x.shape
        half = r // 2
        first = x[:, :half].reshape(b * half, c, h, w)
        second = x[:, half:].reshape(b * half, c, h, w)
        return self.fuse(torch.cat([first, second], 1)).reshape(b, half, c, h, w)


class Model(nn.Module):
    def __init__(self, kind, revisits, cin=12, cout=3, hidden=128, zoom=2, out=(156, 156)):
        super().__init__()
        self.kind, self.revisits, self.hidden, self.out = kind, revisits, hidden, out
        self.encoder = DoubleConv2d(cin, hidden)
        if kind == "srcnn":
            self.fusion = nn.Sequential(DoubleConv2d(revisits * hidden, hidden), Residual(hidden))
        else:
            self.fuse = Fusion(hidden)
            self.levels = math.ceil(math.log2(revisits))
        m = hidden // (zoom * zoom)
        self.sr = nn.Sequential(nn.PixelShuffle(zoom), conv(m, m, 1), nn.PReLU(), conv(m, cout, 1), nn.PReLU())

    def forward(self, x):
        b, r, c, h, w = x.shape
        e = self.encoder(x.reshape(b * r, c, h, w))
        if self.kind == "srcnn":
            f = self.fusion(e.reshape(b, r * self.hidden, h, w))
        else:
            y = e.reshape(b, r, self.hidden, h, w)
            padded = 2 ** self.levels
            if padded > r:  # zero revisits up to the next power of two (upstream RecursiveFusion)
                y = torch.cat([y, y.new_zeros(b, padded - r, self.hidden, h, w)], 1)
            for _ in range(self.levels):
                y = self.fuse(y)
            f = y.reshape(b, self.hidden, h, w)
        s = self.sr(f)
        return F.interpolate(s, size=self.out, mode="bilinear", align_corners=False)[:, None]


def lanczos_kernels():
    s = torch.arange(-2, 2.5, 0.5)
    a = torch.arange(11, dtype=torch.float32)
    x = (a[None, :] - 5) - s[:, None]
    px = math.pi * x + 0.001
    k1 = 3 * torch.sin(px) * torch.sin(px / 3) / px ** 2  # (9, 11)
    return (k1[:, None, :, None] * k1[None, :, None, :]).reshape(81, 1, 11, 11)


def gaussian(n=5, sigma=1.5):
    x = torch.arange(n, dtype=torch.float32) - n // 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


K81, G = lanczos_kernels(), gaussian()


def registered_loss(p, y):
    """Upstream LitModel.loss: bias-adjust, 81-shift Lanczos search (min MSE), MAE + SSIM on that shift."""
    b, c, h, w = y.shape
    p = p + (y - p).mean(dim=(2, 3), keepdim=True)
    pc = p[:, :, 2:148, 2:148]
    with torch.no_grad():
        ys = F.conv2d(y.reshape(b * c, 1, h, w), K81).reshape(b, c, 81, 146, 146).transpose(1, 2)
        mse_all = ((pc[:, None] - ys) ** 2).mean(dim=(2, 3, 4))
        idx = mse_all.argmin(1)
        al = ys[torch.arange(b), idx]
    d = pc - al
    mse = (d ** 2).mean(dim=(1, 2, 3))
    mae = d.abs().mean(dim=(1, 2, 3))
    def filt(t):
        return F.conv2d(F.pad(t.reshape(b * c, 1, 146, 146), (2, 2, 2, 2), mode="reflect"), G)
    mx, my = filt(pc), filt(al)
    sxx, syy, sxy = filt(pc * pc) - mx ** 2, filt(al * al) - my ** 2, filt(pc * al) - mx * my
    ssim = ((2 * mx * my + 1e-4) * (2 * sxy + 9e-4)) / ((mx ** 2 + my ** 2 + 1e-4) * (sxx + syy + 9e-4) + 1e-12)
    ssim_loss = torch.clamp((1 - ssim) / 2, 0, 1).reshape(b, -1).mean(1)
    return (0.3 * mse + 0.4 * mae + 0.3 * ssim_loss).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="highresnet")
    ap.add_argument("--revisits", type=int, default=8)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Model(a.model, a.revisits)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-4)
    x = torch.randn(a.batch, a.revisits, 12, 50, 50)
    y = torch.rand(a.batch, 3, 156, 156)

    def forward():
        model.eval()
        with torch.no_grad():
            model(x)

    def step():
        model.train()
        opt.zero_grad()
        loss = registered_loss(model(x)[:, 0], y)
        loss.backward()
        opt.step()

    res = {}
    for name, fn in (("forward", forward), ("train_step", step)):
        fn()  # warm-up
        t = []
        for _ in range(a.repeats):
            t0 = time.perf_counter(); fn(); t.append(time.perf_counter() - t0)
        res[name] = min(t)
    print(json.dumps({"torch": torch.__version__, "threads": a.threads, "batch": a.batch, **res}))


if __name__ == "__main__":
    main()
