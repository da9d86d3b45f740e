"""Benchmark: how long the 1-D lessons take to react, and how fast the app starts.

1. gan_core time to recompute everything a lesson page shows after one slider change
   (median and worst over many random changes; the same calls the pages make, in the same
   order, with the page's caches honoured: the forward/reverse-KL fits are cached per
   target setting and recomputed only when one of *their* sliders moves, the theta sweep
   is computed once).
2. Time from starting the server (scripts/serve.py) to the first page rendered in
   Chromium (the title and a chart visible), cold.

Run: .venv/bin/python scripts/bench_lessons.py [--no-browser]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gan_core.lessons import divergences as dv  # noqa: E402
from gan_core.lessons import toy1d  # noqa: E402
from gan_core.lessons.toy1d import Toy1D  # noqa: E402


def random_toy(rng) -> Toy1D:
    family = rng.choice(toy1d.FAMILIES)
    return Toy1D(family, rng.uniform(-6, 6), rng.uniform(0.1, 3), rng.uniform(0, 1), rng.uniform(-6, 6), rng.uniform(0.1, 3))


def information_theory_change(rng, changed: str) -> None:
    p = rng.random(4); q = rng.random(4)  # noqa: E702
    p, q = p / p.sum(), q / q.sum()
    dv.entropy(p); dv.cross_entropy(p, q); dv.kl_divergence(p, q)  # noqa: E702
    pd, qd = toy1d.discretise(random_toy(rng)), toy1d.discretise(random_toy(rng))
    toy1d.divergence_table(pd, qd, "bits")
    toy1d.divergence_table(qd, pd, "bits")  # the symmetry check on the page
    toy1d.integrand(rng.choice(toy1d.INTEGRANDS), pd, qd, "bits")
    if changed == "fit":  # one of the three fit sliders moved: the cached fits are recomputed
        sep, width, weight = rng.uniform(0, 8), rng.uniform(0.2, 2), rng.uniform(0.05, 0.95)
        target = toy1d.discretise(Toy1D("mixture", -sep / 2, width, weight, sep / 2, width))
        forward, reverse = toy1d.fit_gaussian(target, "forward"), toy1d.fit_gaussian(target, "reverse")
        toy1d.discretise(forward.toy()); toy1d.discretise(reverse.toy())  # noqa: E702


def gan_objective_change(rng) -> None:
    data, gen = toy1d.discretise(random_toy(rng)), toy1d.discretise(random_toy(rng))
    toy1d.gan_objective(data, gen)
    toy1d.log_likelihood_curve(data, np.linspace(-5, 5, 201), scale=1.0, n_samples=500, seed=0)
    theta = rng.uniform(-2, 2)
    toy1d.divergence_table(*toy1d.point_pair(theta), "nats")
    js = lambda t: toy1d.divergence_table(*toy1d.point_pair(t), "nats").js  # noqa: E731
    w1 = lambda t: toy1d.divergence_table(*toy1d.point_pair(t), "nats").w1  # noqa: E731
    toy1d.derivative(js, theta); toy1d.derivative(w1, theta)  # noqa: E702


def time_calls(fn, repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per call (CPU time shows the cost on a busy machine too)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def report(name: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    print(f"{name:52s} wall median {statistics.median(wall):6.1f} ms  p90 {np.percentile(wall, 90):6.1f} ms | "
          f"CPU median {statistics.median(cpu):6.1f} ms  max {max(cpu):6.1f} ms  (n={len(wall)})")


def browser_first_render() -> tuple[float, float]:
    """Seconds from starting the server to (the home page's whole content shown, its chart drawn) in Chromium.

    The browser is already open (as a visitor's would be); the clock starts when the server
    process is launched and stops when the first chart is drawn.
    """
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
    from local_app import LocalApp  # noqa: E402

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        start = time.perf_counter()
        try:
            with LocalApp(timeout=60) as app:
                page.goto(app.url)
                page.wait_for_selector("h1", timeout=60_000)
                page.get_by_text("The path").wait_for(timeout=60_000)  # the last block the script sends
                content = time.perf_counter() - start
                # Streamlit loads plotly.js lazily, on the first chart: the drawing lags the content.
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
                chart = time.perf_counter() - start
        finally:
            browser.close()
    return content, chart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in __import__('os').getloadavg())}")
    information_theory_change(rng, "fit")  # warm-up: imports, first allocations
    print("Recompute after one slider change, gan_core only (target: median <= 50 ms on 2 cores)")
    report("Information theory: a density/unit/integrand slider",
           time_calls(lambda: information_theory_change(rng, "density"), args.repeats))
    report("Information theory: a forward/reverse-fit slider",
           time_calls(lambda: information_theory_change(rng, "fit"), max(args.repeats // 4, 10)))
    report("The GAN objective: any slider", time_calls(lambda: gan_objective_change(rng), args.repeats))
    if not args.no_browser:
        print("Server start to first page rendered in Chromium (target <= 5 s), 5 cold starts:")
        runs = [browser_first_render() for _ in range(5)]
        for label, values in (("whole page content shown", [r[0] for r in runs]),
                              ("its plotly chart drawn", [r[1] for r in runs])):
            print(f"  {label:26s} {', '.join(f'{v:.2f}' for v in values)} s  (median {statistics.median(values):.2f} s)")


if __name__ == "__main__":
    main()
