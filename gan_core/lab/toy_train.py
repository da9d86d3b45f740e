"""Command line of the 2-D lab: train one GAN (or a sweep of many) and report mode coverage.

CLI::

    python -m gan_core.lab.toy_train --dataset ring8 --loss wgan-gp --iters 3000 --seed 0 \\
        --device auto --json out.json --samples out.npy
    python -m gan_core.lab.toy_train --preset collapse --seed 0 --samples collapse0.npy

The configuration lives in :mod:`gan_core.lab.config`, the engine in :mod:`gan_core.lab.engine`,
the trainers in :mod:`gan_core.lab.trainer`.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, replace

import numpy as np
import torch

from gan_core.lab import metrics as _metrics
from gan_core.lab.config import PRESETS, lab_defaults, preset
from gan_core.lab.losses import LOSSES
from gan_core.lab.trainer import Trainer

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gan_core.lab.toy_train",
        description="Train one GAN on a 2-D mixture and report mode coverage (VEEGAN / PacGAN protocol). "
                    "Defaults are the lab page's defaults for the chosen loss.")
    p.add_argument("--dataset", default=None, help="ring8 | grid25 | spiral | moons | custom (default ring8)")
    p.add_argument("--points", default=None, help="custom dataset: .npy file of shape (K, 2)")
    p.add_argument("--loss", default=None, choices=list(LOSSES), help="GAN objective (default wgan-gp)")
    p.add_argument("--preset", default=None, choices=sorted(PRESETS),
                   help="a named configuration (collapse: the original GAN in the Unrolled-GAN setup)")
    p.add_argument("--iters", type=int, default=None,
                   help="generator iterations (default: the loss's lab default, ToyConfig.iters)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    # One thread: these matrices are small enough that a second thread buys little, and on a
    # shared 2-core machine two threads per process thrash (measured: 20x slower under load).
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; 0: torch's choice)")
    p.add_argument("--json", default=None, help="write config, metrics, wall time, device, it/s here")
    p.add_argument("--samples", default=None, help="write 2500 generated points, float32 (2500, 2) .npy")
    p.add_argument("--bigan", action="store_true", help="train a BiGAN (adds an encoder)")
    for name, typ in (("latent_dim", int), ("g_depth", int), ("g_width", int), ("d_depth", int),
                      ("d_width", int), ("batch_size", int), ("n_critic", int), ("lr_d", float),
                      ("lr_g", float), ("clip", float), ("gp_lambda", float), ("activation", str),
                      ("optimizer", str), ("snapshot_every", int), ("latent_dist", str)):
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=typ, default=None,
                       help="override the lab default")
    p.add_argument("--beta1", type=float, default=None)
    p.add_argument("--beta2", type=float, default=None)
    return p


def _finite_or_none(obj):
    # Strict JSON has no Infinity / NaN: an undefined value (reverse KL with no high-quality
    # sample, a NaN loss) is written as null.
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.threads:
            torch.set_num_threads(args.threads)
        if args.preset:
            cfg, dataset, iters = preset(args.preset)
            dataset = args.dataset or dataset
            if args.loss and args.loss != cfg.loss:
                # Same data and seeds; the loss's own lab defaults (for comparisons).
                cfg = lab_defaults(args.loss, dataset)
                iters = cfg.iters
        else:
            dataset = args.dataset or "ring8"
            cfg = lab_defaults(args.loss or "wgan-gp", dataset)
            iters = cfg.iters
        if args.iters is not None:
            # The requested length is also the horizon of any learning-rate decay.
            iters = args.iters
            if iters >= 1:
                cfg = replace(cfg, iters=iters)
        over = {k: getattr(args, k) for k in ("latent_dim", "g_depth", "g_width", "d_depth", "d_width",
                                              "batch_size", "n_critic", "lr_d", "lr_g", "clip", "gp_lambda",
                                              "activation", "optimizer", "snapshot_every", "latent_dist")
                if getattr(args, k) is not None}
        if args.bigan:
            over["bigan"] = True
        if args.beta1 is not None or args.beta2 is not None:
            b1, b2 = cfg.betas
            over["betas"] = (args.beta1 if args.beta1 is not None else b1,
                             args.beta2 if args.beta2 is not None else b2)
        cfg = replace(cfg, **over).validate()
        points = np.load(args.points) if args.points else None
        if iters < 0:
            raise ValueError("--iters must be >= 0")
        t0 = time.perf_counter()
        tr = Trainer(cfg, dataset, seed=args.seed, device=args.device, points=points)
        tr.train(iters)
        snap = tr.snapshot()
        wall = time.perf_counter() - t0
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m = snap.metrics
    result = {
        "config": cfg.to_dict(), "dataset": tr.dataset.name, "seed": args.seed, "preset": args.preset,
        "iters_requested": iters, "iters_done": tr.step_count,
        "metrics": {k: v for k, v in m.items()},
        "wall_s": wall, "train_s": tr.train_seconds, "device": str(tr.device),
        "iters_per_s": tr.step_count / tr.train_seconds if tr.train_seconds > 0 else None,
        "torch_threads": torch.get_num_threads(),
        "diverged": asdict(tr.diverged) if tr.diverged else None,
        "snapshots": [{"step": s.step, **{k: v for k, v in s.metrics.items() if k != "histogram"}}
                      for s in tr.snapshots],
    }
    print(f"{cfg.loss} on {tr.dataset.name}, seed {args.seed}, {tr.step_count} iterations on {tr.device} "
          f"in {wall:.1f} s ({result['iters_per_s'] or 0:.0f} it/s)")
    print(f"modes captured {m['modes_captured']}/{m['n_modes']}, high quality {100 * m['high_quality']:.1f} %, "
          f"reverse KL {m['reverse_kl']:.3f} nats, W1 {m['w1']:.4f}")
    if tr.diverged:
        print(tr.diverged.message())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(_finite_or_none(result), f, indent=1)
    if args.samples:
        np.save(args.samples, snap.samples[:_metrics.PROTOCOL_SAMPLES].astype(np.float32))
    return 0 if tr.diverged is None else 3


if __name__ == "__main__":
    sys.exit(main())
