"""gan_core.exports: the lab's timeline GIF, captioned picture grids and server-side chart images."""
from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from gan_core import exports
from gan_core.lab import timeline_gif
from gan_core.lab.session import Frame
from gan_core.lab.plane_raster import plane_image
from gan_core.palette import P_COLOR

EXTENT = (-4.0, 4.0, -4.0, 4.0)
REAL = np.random.default_rng(0).normal(size=(300, 2))


def _frames(n: int, members: int, grid: int = 30, rng_seed: int = 1) -> list[Frame]:
    """A run whose fakes slide from left to right while each heatmap turns."""
    rng = np.random.default_rng(rng_seed)
    axis = np.linspace(-4, 4, grid)
    xx, yy = np.meshgrid(axis, axis)
    frames = []
    for k in range(n):
        t = k / max(n - 1, 1)
        fakes = [(0.3 * rng.normal(size=(200, 2)) + [6 * t - 3, i - 1]).astype(np.float32) for i in range(members)]
        heat = [(1 / (1 + np.exp(-(xx * np.cos(3 * t + i) + yy * np.sin(3 * t + i))))).astype(np.float32)
                for i in range(members)]
        frames.append(Frame(10 * k, [10 * k + i for i in range(members)], fakes, heat, [None] * members))
    return frames


def _gif_frames(data: bytes) -> list[np.ndarray]:
    gif = Image.open(io.BytesIO(data))
    out = []
    for k in range(gif.n_frames):
        gif.seek(k)
        out.append(np.asarray(gif.convert("RGB"), dtype=np.float64))
    return out


# ------------------------------------------------------------------------------------ timeline GIF
def test_timeline_gif_is_an_animation_of_every_frame_with_members_side_by_side():
    frames = _frames(7, 2)
    size = 120
    data = timeline_gif.timeline_gif(frames, REAL, EXTENT, ["probability", "critic"], ["GAN", "WGAN-GP"], size=size, fps=5)
    gif = Image.open(io.BytesIO(data))
    assert gif.format == "GIF" and gif.is_animated and gif.n_frames == 7
    assert gif.info["loop"] == 0 and gif.info["duration"] == 200
    width, height = gif.size
    assert 2 * size <= width <= 2 * size + 10 and size < height <= size + 40
    pictures = _gif_frames(data)
    # Each panel is the live view's picture of that frame (up to the GIF's colour steps).
    for k in (0, 6):
        for i, kind in enumerate(["probability", "critic"]):
            view = {"kind": kind, "heat": frames[k].heat[i], "fakes": frames[k].fakes[i]}
            expected = np.asarray(plane_image(view, REAL, EXTENT, ("heatmap", "real", "fake"), size=size), float)
            x = 0 if i == 0 else width - size
            panel = pictures[k][height - size:, x:x + size]
            assert np.abs(panel - expected).mean() < 6, (k, i)
    # Consecutive frames differ (the run moves), and so do the headers (the step is written on each).
    header = height - size
    assert all(np.abs(pictures[k] - pictures[k + 1]).mean() > 0.5 for k in range(6))
    assert np.abs(pictures[0][:header] - pictures[6][:header]).max() > 100
    assert pictures[0][:header].min() < 100  # dark text on the white band


def test_long_timelines_are_subsampled_keeping_first_and_last():
    frames = _frames(200, 1)
    data = timeline_gif.timeline_gif(frames, REAL, EXTENT, ["least-squares"], ["LSGAN"], size=64)
    assert Image.open(io.BytesIO(data)).n_frames == timeline_gif.MAX_GIF_FRAMES
    pictures = _gif_frames(data)
    for gif_index, frame_index in ((0, 0), (-1, 199)):
        view = {"kind": "least-squares", "heat": frames[frame_index].heat[0], "fakes": frames[frame_index].fakes[0]}
        expected = np.asarray(plane_image(view, REAL, EXTENT, ("heatmap", "real", "fake"), size=64), float)
        assert np.abs(pictures[gif_index][-64:] - expected).mean() < 6


def test_a_200_frame_four_member_gif_stays_under_the_size_budget():
    frames = _frames(200, 4)
    kinds = ["probability", "critic", "least-squares", "probability"]
    data = timeline_gif.timeline_gif(frames, REAL, EXTENT, kinds, ["a", "b", "c", "d"])  # default 360 px panels
    gif = Image.open(io.BytesIO(data))
    assert len(data) <= timeline_gif.MAX_GIF_BYTES < 10_000_000
    assert gif.size[0] >= 4 * 360 and 20 <= gif.n_frames <= timeline_gif.MAX_GIF_FRAMES


def test_timeline_gif_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="empty"):
        timeline_gif.timeline_gif([], REAL, EXTENT, ["critic"], ["x"])
    with pytest.raises(ValueError, match="one kind per label"):
        timeline_gif.timeline_gif(_frames(2, 2), REAL, EXTENT, ["critic"], ["x", "y"])
    with pytest.raises(ValueError, match="every member"):
        timeline_gif.timeline_gif(_frames(2, 1), REAL, EXTENT, ["critic", "critic"], ["x", "y"])


# ------------------------------------------------------------------------------------ picture grid
def test_captioned_grid_places_each_picture_with_its_caption():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 255, (48, 48), dtype=np.uint8)
    b = rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)
    data = exports.captioned_grid([[(a, "① x"), (b, "② G(x), a caption long enough to need wrapping")],
                                   [(Image.fromarray(b), "③")]], pad=8)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    grid = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert grid.shape[1] == 8 + 2 * (48 + 8)
    assert np.array_equal(grid[8:56, 8:56, 0], a)  # first picture, top left
    assert np.array_equal(grid[8:56, 64:112], b)  # second picture next to it
    caption_band = grid[60:100, 64:112]
    assert caption_band.min() < 100  # caption text under the second picture
    with pytest.raises(ValueError):
        exports.captioned_grid([])


# ------------------------------------------------------------------------------------ chart images
def _figure(title="Two bars") -> go.Figure:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], marker_color=P_COLOR))
    if title:
        fig.update_layout(title=title)
    return fig


def test_png_export_has_the_requested_size_and_draws_the_chart():
    fig = _figure()
    before = fig.to_json()
    data = exports.figure_image(fig, "png", title="Exported bars", width=500, height=300, scale=2)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (1000, 600)
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    blue = np.array([int(P_COLOR[k:k + 2], 16) for k in (1, 3, 5)])
    assert (np.abs(pixels - blue).sum(axis=1) < 30).mean() > 0.02  # the bars are there, in their colour
    assert fig.to_json() == before  # the page's figure is left alone


def test_svg_export_is_xml_with_the_title():
    svg = exports.figure_image(_figure(), "svg", title="Exported bars", width=640, height=400)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert root.get("width") == "640" and root.get("height") == "400"
    texts = " ".join(t for t in root.itertext())
    assert "Exported bars" in texts and "Two bars" not in texts
    # Without a title argument the figure's own title is used; a figure without one gets none.
    assert b"Two bars" in exports.figure_image(_figure(), "svg")
    assert 'class="gtitle"' not in exports.figure_image(_figure(title=None), "svg").decode()


def test_bad_format_and_missing_browser_are_explained(monkeypatch):
    with pytest.raises(ValueError, match="png"):
        exports.figure_image(_figure(), "gif")
    exports.close_browser()
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chrome")
    with pytest.raises(RuntimeError, match="BROWSER_PATH"):
        exports.figure_image(_figure(), "png")
    monkeypatch.delenv("BROWSER_PATH")
    monkeypatch.setattr(exports, "_BROWSER_CANDIDATES", ("/nonexistent/chromium",))
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeError, match="Chromium"):
        exports.browser_path()


def test_the_export_browser_closes_when_idle_and_reopens_on_demand(monkeypatch):
    monkeypatch.setattr(exports, "IDLE_CLOSE_S", 0.5)
    exports.figure_image(_figure(), "svg")
    assert exports._EXPORTER.running
    deadline = time.time() + 10
    while exports._EXPORTER.running and time.time() < deadline:
        time.sleep(0.1)
    assert not exports._EXPORTER.running
    assert exports.figure_image(_figure(), "png", width=300, height=200, scale=1)[:8] == b"\x89PNG\r\n\x1a\n"
    exports.close_browser()
    assert not exports._EXPORTER.running


# ------------------------------------------------------------------------------------ the pages' wiring
def _export_buttons(at):
    return [b.proto for b in at.get("download_button") if b.proto.id.endswith(("__png", "__svg"))]


def test_every_chart_offers_png_and_svg_made_only_on_click(monkeypatch):
    from apptest_helpers import assert_clean, open_page

    calls = []
    monkeypatch.setattr(exports, "figure_image", lambda *a, **k: calls.append(a) or b"")
    at = open_page("pages/gan_objective.py")
    assert_clean(at)
    charts = len(at.get("plotly_chart"))
    buttons = _export_buttons(at)
    assert charts == 3 and len(buttons) == 2 * charts
    assert {b.id.rsplit("-", 1)[-1] for b in buttons} >= {"d_star__png", "d_star__svg"}
    assert all(b.deferred_file_id and not b.url for b in buttons)  # registered, not rendered
    assert calls == []


def test_presenter_mode_and_a_missing_browser_hide_the_files(monkeypatch):
    from apptest_helpers import assert_clean, open_page

    at = open_page("pages/gan_objective.py")
    at.sidebar.toggle(key="present").set_value(True).run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 3 and _export_buttons(at) == []

    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chrome")
    at = open_page("pages/gan_objective.py")
    assert_clean(at)
    assert _export_buttons(at) == []
    notes = [c.value for c in at.caption if c.value.startswith("Downloads are not available")]
    assert len(notes) == 3 and "BROWSER_PATH" in notes[0]
