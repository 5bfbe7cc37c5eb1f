"""PyTorch peer of bench/train.ts: the same default model (conv 5x5x20 relu, max-pool 2,
conv 5x5x50 relu, max-pool 2, dense 500 relu, dense 10; RMSProp), batches and data.

It serves timing windows so that the caller can interleave them with its own: each line on
stdin is a JSON request {"phase": "train" | "infer", "threads": T, "mkldnn": true | false,
"seconds": S}; the answer, one JSON line on stdout, is {"rate": samples per second} of one
window of about S seconds, after 3 untimed warm-up steps in that configuration. The first line
printed, before any request, describes the process: {"torch": version, "blas": library}.
OpenBLAS's own thread count is fixed when the process starts (OPENBLAS_NUM_THREADS in its
environment), so the caller starts one process per setting.

Usage: python3 bench/torch_train.py --data FILE --n N [--train-batch 64] [--infer-batch 512]
FILE holds N*784 float32 pixels (NHWC = NCHW for one channel) then N int32 labels.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def model() -> nn.Module:
    torch.manual_seed(1)
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10),
    )


def window(step, samples: int, seconds: float) -> float:
    """Samples per second over one window of about `seconds` (at least 3 steps)."""
    for i in range(3):
        step(i)
    steps = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds or steps < 3:
        step(steps)
        steps += 1
        elapsed = time.perf_counter() - start
    return steps * samples / elapsed


def blas_library() -> str:
    """The BLAS shared library this process loaded (after some matMuls), by its real path."""
    names = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            base = os.path.basename(path)
            if "blas" in base or "mkl" in base:
                names.add(os.path.realpath(path))
    if not names:
        return "none (torch's own kernels)"
    described = []
    for path in sorted(names):
        if "openblas" in path:
            described.append(f"OpenBLAS ({path})")
        elif "/blas/" in path:
            described.append(f"reference BLAS ({path})")
        else:
            described.append(path)
    return "; ".join(described)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--train-batch", type=int, default=64)
    parser.add_argument("--infer-batch", type=int, default=512)
    args = parser.parse_args()
    raw = np.fromfile(args.data, dtype=np.uint8)
    x = torch.from_numpy(raw[: args.n * 784 * 4].view(np.float32).copy()).reshape(args.n, 1, 28, 28)
    y = torch.from_numpy(raw[args.n * 784 * 4:].view(np.int32).astype(np.int64))
    tb, ib = args.train_batch, args.infer_batch
    train_batches = [(x[i:i + tb], y[i:i + tb]) for i in range(0, args.n, tb)]
    infer_batches = [x[i:i + ib] for i in range(0, args.n, ib)]
    net = model()
    opt = torch.optim.RMSprop(net.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()

    def train_step(i: int) -> None:
        bx, by = train_batches[i % len(train_batches)]
        opt.zero_grad()
        loss = loss_fn(net(bx), by)
        loss.backward()
        opt.step()

    def infer_step(i: int) -> None:
        with torch.no_grad():
            net(infer_batches[i % len(infer_batches)])

    net(x[:tb]).sum().backward()  # loads the BLAS library before it is named
    print(json.dumps({"torch": torch.__version__, "blas": blas_library()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        torch.set_num_threads(int(request["threads"]))
        torch.backends.mkldnn.enabled = bool(request["mkldnn"])
        if request["phase"] == "train":
            net.train()
            rate = window(train_step, tb, float(request["seconds"]))
        else:
            net.eval()
            rate = window(infer_step, ib, float(request["seconds"]))
        print(json.dumps({"rate": rate}), flush=True)


if __name__ == "__main__":
    main()
