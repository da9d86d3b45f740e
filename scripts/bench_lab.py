"""Benchmark of the training lab in a real browser: refresh rate and training throughput.

Starts the app (``scripts/serve.py``) on a free port, opens the lab in Chromium, loads a
preset, and alternates phases of the same length:

* **headless**: the run in the browser is paused; this process trains the same
  configurations with the bare engine (``LockstepTrainer.train``, no snapshots, 1 torch
  thread, as the lab uses) and counts generator iterations per second;
* **browser**: Start is pressed; an observer inside the page records when the status line's
  step number ("Step N") changes — each change is a refresh of the views — and how many
  steps were trained per second between the first and the last change.

Phases alternate (headless, browser, headless, ...) so that a machine whose load drifts
affects both sides alike; the report gives each phase and the ratio of the medians.
Browser throughput counts everything the lab does besides training (views, figures,
metric snapshots, the browser drawing them on the same CPU).

Usage::

    python scripts/bench_lab.py [--preset wgan-gp] [--phase-s 15] [--phases 3] [--json out.json]

Absolute speeds depend on what else runs on the machine (the load average is printed);
the ratio browser / headless is the figure that transfers.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_app import LocalApp  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PRESET_BUTTONS = {"collapse": "Mode collapse (original GAN)", "wgan-clip": "WGAN with weight clipping",
                  "wgan-gp": "WGAN-GP", "compare": "Compare all"}
STEP = re.compile(r"Step ([\d,]+)")
#: The status line itself (the metric table has a "generator steps" column too).
STATUS_LINE = re.compile(r"Step [\d,]+ generator steps")


def _configs(preset_name):
    from dataclasses import replace

    from gan_core.lab.config import lab_defaults, preset

    def one(name):
        return preset("collapse")[0] if name == "collapse" else lab_defaults(name, "ring8")

    names = ["collapse", "wgan-clip", "wgan-gp"] if preset_name == "compare" else [preset_name]
    return [replace(one(n), snapshot_every=0) for n in names]


def headless_phase(configs, seconds: float) -> dict:
    import torch

    from gan_core.lab.trainer import LockstepTrainer

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        lock = LockstepTrainer(configs, "ring8", seed=0, device="auto")
        lock.train(3)  # warm-up
        t0 = time.perf_counter()
        done = lock.train(10**9, max_seconds=seconds)
        dt = time.perf_counter() - t0
    finally:
        torch.set_num_threads(old)
    return {"iters": done, "seconds": dt, "it_per_s": done / dt}


def _read_step(page) -> int | None:
    try:
        text = page.locator("[data-testid=stMarkdownContainer]").filter(has_text=STATUS_LINE).first.inner_text(
            timeout=2000)
    except Exception:
        return None
    m = STEP.search(text)
    return int(m.group(1).replace(",", "")) if m else None


# Records, inside the page, when the status line's step number changes (each change is a refresh
# of the views).  A MutationObserver costs the page next to nothing, where polling it from here
# every few milliseconds would load the very browser and CPU being measured.
_OBSERVE = """() => {
  window.__labChanges = [];
  let last = null;
  const read = () => {
    for (const el of document.querySelectorAll('[data-testid=stMarkdownContainer]')) {
      const m = el.textContent.match(/Step ([\\d,]+) generator steps/);
      if (m) return m[1];
    }
    return null;
  };
  window.__labObserver = new MutationObserver(() => {
    const v = read();
    if (v !== null && v !== last) { window.__labChanges.push([performance.now() / 1000, v]); last = v; }
  });
  window.__labObserver.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def browser_phase(page, seconds: float) -> dict:
    page.get_by_role("button", name="Start").click()
    # The first refresh after Start includes a full rerun: start the clock at the first change.
    first = _read_step(page)
    deadline = time.time() + 30
    while time.time() < deadline:
        s = _read_step(page)
        if s is not None and first is not None and s != first:
            break
        time.sleep(0.1)
    page.evaluate(_OBSERVE)
    time.sleep(seconds)
    changes = page.evaluate("() => { window.__labObserver.disconnect(); return window.__labChanges; }")
    t_pause = time.perf_counter()
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Start").wait_for(timeout=60_000)
    pause_latency = time.perf_counter() - t_pause
    time.sleep(1.0)
    steps_seen = [(t, int(v.replace(",", ""))) for t, v in changes]
    if len(steps_seen) < 2:
        return {"pause_latency_s": pause_latency, "steps": 0, "seconds": seconds, "it_per_s": 0.0, "refreshes": 0,
                "refresh_per_s": 0.0, "median_gap_s": None, "p90_gap_s": None}
    span = steps_seen[-1][0] - steps_seen[0][0]
    steps = steps_seen[-1][1] - steps_seen[0][1]
    gaps = [b[0] - a[0] for a, b in zip(steps_seen, steps_seen[1:])]
    return {"pause_latency_s": pause_latency, "steps": steps, "seconds": span, "it_per_s": steps / span,
            "refreshes": len(gaps), "refresh_per_s": len(gaps) / span,
            "median_gap_s": statistics.median(gaps), "p90_gap_s": sorted(gaps)[int(0.9 * (len(gaps) - 1))]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="wgan-gp", choices=list(PRESET_BUTTONS))
    ap.add_argument("--phase-s", type=float, default=15.0)
    ap.add_argument("--phases", type=int, default=3, help="browser phases (headless phases: one more)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    result = {"preset": args.preset, "load_before": os.getloadavg(), "phases": []}
    with LocalApp(env={"GAN_LAB_MAX_STEPS": "1000000"}, log="/tmp/bench_lab_server.log") as app:
        url = app.url
        configs = _configs(args.preset)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.set_default_timeout(120_000)
            page.goto(url + "/gan-lab")
            page.wait_for_selector(".js-plotly-plot .main-svg")
            page.get_by_role("button", name=PRESET_BUTTONS[args.preset]).click()
            time.sleep(3)
            for k in range(args.phases):
                h = headless_phase(configs, args.phase_s)
                result["phases"].append({"kind": "headless", **h})
                print(f"headless: {h['it_per_s']:.1f} it/s", flush=True)
                b = browser_phase(page, args.phase_s)
                result["phases"].append({"kind": "browser", **b})
                gap = lambda g: "-" if g is None else f"{g * 1000:.0f} ms"  # noqa: E731
                print(f"browser:  {b['it_per_s']:.1f} it/s, {b['refresh_per_s']:.2f} refreshes/s "
                      f"(gap median {gap(b['median_gap_s'])}, p90 {gap(b['p90_gap_s'])}), "
                      f"Pause showed after {b['pause_latency_s']:.1f} s", flush=True)
            h = headless_phase(configs, args.phase_s)
            result["phases"].append({"kind": "headless", **h})
            print(f"headless: {h['it_per_s']:.1f} it/s", flush=True)
            browser.close()
    hs = [p["it_per_s"] for p in result["phases"] if p["kind"] == "headless"]
    bs = [p["it_per_s"] for p in result["phases"] if p["kind"] == "browser"]
    rs = [p["refresh_per_s"] for p in result["phases"] if p["kind"] == "browser"]
    # Each browser phase against the mean of the headless phases on either side of it.
    ratios = [b / ((hs[i] + hs[i + 1]) / 2) for i, b in enumerate(bs)]
    result.update(load_after=os.getloadavg(), headless_median=statistics.median(hs), browser_median=statistics.median(bs),
                  refresh_median=statistics.median(rs), ratios=ratios, ratio_median=statistics.median(ratios))
    print(f"preset {args.preset}: browser/headless throughput {statistics.median(ratios):.2f} "
          f"(phases: {', '.join(f'{r:.2f}' for r in ratios)}), refreshes {statistics.median(rs):.2f}/s, "
          f"load {result['load_before'][0]:.1f} -> {result['load_after'][0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
