"""Is the GPU faster than the CPU for the lab's 2-D GANs?  Iterations per second on each device.

For ring8 and grid25 with the lab's defaults (and the four-loss "Compare all" lockstep), times
``--iters`` iterations after a warm-up on the CPU (``--threads``) and on CUDA when present.
``--no-sync`` also times CUDA with the per-step divergence check (a device-to-host copy, so a
synchronisation, after every step) switched off: the most that removing that sync could give.

    python scripts/bench_device.py --iters 200 --threads 2 --no-sync
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_core.lab import config as toy_config, trainer as toy_trainer


def rate(configs, dataset, device, iters, no_sync=False):
    lock = toy_trainer.LockstepTrainer(configs, dataset, seed=0, device=device)
    engines = lock.engines
    if no_sync:
        for eng in engines:
            eng._check = lambda *a, **k: None
    lock.train(20)  # warm-up: allocator, kernels, autograd graph
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    lock.train(iters)
    if device == "cuda":
        torch.cuda.synchronize()
    return iters / (time.perf_counter() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-sync", action="store_true")
    p.add_argument("--json", default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    cases = {}
    for dataset in ("ring8", "grid25"):
        for loss in ("minimax", "wgan-gp"):
            cases[f"{dataset} {loss}"] = ([toy_config.lab_defaults(loss, dataset, snapshot_every=0)], dataset)
        cases[f"{dataset} compare-all x4"] = (
            [toy_config.lab_defaults(n, dataset, snapshot_every=0) for n in ("minimax", "wgan-clip", "wgan-gp", "lsgan")],
            dataset)
    rows = {}
    print(f"{'case':26s} " + " ".join(f"{d + ' it/s':>12s}" for d in devices) + ("  cuda no-sync" if args.no_sync else ""))
    for name, (configs, dataset) in cases.items():
        row = {d: rate(configs, dataset, d, args.iters) for d in devices}
        if args.no_sync and "cuda" in devices:
            row["cuda_no_sync"] = rate(configs, dataset, "cuda", args.iters, no_sync=True)
        rows[name] = row
        print(f"{name:26s} " + " ".join(f"{row[d]:12.0f}" for d in devices)
              + (f"  {row['cuda_no_sync']:12.0f}" if "cuda_no_sync" in row else ""), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "iters": args.iters, "rows": rows,
                       "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}, f, indent=1)


if __name__ == "__main__":
    main()
