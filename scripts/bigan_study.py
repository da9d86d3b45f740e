"""BiGAN on ring8: mode coverage, sample quality and encoder inversion per seed.

    .venv/bin/python scripts/bigan_study.py --loss non-saturating --seeds 0 1 2 \\
        --set e_width=128 latent_dim=2 --json docs/bigan_study.json --label "defaults"

Each run trains ``Trainer(lab_defaults(loss, "ring8", bigan=True, **overrides), "ring8", seed)``
with one torch thread and prints, per seed and averaged: modes captured (of 8), high-quality
share, and the encoder's reconstruction error ``mean ||G(E(x)) - x||`` against the same for a
random z (gan_core.lab.bigan.reconstruction).  ``--json`` appends the record to a JSON list
(docs/bigan.md quotes these records).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from gan_core.lab.bigan import reconstruction  # noqa: E402
from gan_core.lab.config import lab_defaults, parse_overrides  # noqa: E402
from gan_core.lab.trainer import Trainer  # noqa: E402


def run_one(loss: str, seed: int, iters: int | None, overrides: dict, every: int) -> dict:
    cfg = lab_defaults(loss, "ring8", **{"bigan": True, **overrides})
    if iters is not None:
        cfg = lab_defaults(loss, "ring8", **{"bigan": True, **overrides, "iters": iters})
    tr = Trainer(cfg, "ring8", seed=seed, device="cpu")
    t0 = time.perf_counter()
    curve = []
    while tr.step_count < cfg.iters and tr.diverged is None:
        tr.train(min(every, cfg.iters - tr.step_count))
        m = tr.snapshot().metrics
        rec = reconstruction(tr, n=1000, seed=1)
        curve.append({"step": tr.step_count, "modes": m["modes_captured"], "hq": round(m["high_quality"], 4),
                      "rec": round(rec["encoded"], 4), "rand": round(rec["random"], 4)})
        print(f"  seed {seed} step {tr.step_count}: modes {m['modes_captured']}/8 hq {100 * m['high_quality']:.1f} % "
              f"rec {rec['encoded']:.3f} vs random {rec['random']:.3f}", flush=True)
    m = tr.snapshot().metrics
    rec = reconstruction(tr, n=2500, seed=1)
    return {"seed": seed, "iters": tr.step_count, "modes": m["modes_captured"], "high_quality": m["high_quality"],
            "reconstruction": rec, "seconds": time.perf_counter() - t0,
            "diverged": tr.diverged.message() if tr.diverged else None, "curve": curve,
            "config": cfg.to_dict()}


def table(records: list[dict]) -> str:
    """A markdown table of recorded runs, one row per seed (docs/bigan.md is built from it)."""
    lines = ["| setting | seed | modes (of 8) | high quality | mean ‖G(E(x)) − x‖ | mean ‖G(z) − x‖, random z "
             "| G(E(x)) on x's mode |", "|---|---|---|---|---|---|---|"]
    for rec in records:
        for r in rec["runs"]:
            c = r["reconstruction"]
            lines.append(f"| {rec['label']} | {r['seed']} | {r['modes']} | {100 * r['high_quality']:.1f} % "
                         f"| {c['encoded']:.4f} | {c['random']:.4f} | {100 * c['same_mode']:.1f} % |")
        m = rec["mean"]
        lines.append(f"| {rec['label']} | mean | {m['modes']:.2f} | {100 * m['high_quality']:.1f} % "
                     f"| {m['encoded']:.4f} | {m['random']:.4f} | |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--loss", default="non-saturating")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--iters", type=int, default=None, help="default: the configuration's iters")
    p.add_argument("--every", type=int, default=500, help="generator steps between progress lines")
    p.add_argument("--set", nargs="*", default=[], help="ToyConfig overrides, key=value")
    p.add_argument("--json", default=None, help="append the record to this JSON list")
    p.add_argument("--label", default="")
    p.add_argument("--table", default=None, help="print the markdown table of this JSON record and stop")
    args = p.parse_args(argv)
    if args.table:
        with open(args.table) as f:
            print(table(json.load(f)))
        return 0
    torch.set_num_threads(1)
    overrides = parse_overrides(args.set)
    runs = []
    for seed in args.seeds:
        r = run_one(args.loss, seed, args.iters, overrides, args.every)
        runs.append(r)
        rec = r["reconstruction"]
        print(f"seed {seed}: modes {r['modes']}/8, high quality {100 * r['high_quality']:.1f} %, "
              f"||G(E(x)) - x|| {rec['encoded']:.4f} vs random z {rec['random']:.4f} "
              f"(same mode {100 * rec['same_mode']:.1f} %), {r['seconds']:.0f} s", flush=True)
    k = len(runs)
    mean = {"modes": sum(r["modes"] for r in runs) / k, "high_quality": sum(r["high_quality"] for r in runs) / k,
            "encoded": sum(r["reconstruction"]["encoded"] for r in runs) / k,
            "random": sum(r["reconstruction"]["random"] for r in runs) / k}
    print(f"mean over {k} seeds: modes {mean['modes']:.2f}/8, high quality {100 * mean['high_quality']:.1f} %, "
          f"||G(E(x)) - x|| {mean['encoded']:.4f} vs random z {mean['random']:.4f}")
    if args.json:
        records = []
        if os.path.exists(args.json):
            with open(args.json) as f:
                records = json.load(f)
        records.append({"label": args.label, "loss": args.loss, "overrides": overrides, "mean": mean, "runs": runs})
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
