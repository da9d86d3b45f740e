"""The Sweep panel in a real browser (issue 19 item 3): a sweep made tiny through the page's own
controls (1 loss, 2 seeds, 100 steps) runs to the end in the background with a progress bar, shows
its dots and summary, and a run's link opens the live lab with that run's seed and loss."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

from browser_helpers import wait_until
from conftest import SCREENSHOTS


def test_a_sweep_runs_to_the_end_and_a_run_opens_in_the_lab(page, server_url):
    page.goto(f"{server_url}/sweeps")
    page.get_by_role("button", name="Run the sweep").wait_for(timeout=120_000)
    time.sleep(1.0)  # let the session connect, so that the first change is not lost
    # one loss: remove WGAN-GP's chip
    page.get_by_role("button", name="Remove WGAN-GP").click()
    wait_until(lambda: page.get_by_role("button", name="Remove WGAN-GP").count() == 0, 30)
    seeds = page.get_by_label("Seeds per loss")
    seeds.fill("2")
    seeds.press("Enter")
    time.sleep(1.0)
    page.get_by_role("slider").first.focus()
    page.keyboard.press("Home")  # 100 steps, the shortest
    assert wait_until(lambda: page.get_by_role("slider").first.get_attribute("aria-valuetext") == "100", 30)
    time.sleep(1.0)
    t0 = time.time()
    page.get_by_role("button", name="Run the sweep").click()
    page.get_by_text("Done: 2 runs").wait_for(timeout=180_000)
    print(f"tiny sweep: {time.time() - t0:.1f} s from the click to the result")
    assert page.locator("[data-testid=stException]").count() == 0
    page.wait_for_selector(".js-plotly-plot .main-svg")
    # a dot opens its run: click the first run's dot in the modes chart
    dot = page.locator(".js-plotly-plot").first.locator(".scatterlayer .trace").first.locator(".points path").first
    dot.click(force=True)
    picked = page.get_by_role("link", name="open this run in the lab")
    assert wait_until(lambda: picked.count() > 0, 60), "clicking a dot showed no link to its run"
    assert parse_qs(urlparse(picked.first.get_attribute("href")).query)["lab_seed"] == ["0"]
    page.screenshot(path=str(SCREENSHOTS / "sweeps_result.png"), full_page=False)
    link = page.get_by_role("link", name="seed 1").first
    href = link.get_attribute("href")
    q = parse_qs(urlparse(href).query)
    assert q["lab_seed"] == ["1"]
    page.goto(href if href.startswith("http") else f"{server_url}{href}")
    page.get_by_role("button", name="Start").wait_for(timeout=120_000)
    assert wait_until(lambda: page.get_by_role("spinbutton", name="Seed", exact=True).input_value() == "1", 30)
    assert page.locator("[data-testid=stException]").count() == 0
