# One training step (registered loss + Adam) of bench/torch_models.py's architecture at a given width, chip size and
# thread count; prints {"train_step": fastest seconds, ...} as the last line. Used by train-data-parallel.bench.ts.
import argparse, json, os, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="highresnet")
    ap.add_argument("--revisits", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--chip", type=int, default=50)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = tm.Model(a.model, a.revisits, hidden=a.hidden)  # output 156×156, what registered_loss expects
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-4)
    x = torch.randn(a.batch, a.revisits, 12, a.chip, a.chip)
    y = torch.rand(a.batch, 3, 156, 156)
    model.train()

    def step():
        opt.zero_grad()
        loss = tm.registered_loss(model(x)[:, 0], y)
        loss.backward()
        opt.step()

    step()  # warm-up
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "train_step": min(times)}))


if __name__ == "__main__":
    main()
