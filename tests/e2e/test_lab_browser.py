"""The training lab in a real browser: Start trains and redraws, Pause freezes the counter."""
import io
import time
from pathlib import Path

from PIL import Image

from browser_helpers import read_step, wait_until
from conftest import SCREENSHOTS

# While training, the plane is a picture the server draws each refresh: its address changes with
# its content (Streamlit names media files by their hash).
LIVE_PICTURE = """() => {
  const img = document.querySelector('[data-testid=stImage] img, [data-testid=stFullScreenFrame] img');
  return img ? img.getAttribute('src') : null;
}"""
# The metric table's "generator steps" of its first configuration.
TABLE_STEP = """() => {
  const table = document.querySelector('[data-testid=stTable] table');
  if (!table) return -1;
  const heads = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
  const col = heads.indexOf('generator steps');
  const cell = table.querySelectorAll('tbody tr')[0].querySelectorAll('th, td')[col];
  return Number(cell.innerText.replace(/,/g, ''));
}"""
# Paused, it is a Plotly figure: the sum of the first generated points' x coordinates, read from
# Plotly's own copy of the data, changes whenever the generator moved.
FAKES_FINGERPRINT = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
      g => (g._fullData || []).some(t => t.name === 'generated samples'));
  if (!gd) return null;
  const x = gd._fullData.find(t => t.name === 'generated samples').x;
  let s = 0; for (let i = 0; i < Math.min(50, x.length); i++) s += Number(x[i]);
  return s;
}"""


def test_start_trains_and_redraws_and_pause_freezes_the_counter(page, server_url):
    page.goto(f"{server_url}/gan-lab")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.get_by_role("button", name="Mode collapse (original GAN)").wait_for()
    time.sleep(1.0)  # let the session connect, so that the click is not lost
    page.get_by_role("button", name="WGAN-GP").click()
    # The WGAN-GP explanation appears once the preset is loaded.
    assert wait_until(lambda: page.get_by_text("near-linear slope").count() > 0, 60), "the preset did not load"
    assert wait_until(lambda: read_step(page) == 0 and page.evaluate(FAKES_FINGERPRINT) is not None, 60)
    before = page.evaluate(FAKES_FINGERPRINT)

    started = time.time()
    page.get_by_role("button", name="Start").click()
    assert wait_until(lambda: read_step(page) > 0, 60), "the step counter did not move after Start"
    first_picture = wait_until(lambda: page.evaluate(LIVE_PICTURE), 60)
    assert first_picture, "no live picture of the plane while training"
    assert wait_until(lambda: page.evaluate(LIVE_PICTURE) not in (None, first_picture), 60), "the plane was not redrawn"
    moved_after = time.time() - started
    assert wait_until(lambda: read_step(page) >= 5, 60)  # it keeps going
    # The metric table keeps pace with the status line (it lagged 5-7 s on the charts' timer): a step
    # the status showed 1.5 s ago is in the table now, three times over.
    for _ in range(3):
        shown = read_step(page)
        time.sleep(1.5)
        assert page.evaluate(TABLE_STEP) >= shown, (page.evaluate(TABLE_STEP), shown)

    clicked = time.time()
    page.get_by_role("button", name="Pause").click()
    # The button's callback carries the action its label showed ("pause"), so a click that reaches a
    # saturated server late cannot restart the run, and clicking Pause again is always safe.
    if not wait_until(lambda: page.get_by_role("button", name="Start").count() > 0, 45):
        print("the first Pause click took more than 45 s to show; clicking again")
        page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Start").wait_for()
    pause_latency = time.time() - clicked
    time.sleep(1.0)
    paused = read_step(page)
    time.sleep(3.0)
    assert read_step(page) == paused
    # Paused, the interactive figure is back and shows where the generator moved to.
    assert wait_until(lambda: page.evaluate(FAKES_FINGERPRINT) not in (None, before), 30)
    assert page.locator("[data-testid=stException]").count() == 0

    # The run's timeline downloads as an animated GIF, made on the server from the frames.
    button = page.get_by_role("button", name="Download the timeline as an animated GIF")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    gif = Image.open(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert gif.format == "GIF" and gif.n_frames >= 2 and gif.size[0] >= 200
    assert info.value.suggested_filename.endswith(".gif")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1920, 1080), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        time.sleep(0.5)
        page.screenshot(path=str(SCREENSHOTS / f"gan-lab-trained-{width}x{height}.png"))
    print(f"counter and plane moved {moved_after:.1f} s after Start; Pause showed after {pause_latency:.1f} s")


def test_the_plane_starts_on_the_first_screen_of_a_laptop(page, server_url):
    # The page fixture's window is 1280 x 800: a visitor pressing Start must see the plane without
    # scrolling (at least 250 px of it).
    page.goto(f"{server_url}/gan-lab")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    top = page.evaluate("""() => {
      const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
          g => (g._fullData || []).some(t => t.name === 'generated samples'));
      return gd ? gd.getBoundingClientRect().top : null;
    }""")
    assert top is not None and top < 800 - 250, f"the plane starts {top} px down a 800 px window"
    assert page.get_by_role("button", name="Start").bounding_box()["y"] < 800 - 300


PLANE_BOX = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
      g => (g._fullData || []).some(t => t.name === 'generated samples'));
  const img = document.querySelector('[data-testid=stImage] img');
  const el = img || gd;  // while training the plane is a picture (the timeline below is a figure)
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, live: !!img};
}"""


def _inside(box, width, height) -> bool:
    return box is not None and box["top"] >= 0 and box["left"] >= 0 and box["bottom"] <= height and box["right"] <= width


def test_in_presenter_mode_the_plane_and_start_pause_fit_the_first_screen(browser, server_url):
    # Issue 21, item 2: a presenter sees the training picture and Start / Pause without scrolling,
    # paused and while training, at 1280 x 800 and at 1920 x 1080.
    found = {}
    for width, height in ((1280, 800), (1920, 1080)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(90_000)
        try:
            page.goto(f"{server_url}/gan-lab?present=true")
            page.wait_for_selector(".js-plotly-plot .main-svg")
            page.get_by_role("button", name="Start").wait_for()
            time.sleep(1.0)  # let the session connect, so that the click is not lost
            plane, start = page.evaluate(PLANE_BOX), page.get_by_role("button", name="Start").bounding_box()
            start = {"top": start["y"], "left": start["x"], "bottom": start["y"] + start["height"],
                     "right": start["x"] + start["width"]}
            found[(width, "paused")] = (plane, start)
            page.get_by_role("button", name="Start").click()
            live_drawn = lambda: (lambda b: b and b["live"] and b["bottom"] - b["top"] > 0)(page.evaluate(PLANE_BOX))  # noqa: E731
            assert wait_until(live_drawn, 90), "no live picture"
            # While a fragment redraws the plane, the picture is briefly absent and the first picture
            # in the page is another one far below (seen on a slow machine: top 3593 px); the plane
            # must be found on the first screen within a few redraws, not at one arbitrary instant.
            on_screen = lambda: (lambda b: b if b and b["live"] and _inside(b, width, height) else None)(  # noqa: E731
                page.evaluate(PLANE_BOX))
            live = wait_until(on_screen, 15) or page.evaluate(PLANE_BOX)
            pause = page.get_by_role("button", name="Pause").bounding_box()
            pause = {"top": pause["y"], "left": pause["x"], "bottom": pause["y"] + pause["height"],
                     "right": pause["x"] + pause["width"]}
            found[(width, "training")] = (live, pause)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"gan-lab-presenter-training-{width}x{height}.png"))
            page.get_by_role("button", name="Pause").click()
            page.get_by_role("button", name="Start").wait_for()
            assert page.locator("[data-testid=stException]").count() == 0
        finally:
            context.close()
        for state in ("paused", "training"):
            plane, button = found[(width, state)]
            assert _inside(plane, width, height), (width, state, plane)
            assert _inside(button, width, height), (width, state, button)
            assert plane["bottom"] - plane["top"] >= 300, (width, state, plane)  # a picture, not a thumbnail
    print({k: (round(p["top"]), round(p["bottom"]), round(b["top"])) for k, (p, b) in found.items()})
