"""Benchmark: E runs stacked in one engine against the same E runs one after another.

For each loss (lab defaults on ring8), with the same torch threads for both:

* ``sequential``: E stand-alone runs (:class:`gan_core.lab.trainer.Trainer`) one after another;
* ``stacked``: the same E runs as one :class:`gan_core.lab.engine._Engine` (what a sweep does);
* the ratio of their throughputs (run-iterations per second; goal on 2 CPU cores: >= 6x at E = 16);
* the matrix work of one run-iteration (forward and backward matrix products, counted op by op
  as torch dispatches them), and the GFLOP/s both achieve, next to the peak of
  ``torch.bmm`` at the lab's shape (E x 256 x 64 @ 64 x 64) measured in the same run;
* ``ratio_at_bmm_peak``: the ratio the stack would reach doing its matrix work at that peak and
  nothing else (an upper bound: the sequential runs already use part of the peak);
* ``host_draw_us_per_run_iter``: the host time each run's own CPU random streams cost per
  iteration, which bounds a sweep's throughput on any device.

Rounds alternate sequential and stacked and the median is kept, so a load that comes and goes
hits both alike; the machine's load average is printed with the figures.  GPU rows run only where
CUDA is available: the same rows eagerly, then with each iteration captured as a CUDA graph
(``cuda_graphs``: one run on the GPU against one on the CPU, ``--gpu-stack`` runs against one).
The CUDA-graph path is tested on the CPU without capture (tests/lab/test_sweep.py) and has tests
for CUDA (tests/lab/test_cuda.py), but no GPU has run it yet.

    .venv/bin/python scripts/bench_sweep.py [--threads 2] [--stack 16] [--iters 20] [--record docs/bench_device.json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_core.lab.config import lab_defaults  # noqa: E402
from gan_core.lab.engine import _Engine  # noqa: E402
from gan_core.lab.toy2d import make_dataset  # noqa: E402


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


class _MatmulFlops(TorchDispatchMode):
    """Counts 2 m n k per matrix product (mm, addmm, bmm, baddbmm) of every op torch dispatches.

    (torch.utils.flop_counter.FlopCounterMode counts the same, but its module hooks refuse the
    gradient penalty's inner autograd.grad.)
    """

    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in ("bmm", "baddbmm"):
            a, b = args[-2:] if name == "bmm" else args[1:3]
            self.flops += 2 * a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
        elif name in ("mm", "addmm"):
            a, b = args[-2:] if name == "mm" else args[1:3]
            self.flops += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        return func(*args, **(kwargs or {}))


def flops_per_iteration(loss: str, device) -> float:
    """Matrix FLOPs of one iteration of one run (forward and backward), counted op by op."""
    eng = _Engine([lab_defaults(loss, "ring8", snapshot_every=0)], make_dataset("ring8"), [0], device)
    eng.step()
    with _MatmulFlops() as fc:
        eng.step()
    return float(fc.flops)


def stacked_rate(loss: str, e: int, iters: int, device, graphs: bool = False) -> float:
    """Run-iterations per second of ``e`` runs stacked in one engine (``graphs``: each iteration
    replayed as a captured CUDA graph, :meth:`_Engine.use_static_step`)."""
    eng = _Engine([lab_defaults(loss, "ring8", snapshot_every=0)] * e, make_dataset("ring8"),
                  list(range(e)), device)
    if graphs:
        eng.use_static_step(capture=True)
    eng.step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        eng.step()
    _sync(device)
    return e * iters / (time.perf_counter() - t0)


def sequential_rate(loss: str, e: int, iters: int, device) -> float:
    """Run-iterations per second of ``e`` stand-alone runs trained one after another."""
    engines = [_Engine([lab_defaults(loss, "ring8", snapshot_every=0)], make_dataset("ring8"), [s], device)
               for s in range(e)]
    for eng in engines:
        eng.step()
    _sync(device)
    t0 = time.perf_counter()
    for eng in engines:
        for _ in range(iters):
            eng.step()
    _sync(device)
    return e * iters / (time.perf_counter() - t0)


def bmm_peak(e: int, device, reps: int = 50) -> float:
    """GFLOP/s of torch.bmm at the lab's shape: (e, 256, 64) @ (e, 64, 64)."""
    a = torch.randn(e, 256, 64, device=device)
    b = torch.randn(e, 64, 64, device=device)
    out = torch.empty(e, 256, 64, device=device)
    for _ in range(5):
        torch.bmm(a, b, out=out)
    best = float("inf")
    for _ in range(5):
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.bmm(a, b, out=out)
        _sync(device)
        best = min(best, (time.perf_counter() - t0) / reps)
    return 2 * e * 256 * 64 * 64 / best / 1e9


def host_draw_us(loss: str, e: int, reps: int = 10) -> float:
    """Microseconds of host time per run-iteration spent drawing the run's random numbers.

    Every run draws from its own CPU generators (real points, latent codes, the gradient
    penalty's mixing weights), one call per run and draw, so a stack's draws cost E times one
    run's on the host whatever the device computes: this bounds a sweep at
    ``1e6 / host_draw_us`` run-iterations per second."""
    eng = _Engine([lab_defaults(loss, "ring8", snapshot_every=0)] * e, make_dataset("ring8"), list(range(e)),
                  torch.device("cpu"))
    draw_iteration(eng)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            draw_iteration(eng)
        best = min(best, (time.perf_counter() - t0) / reps)
    return 1e6 * best / e


def draw_iteration(eng: _Engine) -> None:
    """The random draws of one ``eng.step()`` (a GAN without an encoder), and nothing else."""
    active = [True] * eng.E
    for _ in range(max(eng.n_critic)):
        eng._draw_real(active)
        eng._draw_z(active)
        if eng.any_gp:
            eng._draw_mix(active)
    eng._draw_z(active)


def bench(device, losses, e, iters, rounds) -> dict:
    rows = {}
    peak = bmm_peak(e, device)
    for loss in losses:
        fl = flops_per_iteration(loss, device)
        seq, stk = [], []
        for _ in range(rounds):
            seq.append(sequential_rate(loss, e, iters, device))
            stk.append(stacked_rate(loss, e, iters, device))
            # The peak is measured in every round as well and the best kept: on a shared machine a
            # single measurement can land in a slow moment and understate it.
            peak = max(peak, bmm_peak(e, device))
        rows[loss] = dict(mflop_per_iter=fl / 1e6, sequential_its=statistics.median(seq),
                          stacked_its=statistics.median(stk), host_draw_us_per_run_iter=host_draw_us(loss, e),
                          rounds_sequential=seq, rounds_stacked=stk)
    print(f"{device}: torch.bmm ({e} x 256 x 64 @ 64 x 64) peak {peak:.1f} GFLOP/s (best of every round)",
          flush=True)
    for loss, row in rows.items():
        s, k, fl, draw = row["sequential_its"], row["stacked_its"], row["mflop_per_iter"] * 1e6, \
            row["host_draw_us_per_run_iter"]
        # The most the ratio could be: the stack doing all its matrix work at the bmm peak (and
        # nothing else) against the sequential runs as measured.
        ceiling = peak / (s * fl / 1e9)
        row.update(ratio=k / s, sequential_gflops=s * fl / 1e9, stacked_gflops=k * fl / 1e9,
                   ratio_at_bmm_peak=ceiling)
        print(f"  {loss:>15}: {fl / 1e6:.1f} MFLOP/it; {e} sequential {s:.0f} it/s ({s * fl / 1e9:.1f} GFLOP/s), "
              f"{e} stacked {k:.0f} it/s ({k * fl / 1e9:.1f} GFLOP/s, {100 * k * fl / 1e9 / peak:.0f} % of the "
              f"bmm peak): ratio {k / s:.2f}x; at the bmm peak it would be {ceiling:.2f}x. Host draws "
              f"{draw:.1f} us per run-iteration (at most {1e6 / draw:,.0f} run-it/s on any device)", flush=True)
    return dict(device=str(device), bmm_peak_gflops=peak, stack=e, iters=iters, rounds=rounds, losses=rows)


def graphs_bench(losses, e: int, iters: int, rounds: int, cpu: dict) -> dict:
    """The GPU goals of issue 19 with CUDA graphs: one run on the GPU against one run on the CPU
    (the CPU rows' sequential rate, measured in the same invocation), and ``e`` stacked runs
    against one run on the GPU (goal >= 100x at e = 256)."""
    dev = torch.device("cuda")
    rows = {}
    for loss in losses:
        one, stack = [], []
        for _ in range(rounds):
            one.append(stacked_rate(loss, 1, iters * 5, dev, graphs=True))
            stack.append(stacked_rate(loss, e, iters, dev, graphs=True))
        o, k = statistics.median(one), statistics.median(stack)
        c = cpu["losses"][loss]["sequential_its"]
        rows[loss] = dict(one_run_its=o, cpu_one_run_its=c, one_run_vs_cpu=o / c, stacked_its=k,
                          stacked_vs_one_run=k / o, rounds_one=one, rounds_stacked=stack)
        print(f"  {loss:>15} (CUDA graphs): one run {o:.0f} it/s ({o / c:.2f}x the CPU's {c:.0f}); {e} stacked "
              f"{k:.0f} run-it/s = {k / o:.1f}x one run (goals: >= 1x, >= 100x)", flush=True)
    return dict(device="cuda", name=torch.cuda.get_device_name(), stack=e, iters=iters, rounds=rounds, losses=rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads for both (default 2)")
    p.add_argument("--stack", type=int, default=16, help="runs stacked / run one after another (default 16)")
    p.add_argument("--iters", type=int, default=20, help="iterations per run and measurement (default 20)")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds; the median is kept (default 3)")
    p.add_argument("--losses", default="minimax,wgan-gp")
    p.add_argument("--gpu-stack", type=int, default=256, help="runs stacked for the CUDA-graph rows (default 256)")
    p.add_argument("--json", default=None, help="write the figures here")
    p.add_argument("--record", default=None,
                   help="merge the figures into this JSON file under the key 'sweep' (docs/bench_device.json)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    losses = args.losses.split(",")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {os.cpu_count()} CPUs, "
          f"load average before {os.getloadavg()[0]:.1f}", flush=True)
    out = {"threads": args.threads, "load_before": os.getloadavg()[0],
           "cpu": bench(torch.device("cpu"), losses, args.stack, args.iters, args.rounds)}
    if torch.cuda.is_available():
        out["cuda"] = bench(torch.device("cuda"), losses, args.stack, args.iters, args.rounds)
        out["cuda"]["name"] = torch.cuda.get_device_name()
        out["cuda_graphs"] = graphs_bench(losses, args.gpu_stack, args.iters, args.rounds, out["cpu"])
    else:
        print("cuda: skipped (no CUDA device)")
    out["load_after"] = os.getloadavg()[0]
    print(f"load average after {out['load_after']:.1f}")
    out["cpu"]["name"] = f"{os.cpu_count()} CPU cores (shared)"
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    if args.record:
        rec = Path(args.record)
        data = json.loads(rec.read_text()) if rec.exists() else {}
        data["sweep"] = out
        rec.write_text(json.dumps(data, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
