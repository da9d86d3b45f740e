"""What the mode-collapse preset does over a run: which mode the samples sit on, and how many.

    .venv/bin/python scripts/collapse_study.py --seeds 0 1 2 --json docs/collapse_record.json
    .venv/bin/python scripts/collapse_study.py --seeds 0 --set loss='non-saturating' --every 100

Trains the preset (gan_core.lab.config.PRESETS["collapse"], or variants of it with ``--set``) with
one torch thread and, every ``--every`` generator steps, measures 2,500 samples from fixed latents
(gan_core.lab.collapse.trace).  Prints per seed the trace's summary (gan_core.lab.collapse.summarise):
share of samples on a mode (within 3 std of a centre), share on the run's busiest mode of the
moment, the modes that were ever that mode, and the number of hops between them.  ``--json`` writes
the records that docs/collapse_preset.md and the preset's description quote.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from gan_core.lab.collapse import summarise, trace  # noqa: E402
from gan_core.lab.config import parse_overrides, preset  # noqa: E402


def table(record: dict) -> str:
    """A markdown table of the recorded runs, one row per seed (docs/collapse_preset.md is built from it)."""
    lines = ["| seed | samples on a mode, mean (max) | snapshots with ≥ 50 % on one mode | snapshots with ≥ 90 % "
             "nearest one mode | modes it gathered near | moves | mean distance to nearest centre "
             "| modes captured at the end |", "|---|---|---|---|---|---|---|---|"]
    for run in sorted(record["runs"], key=lambda r: r["seed"]):
        s = summarise(run["trace"])
        lines.append(f"| {run['seed']} | {100 * s['on_mode_mean']:.1f} % ({100 * s['on_mode_max']:.1f} %) "
                     f"| {100 * s['one_mode_share']:.0f} % | {100 * s['near_one_share']:.0f} % "
                     f"| {len(s['near_modes'])} | {s['near_hops']} | {s['mean_dist_mean']:.3f} | {s['final_modes']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--iters", type=int, default=None, help="default: the preset's")
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--set", nargs="*", default=[], help="ToyConfig overrides of the preset, key=value")
    p.add_argument("--json", default=None, help="write the records here (a JSON object)")
    p.add_argument("--table", default=None, help="print the markdown table of this JSON record and stop")
    args = p.parse_args(argv)
    if args.table:
        with open(args.table) as f:
            print(table(json.load(f)))
        return 0
    torch.set_num_threads(1)
    cfg, dataset, iters = preset("collapse")
    overrides = parse_overrides(args.set)
    cfg = replace(cfg, **overrides).validate()
    iters = args.iters or iters
    runs = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        rows = trace(cfg, dataset, seed, iters, args.every)
        s = summarise(rows)
        runs.append({"seed": seed, "summary": s, "trace": rows})
        print(f"seed {seed} ({time.perf_counter() - t0:.0f} s): on a mode {100 * s['on_mode_mean']:.1f} % "
              f"(max {100 * s['on_mode_max']:.1f} %), on the busiest mode {100 * s['top_share_mean']:.1f} %, "
              f"modes ever busiest {s['modes_visited']}, hops {s['hops']}, modes captured at the end "
              f"{s['final_modes']}", flush=True)
        for r in rows[:: max(1, len(rows) // 10)]:
            print(f"   step {r['step']:5d}: on a mode {100 * r['on_mode']:5.1f} %, busiest mode {r['top_mode']} "
                  f"{100 * r['top_share']:5.1f} %, nearest-mode share {100 * r['nearest_share']:5.1f} %, "
                  f"mean distance {r['mean_dist']:.3f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": cfg.to_dict(), "dataset": dataset, "iters": iters, "every": args.every,
                       "overrides": overrides, "runs": runs}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
