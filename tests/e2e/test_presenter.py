"""For presenters, in a real browser: permalinks reopen the same view, presenter mode is readable."""
import time

from conftest import SCREENSHOTS
from test_tour import wait_for_page

FONT_OF_TEXT = """() => {
  const p = document.querySelector('[data-testid=stMarkdownContainer] p');
  return p ? parseFloat(getComputedStyle(p).fontSize) : null;
}"""


def slider_value(page, name):
    return float(page.get_by_role("slider", name=name).input_value())


def test_a_link_with_parameters_reopens_the_same_widget_values(page, server_url):
    page.goto(f"{server_url}/wasserstein?w2d_n=20&w2d_shift=1.5&w_theta=-2")
    wait_for_page(page)
    assert slider_value(page, "Points per cloud n") == 20
    assert slider_value(page, "How far Q sits to the right") == 1.5
    assert slider_value(page, "θ, where Q's point mass sits") == -2
    page.goto(f"{server_url}/gan-objective?theta=0.5")
    wait_for_page(page)
    assert slider_value(page, "θ, where Q sits") == 0.5
    # The numbers follow the restored value: W1 between two point masses is |θ|.
    metric = page.locator("[data-testid=stMetric]").filter(has_text="W1(P, Q)")
    assert "0.5" in metric.inner_text()
    assert page.locator("[data-testid=stException]").count() == 0


def test_unknown_or_invalid_parameters_are_ignored_without_an_error(page, server_url):
    page.goto(f"{server_url}/gan-objective?theta=banana&no_such_widget=3&present=maybe")
    wait_for_page(page)
    assert page.locator("[data-testid=stException]").count() == 0
    assert slider_value(page, "θ, where Q sits") == 1.0  # the default
    page.goto(f"{server_url}/gan-objective?theta=99")  # outside the slider's range
    wait_for_page(page)
    assert page.locator("[data-testid=stException]").count() == 0
    assert -2.0 <= slider_value(page, "θ, where Q sits") <= 2.0


def _lab_network_settings(page):
    page.get_by_text("Settings of the single run").click()
    return {name: slider_value(page, name) for name in ("G depth", "D depth")}


def test_a_lab_link_copied_right_after_choosing_the_grid_reopens_the_grids_networks(page, server_url):
    page.goto(f"{server_url}/gan-lab")
    wait_for_page(page)
    page.locator("[data-testid=stSelectbox]").filter(has_text="Data").first.click()
    page.get_by_role("option", name="Grid of 25 Gaussians").click()
    wait_for_page(page)
    time.sleep(1)
    link = page.url  # the settings expander is closed: the link names the data only
    chosen = _lab_network_settings(page)
    assert chosen == {"G depth": 3, "D depth": 3}
    page.goto("about:blank")
    page.goto(link)
    wait_for_page(page)
    assert page.get_by_role("combobox", name="Data").input_value() == "Grid of 25 Gaussians"
    assert _lab_network_settings(page) == chosen
    # The plain name, typed by hand, works too.
    page.goto(f"{server_url}/gan-lab?lab_dataset=grid25")
    wait_for_page(page)
    assert page.get_by_role("combobox", name="Data").input_value() == "Grid of 25 Gaussians"
    assert _lab_network_settings(page) == chosen
    assert page.locator("[data-testid=stException]").count() == 0


def test_after_a_preset_the_address_and_the_permalink_reopen_the_preset(page, server_url):
    # Streamlit writes values set by the app (a preset's) to the address bar only at the next
    # interaction; the page brings the address bar and its permalink up to date at once.
    page.goto(f"{server_url}/gan-lab")
    wait_for_page(page)
    page.get_by_role("button", name="WGAN-GP").click()
    wait_for_page(page)
    deadline = time.time() + 10
    while time.time() < deadline and "lab_loss=" not in page.evaluate("location.href"):
        time.sleep(0.2)
    address = page.evaluate("location.href")  # (Playwright's page.url misses history.replaceState)
    assert "lab_loss=WGAN-GP" in address
    page.get_by_role("button", name="Link to this view").click()
    assert page.locator("[data-testid=stPopoverBody] code").first.inner_text() == address
    page.keyboard.press("Escape")
    page.goto("about:blank")
    page.goto(address)
    wait_for_page(page)
    page.get_by_text("Settings of the single run").click()
    assert page.get_by_role("combobox", name="Loss").input_value() == "WGAN-GP (gradient penalty)"
    assert slider_value(page, "Critic steps per generator step") > 1  # WGAN-GP's critic steps, not the GAN's 1
    assert page.locator("[data-testid=stException]").count() == 0


def test_the_first_page_of_a_tab_loads_the_code_of_the_lessons_element_kinds_when_idle(page, server_url):
    page.goto(f"{server_url}/glossary")  # a page with no slider and no table
    wait_for_page(page)
    loaded = "() => performance.getEntriesByType('resource').map(e => e.name.split('/').pop().split('.')[0])"
    deadline = time.time() + 20
    while time.time() < deadline and not {"Slider", "Table", "PlotlyChart"} <= set(page.evaluate(loaded)):
        time.sleep(0.5)
    assert {"Slider", "Table", "PlotlyChart", "Selectbox", "Metric"} <= set(page.evaluate(loaded))
    assert page.locator("[data-testid=stException]").count() == 0


def test_presenter_mode_enlarges_type_and_hides_the_sidebar(page, server_url):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{server_url}/gan-objective")
    wait_for_page(page)
    normal = page.evaluate(FONT_OF_TEXT)
    assert page.locator("[data-testid=stSidebar]").is_visible()

    page.goto(f"{server_url}/gan-objective?present=true")
    wait_for_page(page)
    deadline = time.time() + 30
    while time.time() < deadline and page.locator("[data-testid=stSidebar]").is_visible():
        time.sleep(0.2)
    assert not page.locator("[data-testid=stSidebar]").is_visible()
    large = page.evaluate(FONT_OF_TEXT)
    assert normal and large and large >= 1.3 * normal, (normal, large)
    assert page.get_by_role("button", name="Leave presenter mode").is_visible()
    assert page.locator("[data-testid=stException]").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "presenter-gan-objective-1920x1080.png"))

    page.get_by_role("button", name="Leave presenter mode").click()
    deadline = time.time() + 30
    while time.time() < deadline and not page.locator("[data-testid=stSidebar]").is_visible():
        time.sleep(0.2)
    assert page.locator("[data-testid=stSidebar]").is_visible()
    assert page.evaluate(FONT_OF_TEXT) == normal
