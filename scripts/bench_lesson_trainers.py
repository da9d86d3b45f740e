"""Time the live trainings of the lessons "f-divergences and f-GAN" and "Wasserstein distance".

    python scripts/bench_lesson_trainers.py            # gan_core only: torch import, then each training run
    python scripts/bench_lesson_trainers.py --browser  # also: click Train in Chromium and time until "step N of N"

The requirement is that each live training finishes in under 10 s on 2 CPU cores, the page
staying usable meanwhile (it runs in chunks inside an ``st.fragment``).  Report the machine's
load average next to the numbers: on a shared machine it matters.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench_core(repeats: int) -> None:
    start = time.perf_counter()
    import torch  # noqa: F401  (what the first Train click pays once per server process)

    print(f"import torch: {time.perf_counter() - start:.2f} s")
    from gan_core.lessons import toy1d, transport
    from gan_core.lessons.divergences import F_DIVERGENCES
    from gan_core.lessons.fgan import VariationalBoundTrainer

    grid = toy1d.Grid(-10.0, 10.0, 1001)  # the f-GAN page's grid and default pair
    p = toy1d.discretise(toy1d.Toy1D("gaussian", -1.0, 1.0), grid)
    q = toy1d.discretise(toy1d.Toy1D("gaussian", 1.0, 1.5), grid)
    for name in F_DIVERGENCES:
        times, gaps = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            trainer = VariationalBoundTrainer(grid.x, p.log_mass, q.log_mass, name)
            bound = trainer.run()
            times.append(time.perf_counter() - t0)
            gaps.append(trainer.exact - bound)
        unit = F_DIVERGENCES[name].unit and " " + F_DIVERGENCES[name].unit  # none for chi^2, Hellinger, TV
        print(f"f-GAN {name:10s} {trainer.total_steps} steps: median {statistics.median(times):.2f} s "
              f"(max {max(times):.2f}); exact {trainer.exact:.4f}{unit}, gap {gaps[-1]:.2e}{unit}")
    hist = toy1d.Grid(-8.0, 8.0, 33)  # the Wasserstein page's histograms
    p_h = toy1d.discretise(toy1d.Toy1D("mixture", -3.0, 0.6, 0.3, 0.0, 0.5), hist).mass
    q_h = toy1d.discretise(toy1d.Toy1D("gaussian", 2.0, 1.0), hist).mass
    for method, kwargs in [("clip", {"clip": 0.01}), ("clip", {"clip": 0.1}), ("gp", {"gp_lambda": 10.0}),
                           ("gp", {"gp_lambda": 100.0})]:
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            snap = transport.CriticTrainer(hist.x, p_h, q_h, method, **kwargs).run()
            times.append(time.perf_counter() - t0)
        print(f"critic {method} {kwargs}: {snap.steps} steps, median {statistics.median(times):.2f} s "
              f"(max {max(times):.2f}); W1 {snap.w1:.3f}, estimate {snap.estimate:.4g}, K {snap.lipschitz:.4g}, "
              f"estimate/K {snap.normalised:.3f}, median slope {snap.typical_slope:.3f}")


def bench_browser() -> None:
    from playwright.sync_api import sync_playwright

    from local_app import LocalApp

    app = LocalApp().start()
    url = app.url
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                                 args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1500, "height": 9000})
            for path in ("f-divergences", "wasserstein", "f-divergences"):
                page.goto(f"{url}/{path}")
                button = page.locator("button").filter(has_text="Train")
                button.wait_for(timeout=120_000)
                time.sleep(2.0)
                t0 = time.perf_counter()
                button.first.click()
                first_progress = None
                while time.perf_counter() - t0 < 120:
                    texts = page.locator("[data-testid=stProgress]").all_inner_texts()
                    if texts and first_progress is None:
                        first_progress = time.perf_counter() - t0
                    words = texts[0].split() if texts else []
                    if len(words) >= 4 and words[1] == words[3]:
                        break
                    time.sleep(0.05)
                total = time.perf_counter() - t0
                print(f"browser {path}: first progress after {first_progress:.2f} s, finished after {total:.2f} s "
                      f"(page says: {texts[0].strip() if texts else '?'}); "
                      f"exceptions on page: {page.locator('[data-testid=stException]').count()}")
            browser.close()
    finally:
        app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time the Train buttons in Chromium")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bench_core(args.repeats)
    if args.browser:
        bench_browser()
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
