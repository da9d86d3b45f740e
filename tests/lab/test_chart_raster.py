"""The lab's curve pictures while training (gan_core.lab.chart_raster)."""
import numpy as np

from gan_core.lab import chart_raster
from gan_core.lab.viz_lab import MEMBER_COLORS


def _has_colour(image, hex_colour, tol=40):
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    return bool((np.abs(pixels - rgb).max(1) < tol).any())


def test_nice_range_holds_every_finite_value_and_ignores_the_rest():
    lo, hi = chart_raster.nice_range([1.0, np.inf, 3.0, np.nan])
    assert lo < 1.0 and hi > 3.0 and hi - lo < 2.5
    assert chart_raster.nice_range([np.inf]) == (0.0, 1.0)


def test_each_member_is_drawn_in_its_colour_and_infinite_values_leave_a_gap():
    steps = np.arange(50.0)
    finite = {"step": steps, "d_loss": np.sin(steps), "g_loss": np.cos(steps)}
    blank = {"step": steps, "d_loss": np.full(50, np.inf), "g_loss": np.full(50, np.nan)}
    image = chart_raster.curves_image(chart_raster.loss_panels([finite, blank]), 1, width=480, panel_height=180)
    assert image.size == (480, 360)
    assert _has_colour(image, MEMBER_COLORS[0])
    assert not _has_colour(image, MEMBER_COLORS[1])  # nothing finite to draw: no line pinned to an edge


def test_metric_panels_follow_the_plotly_figure():
    history = {"step": [0, 10], "modes_captured": [0, 8], "high_quality": [0.0, 0.5], "reverse_kl": [np.inf, 0.1],
               "w1": [1.0, 0.2]}
    panels = chart_raster.metric_panels([history], 8)
    assert [p["title"] for p in panels][:2] == ["modes captured (of 8)", "high-quality samples (%)"]
    assert panels[0]["y_range"] == (0, 8.5) and panels[1]["y_range"] == (0, 100)
    np.testing.assert_allclose(panels[1]["series"][0][1], [0, 50])  # fractions shown as per cent
    legend = chart_raster.legend_for(["a", "b"])
    image = chart_raster.curves_image(panels, 2, width=720, panel_height=190, legend=legend)
    assert image.size == (720, 2 * 190 + 22)
