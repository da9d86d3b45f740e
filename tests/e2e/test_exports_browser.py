"""Downloads in a real browser: a chart as PNG and SVG (made on the server when clicked), the DCGAN sample
grid and the CycleGAN round trip as PNG."""
from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image

from test_tour import wait_for_page

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _download(page, selector: str, timeout_ms: int = 60_000):
    """Click the button inside ``selector`` and return (suggested file name, bytes)."""
    with page.expect_download(timeout=timeout_ms) as info:
        page.locator(f"{selector} button").first.click()  # Streamlit also renders a hidden copy
    download = info.value
    assert download.failure() is None, download.failure()
    return download.suggested_filename, Path(download.path()).read_bytes()


def _open_chart_downloads(page, chart_key: str) -> None:
    """Open the small "Download" popover under the chart keyed ``chart_key``."""
    chart = page.locator(f".st-key-{chart_key}")
    chart.wait_for()
    # The popover sits right after the chart; its buttons are keyed <chart key>__png / __svg.
    popover = page.locator("[data-testid=stPopover]").filter(has_text="Download")
    deadline = time.time() + 30
    while time.time() < deadline:
        for k in range(popover.count()):
            popover.nth(k).locator("button").first.click()
            if page.locator(f".st-key-{chart_key}__png").is_visible():
                return
            page.keyboard.press("Escape")
        time.sleep(0.5)
    raise AssertionError(f"no Download popover for the chart {chart_key}")


def test_a_lesson_chart_downloads_as_png_and_svg(page, server_url):
    page.goto(f"{server_url}/gan-objective")
    wait_for_page(page, min_charts=3)
    _open_chart_downloads(page, "d_star")
    started = time.time()
    name, png = _download(page, ".st-key-d_star__png")
    png_seconds = time.time() - started
    assert name == "d-star.png"
    assert png[:8] == PNG_SIGNATURE and len(png) > 5_000
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.width >= 1000 and image.height >= 600  # 2x the figure's layout size
    assert len(set(image.convert("RGB").getdata())) > 50  # a drawn chart, not a blank page

    if not page.locator(".st-key-d_star__svg").is_visible():
        _open_chart_downloads(page, "d_star")
    name, svg = _download(page, ".st-key-d_star__svg")
    assert name == "d-star.svg"
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and b"<svg" in svg[:200]
    assert "The optimal discriminator" in " ".join(root.itertext())  # the chart's own title is on the file
    assert page.locator("[data-testid=stException]").count() == 0
    print(f"PNG export seen by the browser in {png_seconds:.2f} s")


def test_presenter_mode_hides_the_download_controls(page, server_url):
    page.goto(f"{server_url}/gan-objective?present=true")
    wait_for_page(page, min_charts=3)
    assert page.locator(".st-key-d_star").count() == 1
    assert page.locator("[data-testid=stPopover]").filter(has_text="Download").count() == 0


def test_dcgan_sample_grid_downloads_as_png(page, server_url):
    page.goto(f"{server_url}/dcgan")
    wait_for_page(page, min_charts=5)
    name, png = _download(page, ".st-key-dcgan_download")
    assert name == "dcgan-mnist-seed0-n32.png"
    image = Image.open(io.BytesIO(png))
    image.load()
    # 32 samples in 8 columns of 32-px images shown 3x: at least 8 x 96 px wide and 4 x 96 px high.
    assert image.width >= 8 * 96 and image.height >= 4 * 96


def test_cyclegan_round_trip_downloads_as_png(page, server_url):
    page.goto(f"{server_url}/cyclegan")
    wait_for_page(page, min_charts=5)
    name, png = _download(page, ".st-key-cg_download")
    assert name.startswith("cyclegan-") and name.endswith("-gallery1.png")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.width >= 4 * 192 and image.height > 192  # four pictures at 6x, captions underneath
    assert page.locator("[data-testid=stException]").count() == 0


def test_a_paused_lab_plane_downloads_as_svg_with_its_step(page, server_url):
    page.goto(f"{server_url}/gan-lab")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    time.sleep(1.0)  # let the session connect, so that the click is not lost
    page.get_by_role("button", name="Step both").click()
    page.get_by_text("Step 1", exact=False).first.wait_for(timeout=60_000)
    _open_chart_downloads(page, "lab_plane")
    name, svg = _download(page, ".st-key-lab_plane__svg")
    assert name == "lab-plane.svg"
    root = ET.fromstring(svg)
    assert "the plane at generator step 1" in " ".join(root.itertext())
    assert len(svg) > 20_000  # the heatmap and the points, not an empty frame
    assert page.locator("[data-testid=stException]").count() == 0
