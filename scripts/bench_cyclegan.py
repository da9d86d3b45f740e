"""Benchmark: translate 16 images with a shipped CycleGAN, model already loaded (as the page caches it).

Usage::

    python scripts/bench_cyclegan.py                       # both shipped models, 2 threads
    python scripts/bench_cyclegan.py --threads 2 --repeats 50 --name cyclegan-digits

Prints, per model and direction, the median and 90th-percentile wall time of one
``translate(16 images)`` call in milliseconds, after warm-up calls.  The target is <= 100 ms on
2 CPU cores.  Also times the page's full round trip (G(x), F(G(x)), F(x)) for one image.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_core.images import pretrained  # noqa: E402


def time_call(fn, repeats: int, warmup: int = 5, cpu: list | None = None) -> list[float]:
    """Wall-clock milliseconds per call; CPU milliseconds (all threads) appended to ``cpu``.

    CPU time is reported too because on a shared machine wall time includes waiting for a
    core; CPU time / threads is what the call costs on cores of its own.
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000.0)
    return times


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", action="append", help="model name (repeatable); default: every shipped cyclegan")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--root", default=None)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    root = Path(args.root) if args.root else pretrained.PRETRAINED_DIR
    names = args.name or [n for n in pretrained.available(root) if pretrained.read_card(n, root).get("kind") == "cyclegan"]
    results = {}
    for name in names:
        t0 = time.perf_counter()
        model = pretrained.load(name, root=root)
        load_ms = (time.perf_counter() - t0) * 1000
        x = torch.rand(args.batch, model.channels, model.size, model.size) * 2 - 1
        one = x[:1]
        for direction in ("a2b", "b2a"):
            cpu: list[float] = []
            times = time_call(lambda: model.translate(x, direction), args.repeats, cpu=cpu)
            trip = time_call(lambda: model.round_trip(one, direction), args.repeats)
            results[f"{name} {direction}"] = {
                "translate_16_median_ms": round(statistics.median(times), 1),
                "translate_16_p90_ms": round(sorted(times)[int(0.9 * len(times)) - 1], 1),
                "translate_16_cpu_median_ms": round(statistics.median(cpu), 1),
                "page_round_trip_1_median_ms": round(statistics.median(trip), 1),
                "load_ms": round(load_ms, 1),
            }
    load = " ".join(f"{v:.2f}" for v in __import__("os").getloadavg())
    print(json.dumps({"threads": args.threads, "batch": args.batch, "load_average": load, "results": results}, indent=1))
    return results


if __name__ == "__main__":
    main()
