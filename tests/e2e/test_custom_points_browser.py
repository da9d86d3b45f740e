"""The lab's custom-points picker in a real browser (issue 21 item 8): a plain click on the picker
adds the point to the text area and to the page's link, and the point is marked on the picker."""
import time
from urllib.parse import parse_qs, urlparse

from browser_helpers import wait_until
from conftest import SCREENSHOTS
from test_tour import wait_for_page

# Where the picker's candidate (x, y) lies on the screen, from Plotly's own axes.
CANDIDATE_XY = """([x, y]) => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
      g => (g._fullData || []).some(t => t.name === 'candidates'));
  if (!gd) return null;
  const fl = gd._fullLayout, area = gd.querySelector('.nsewdrag').getBoundingClientRect();  // the plotting area
  return [area.left + fl.xaxis.l2p(x), area.top + fl.yaxis.l2p(y)];
}"""
# The points marked on the picker as the text's ("your points" trace).
MARKED = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(
      g => (g._fullData || []).some(t => t.name === 'candidates'));
  const t = gd && gd._fullData.find(t => t.name === 'your points');
  return t ? [...t.x].map((x, i) => [Number(x), Number(t.y[i])]) : [];
}"""


def _link_text(page) -> str:
    return parse_qs(urlparse(page.url).query).get("lab_custom_text", [""])[0]


def test_a_plain_click_on_the_picker_adds_the_point_to_the_text_and_the_link(page, server_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server_url}/gan-lab?lab_dataset=custom")
    wait_for_page(page, timeout=240)
    assert wait_until(lambda: page.evaluate(CANDIDATE_XY, [0.5, -1.0]) is not None, 60), "no picker"
    page.locator("textarea").first.scroll_into_view_if_needed()
    time.sleep(1.0)  # let the session connect, so that the click is not lost
    x, y = page.evaluate(CANDIDATE_XY, [0.5, -1.0])
    page.mouse.click(x, y)
    area = page.get_by_role("textbox", name="Points, one “x, y” per line")
    assert wait_until(lambda: area.input_value().strip() == "0.5, -1", 60), f"text: {area.input_value()!r}"
    assert wait_until(lambda: _link_text(page).strip() == "0.5, -1", 30), f"link: {page.url}"
    assert wait_until(lambda: page.evaluate(MARKED) == [[0.5, -1.0]], 30), page.evaluate(MARKED)
    # a second click elsewhere adds a second line and keeps the first
    wait_for_page(page, timeout=120)
    time.sleep(0.5)
    x, y = page.evaluate(CANDIDATE_XY, [-1.5, 1.25])
    page.mouse.click(x, y)
    assert wait_until(lambda: area.input_value().strip() == "0.5, -1\n-1.5, 1.25", 60), f"text: {area.input_value()!r}"
    assert wait_until(lambda: _link_text(page).strip() == "0.5, -1\n-1.5, 1.25", 30), f"link: {page.url}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "custom-points-clicked.png"))
