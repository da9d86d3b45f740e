"""Throughput of the 2-D GAN trainer: generator iterations per second for each loss.

For each loss at the lab's default size (``gan_core.lab.config.lab_defaults``):

* ``single``: one configuration trained alone (iterations/s);
* ``sequential x4``: four configurations (seeds 0-3) trained one after the other;
* ``lockstep x4``: the same four trained together by ``LockstepTrainer``;

then the lockstep / sequential ratio of aggregate throughput (same run, same process).
A mixed lockstep group (minimax, non-saturating, wgan-gp, hinge) is measured too.
Finally ``--full`` times the default CLI run (``python -m gan_core.lab.toy_train``, wgan-gp on
ring8, process start included) and reports its modes and high-quality fraction.

Usage::

    python scripts/bench_toy.py --device cpu --threads 1 --iters 200 [--full] [--json out.json]

Figures depend on the machine and on what else runs on it; the script prints the CPU
time next to the wall time, and the load average, so a crowded machine shows.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from gan_core.lab.losses import LOSSES  # noqa: E402
from gan_core.lab.config import lab_defaults  # noqa: E402
from gan_core.lab.trainer import LockstepTrainer, Trainer  # noqa: E402


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - w, time.process_time() - c


def bench_loss(configs, device, iters, dataset="ring8"):
    """(single it/s, sequential-4 aggregate it/s, lockstep-4 aggregate it/s, cpu seconds of each)."""
    seeds = list(range(len(configs)))
    trainers = [Trainer(c, dataset, seed=s, device=device) for c, s in zip(configs, seeds)]
    for t in trainers:
        t.train(5)  # warm-up (allocator, lazy init)
    seq_wall, seq_cpu = _timed(lambda: [t.train(iters) for t in trainers])
    lock = LockstepTrainer(configs, dataset, device=device, seeds=seeds)
    lock.train(5)
    lock_wall, lock_cpu = _timed(lambda: lock.train(iters))
    n = len(configs)
    return {
        "single_it_per_s": iters / (seq_wall / n),  # each alone: its share of the sequential time
        "sequential_aggregate_it_per_s": n * iters / seq_wall,
        "lockstep_aggregate_it_per_s": n * iters / lock_wall,
        "lockstep_over_sequential": seq_wall / lock_wall,
        "sequential_wall_s": seq_wall, "sequential_cpu_s": seq_cpu,
        "lockstep_wall_s": lock_wall, "lockstep_cpu_s": lock_cpu,
        "lockstep_over_sequential_cpu": seq_cpu / lock_cpu if lock_cpu > 0 else None,
    }


def full_cli_run(device, threads):
    cmd = [sys.executable, "-m", "gan_core.lab.toy_train", "--dataset", "ring8", "--loss", "wgan-gp",
           "--seed", "0", "--device", device, "--json", "/tmp/_bench_toy_cli.json"]
    if threads:
        cmd += ["--threads", str(threads)]
    t0 = time.perf_counter()
    r0 = os.times()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    r1 = os.times()
    wall = time.perf_counter() - t0
    res = json.loads(Path("/tmp/_bench_toy_cli.json").read_text())
    return {"wall_s_including_start": wall,
            "cpu_s_including_start": (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system),
            "iters": res["iters_done"], "train_s": res["train_s"],
            "modes": res["metrics"]["modes_captured"], "high_quality": res["metrics"]["high_quality"]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--losses", default=",".join(LOSSES))
    p.add_argument("--full", action="store_true", help="also time the default CLI run end to end")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = {"device": args.device, "threads": torch.get_num_threads(), "iters": args.iters,
           "loadavg_before": os.getloadavg(), "cpu_count": os.cpu_count(), "losses": {}}
    if args.device.startswith("cuda"):
        out["gpu"] = torch.cuda.get_device_name(0)
    print(f"device {args.device}, {torch.get_num_threads()} thread(s), {args.iters} iterations, "
          f"load average {out['loadavg_before'][0]:.1f}")
    print(f"{'loss':16s} {'single it/s':>12s} {'seq x4 it/s':>12s} {'lock x4 it/s':>13s} {'ratio':>6s} {'ratio(cpu)':>10s}")
    groups = {name: [lab_defaults(name, snapshot_every=0)] * 4 for name in args.losses.split(",")}
    groups["mixed (mm,ns,gp,hinge)"] = [lab_defaults(n, snapshot_every=0)
                                        for n in ("minimax", "non-saturating", "wgan-gp", "hinge")]
    for name, configs in groups.items():
        r = bench_loss(configs, args.device, args.iters)
        out["losses"][name] = r
        print(f"{name:16s} {r['single_it_per_s']:12.0f} {r['sequential_aggregate_it_per_s']:12.0f} "
              f"{r['lockstep_aggregate_it_per_s']:13.0f} {r['lockstep_over_sequential']:6.2f} "
              f"{r['lockstep_over_sequential_cpu'] or 0:10.2f}", flush=True)
    if args.full:
        r = full_cli_run(args.device, args.threads)
        out["default_cli_run"] = r
        print(f"default CLI run (wgan-gp, ring8, seed 0): {r['wall_s_including_start']:.1f} s wall, "
              f"{r['cpu_s_including_start']:.1f} s CPU incl. start, {r['iters']} iterations, "
              f"{r['modes']}/8 modes, {100 * r['high_quality']:.1f} % high quality")
    out["loadavg_after"] = os.getloadavg()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
