"""Command line of the 2-D lab: train one GAN, or a sweep of many, and report mode coverage.

CLI::

    python -m gan_core.lab.toy_train --dataset ring8 --loss wgan-gp --iters 3000 --seed 0 \\
        --device auto --json out.json --samples out.npy
    python -m gan_core.lab.toy_train --preset collapse --seed 0 --samples collapse0.npy
    python -m gan_core.lab.toy_train sweep --dataset ring8 --losses minimax,non-saturating,wgan-gp \\
        --seeds 16 --json out.json

The configuration lives in :mod:`gan_core.lab.config`, the engine in :mod:`gan_core.lab.engine`,
the trainers in :mod:`gan_core.lab.trainer`, sweeps in :mod:`gan_core.lab.sweep`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

import numpy as np
import torch

from gan_core.lab import metrics as _metrics
from gan_core.lab.bigan import reconstruction
from gan_core.lab.config import PRESETS, lab_defaults, preset
from gan_core.lab.losses import LOSSES
from gan_core.lab.records import finite_or_none, run_record
from gan_core.lab.sweep import Sweep, sweep_runs
from gan_core.lab.trainer import Trainer

__all__ = ["main"]

_OVERRIDES = (("latent_dim", int), ("g_depth", int), ("g_width", int), ("d_depth", int),
              ("d_width", int), ("batch_size", int), ("n_critic", int), ("lr_d", float),
              ("lr_g", float), ("clip", float), ("gp_lambda", float), ("activation", str),
              ("optimizer", str), ("snapshot_every", int), ("latent_dist", str))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gan_core.lab.toy_train",
        description="Train one GAN on a 2-D mixture and report mode coverage (VEEGAN / PacGAN protocol). "
                    "Defaults are the lab page's defaults for the chosen loss.  "
                    "'python -m gan_core.lab.toy_train sweep --help': many seeds and settings at once.")
    p.add_argument("--dataset", default=None, help="ring8 | grid25 | spiral | moons | custom (default ring8)")
    p.add_argument("--points", default=None, help="custom dataset: .npy file of shape (K, 2)")
    p.add_argument("--loss", default=None, choices=list(LOSSES),
                   help="GAN objective (default wgan-gp; with --bigan non-saturating)")
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
    for name, typ in _OVERRIDES:
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=typ, default=None,
                       help="override the lab default")
    p.add_argument("--beta1", type=float, default=None)
    p.add_argument("--beta2", type=float, default=None)
    return p


def _config(args):
    """``(config, dataset, iters)`` from the single-run flags."""
    if args.preset:
        cfg, dataset, iters = preset(args.preset)
        dataset = args.dataset or dataset
        if args.loss and args.loss != cfg.loss:
            # Same data and seeds; the loss's own lab defaults (for comparisons).
            cfg = lab_defaults(args.loss, dataset)
            iters = cfg.iters
    else:
        dataset = args.dataset or "ring8"
        # A BiGAN defaults to the loss it was designed with (Donahue et al. 2017) and its own settings.
        cfg = (lab_defaults(args.loss or "non-saturating", dataset, bigan=True) if args.bigan
               else lab_defaults(args.loss or "wgan-gp", dataset))
        iters = cfg.iters
    if args.iters is not None:
        # The requested length is also the horizon of any learning-rate decay.
        iters = args.iters
        if iters >= 1:
            cfg = replace(cfg, iters=iters)
    over = {k: getattr(args, k) for k, _ in _OVERRIDES if getattr(args, k) is not None}
    if args.bigan:
        over["bigan"] = True
    if args.beta1 is not None or args.beta2 is not None:
        b1, b2 = cfg.betas
        over["betas"] = (args.beta1 if args.beta1 is not None else b1,
                         args.beta2 if args.beta2 is not None else b2)
    if iters < 0:
        raise ValueError("--iters must be >= 0")
    return replace(cfg, **over).validate(), dataset, iters


def _single(argv) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.threads:
            torch.set_num_threads(args.threads)
        cfg, dataset, iters = _config(args)
        points = np.load(args.points) if args.points else None
        t0 = time.perf_counter()
        tr = Trainer(cfg, dataset, seed=args.seed, device=args.device, points=points)
        tr.train(iters)
        snap = tr.snapshot()
        wall = time.perf_counter() - t0
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m = snap.metrics
    result = run_record(tr, iters_requested=iters, wall_s=wall, preset=args.preset)
    print(f"{cfg.loss} on {tr.dataset.name}, seed {args.seed}, {tr.step_count} iterations on {tr.device} "
          f"in {wall:.1f} s ({result['iters_per_s'] or 0:.0f} it/s)")
    print(f"modes captured {m['modes_captured']}/{m['n_modes']}, high quality {100 * m['high_quality']:.1f} %, "
          f"reverse KL {m['reverse_kl']:.3f} nats, W1 {m['w1']:.4f}")
    if cfg.bigan:
        rec = result["reconstruction"] = reconstruction(tr)
        print(f"encoder: mean ||G(E(x)) - x|| {rec['encoded']:.4f} for data x, {rec['random']:.4f} for a random z; "
              f"G(E(x)) on the mode of x for {100 * rec['same_mode']:.1f} %")
    if tr.diverged:
        print(tr.diverged.message())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(finite_or_none(result), f, indent=1)
    if args.samples:
        np.save(args.samples, snap.samples[:_metrics.PROTOCOL_SAMPLES].astype(np.float32))
    return 0 if tr.diverged is None else 3


# --- sweep ---------------------------------------------------------------------------------------

def _sweep_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gan_core.lab.toy_train sweep",
        description="Train a grid of runs (datasets x losses x learning rates x seeds) as stacked models "
                    "and report, per setting, the modes captured (mean, spread, 95 % interval) and the "
                    "share of runs that found every mode.  Each run equals its single run.")
    p.add_argument("--dataset", default="ring8", help="comma-separated: ring8,grid25,spiral,moons (default ring8)")
    p.add_argument("--losses", default="minimax,non-saturating,wgan-gp",
                   help=f"comma-separated, from {','.join(LOSSES)} (default minimax,non-saturating,wgan-gp)")
    p.add_argument("--seeds", type=int, default=16, help="number of seeds per setting (default 16)")
    p.add_argument("--seed-start", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--lrs", default=None, help="comma-separated learning rates (each sets lr_d and lr_g); "
                                                "default: each loss's lab default")
    p.add_argument("--iters", type=int, default=None, help="generator iterations of every run "
                                                          "(default: each loss's lab default)")
    p.add_argument("--snapshot-every", type=int, default=None, help="override the lab default")
    p.add_argument("--max-stack", type=int, default=16, help="most runs per stacked engine (default 16)")
    p.add_argument("--device", default="cpu", help="auto | cpu | cuda (default cpu)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; 0: torch's choice)")
    p.add_argument("--cuda-graphs", action="store_true",
                   help="on a CUDA device, capture each stack's iteration once as a CUDA graph and replay it "
                        "(same numbers; not yet measured on a GPU, see docs/bench_device.json)")
    p.add_argument("--json", default=None, help="write {runs: [...], summary: [...]} here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _progress_bar(stream=None, width: int = 30):
    stream = sys.stderr if stream is None else stream
    t0 = time.perf_counter()

    shown = []

    def show(done: int, total: int) -> None:
        if shown and shown[-1] == done:
            return
        shown.append(done)
        frac = done / total if total else 1.0
        filled = int(round(width * frac))
        el = time.perf_counter() - t0
        eta = f", {el * (1 - frac) / frac:.0f} s left" if 0 < frac < 1 else ""
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * frac:5.1f} % "
                     f"{done}/{total} run-iterations, {el:.0f} s{eta}  ")
        if done >= total:
            stream.write("\n")
        stream.flush()
    return show


def _split(text: str, what: str) -> list[str]:
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise ValueError(f"give at least one {what}")
    return items


def _sweep_from_args(args) -> Sweep:
    lrs = None
    if args.lrs is not None:
        try:
            lrs = [float(v) for v in _split(args.lrs, "learning rate")]
        except ValueError:
            raise ValueError(f"--lrs takes comma-separated numbers, got {args.lrs!r}") from None
    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {args.seeds}")
    over = {} if args.snapshot_every is None else {"snapshot_every": args.snapshot_every}
    runs = sweep_runs(_split(args.dataset, "dataset"), _split(args.losses, "loss"),
                      range(args.seed_start, args.seed_start + args.seeds), lrs=lrs, iters=args.iters, **over)
    return Sweep(runs, device=args.device, max_stack=args.max_stack, cuda_graphs=args.cuda_graphs)


def _print_summary(summary) -> None:
    for cell in summary:
        m, hq, share = cell["modes_captured"], cell["high_quality"], cell["all_modes"]
        print(f"{cell['loss']:>15} on {cell['dataset']}, lr {cell['lr_d']:g}/{cell['lr_g']:g}, "
              f"{cell['n_runs']} runs: modes {m['mean']:.2f} +- {m['std']:.2f} "
              f"(95 % CI {m['ci'][0]:.2f}-{m['ci'][1]:.2f}) of {cell['n_modes']}; all modes in "
              f"{share['k']}/{share['n']} ({100 * share['ci'][0]:.0f}-{100 * share['ci'][1]:.0f} %); "
              f"high quality {100 * hq['mean']:.1f} % +- {100 * hq['std']:.1f}"
              + (f"; {cell['diverged']} diverged" if cell["diverged"] else ""))


def _sweep(argv) -> int:
    args = _sweep_parser().parse_args(argv)
    try:
        if args.threads:
            torch.set_num_threads(args.threads)
        sw = _sweep_from_args(args)
        print(f"{len(sw)} runs in {len(sw.engines)} stacks on {sw.device}, {torch.get_num_threads()} thread(s)",
              file=sys.stderr)
        sw.train(progress=None if args.quiet else _progress_bar())
        records = sw.records()
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = sw.summary(records)
    total = sum(r["iters_done"] for r in records)
    print(f"{len(sw)} runs, {total} run-iterations in {sw.wall_s:.1f} s ({total / max(sw.wall_s, 1e-9):.0f} it/s)")
    _print_summary(summary)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(finite_or_none({"runs": records, "summary": summary, "wall_s": sw.wall_s,
                                      "stacks": [len(s) for s in sw.stacks]}), f, indent=1)
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "sweep":
        return _sweep(argv[1:])
    return _single(argv)


if __name__ == "__main__":
    sys.exit(main())
