"""The lab's live picture of the plane (gan_core.lab.plane_raster): colours, orientation, bad points."""
import io

import numpy as np
import pytest
from PIL import Image

from gan_core.lab import plane_raster
from gan_core.palette import P_COLOR, Q_COLOR

EXTENT = (-2.0, 2.0, -2.0, 2.0)


def _hex(c):
    c = c.lstrip("#")
    return np.array([int(c[i:i + 2], 16) for i in (0, 2, 4)], float)


def _view(**kw):
    view = {"kind": "probability", "heat": None, "fakes": None, "arrow_points": None, "arrow_vectors": None,
            "manifold": None, "manifold_side": 0}
    view.update(kw)
    return view


def test_heat_colours_match_plotly_scale_blended_over_white():
    rgb = plane_raster.heat_rgb(np.array([[0.0, 0.5, 1.0, np.nan]]), 0.0, 1.0, opacity=0.85)[0]
    # Independent: 0.85 * colour + 0.15 * white, for the scale's stops orange, white, blue.
    assert np.allclose(rgb[0], 0.85 * _hex("#E69F00") + 0.15 * 255, atol=0.51)
    assert np.allclose(rgb[1], 255, atol=0.51)
    assert np.allclose(rgb[2], 0.85 * _hex("#0072B2") + 0.15 * 255, atol=0.51)
    assert np.allclose(rgb[3], 255)  # NaN: no colour


def test_heat_is_clipped_and_survives_a_flat_range():
    rgb = plane_raster.heat_rgb(np.array([[-5.0, 5.0]]), 0.0, 1.0)[0]
    assert np.array_equal(rgb[0], plane_raster.heat_rgb(np.array([[0.0]]), 0.0, 1.0)[0, 0])
    flat = plane_raster.heat_rgb(np.ones((3, 3)), 1.0, 1.0)
    assert flat.shape == (3, 3, 3) and flat.dtype == np.uint8


def test_heatmap_rows_go_up_in_y():
    heat = np.zeros((10, 10))
    heat[-1, :] = 1.0  # the last row is the largest y: the top of the picture, blue
    img = np.asarray(plane_raster.plane_image(_view(heat=heat), None, EXTENT, ["heatmap"], size=100), float)
    top, bottom = img[2, 50], img[97, 50]
    assert top[2] > top[0]  # blue at the top
    assert bottom[0] > bottom[2]  # orange at the bottom


def test_a_point_lands_where_its_coordinates_say():
    # One generated point near the top-left corner (x small, y large), one real point near the bottom
    # right, each at the centre of a pixel of a 480-pixel picture (x = -2 + (k + 0.5) * 4 / 480).
    at = lambda k: -2 + (k + 0.5) * 4 / 480  # noqa: E731
    view = _view(fakes=np.array([[at(60), -at(60)]]))
    real = np.array([[at(420), -at(420)]])
    img = np.asarray(plane_raster.plane_image(view, real, EXTENT, ["real", "fake"], size=480), float)
    fake_px = img[60, 60]
    real_px = img[420, 420]
    assert np.linalg.norm(fake_px - _hex(Q_COLOR)) < 40
    # Real points are drawn at 60% opacity over white.
    assert np.linalg.norm(real_px - (0.6 * _hex(P_COLOR) + 0.4 * 255)) < 40
    assert np.allclose(img[240, 240], 255)  # nothing in the middle


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e30])
def test_non_finite_and_far_points_are_skipped(bad):
    view = _view(fakes=np.array([[bad, 0.0], [0.0, bad], [0.0, 0.0]]), arrow_points=np.array([[0.0, 0.0], [bad, 1.0]]),
                 arrow_vectors=np.array([[1.0, 0.0], [1.0, bad]]), manifold=np.full((4, 2), bad), manifold_side=2)
    img = plane_raster.plane_image(view, np.array([[bad, bad]]), EXTENT, ["real", "fake", "arrows", "manifold"],
                                   size=64)
    assert img.size == (64, 64)
    assert not np.allclose(np.asarray(img), 255)  # the finite point was drawn


def test_no_layers_is_a_white_picture():
    img = plane_raster.plane_image(_view(heat=np.ones((5, 5)), fakes=np.zeros((3, 2))), np.zeros((3, 2)), EXTENT, [],
                                   size=32)
    assert np.asarray(img).min() == 255


def test_arrows_and_manifold_draw_dark_and_grey_ink():
    side = 5
    g = np.linspace(-1, 1, side)
    mesh = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    view = _view(arrow_points=np.array([[0.0, -1.5]]), arrow_vectors=np.array([[0.0, 1.0]]), manifold=mesh,
                 manifold_side=side)
    img = np.asarray(plane_raster.plane_image(view, None, EXTENT, ["arrows"], size=480), float)
    assert img.min() < 100  # a dark arrow
    grey = np.asarray(plane_raster.plane_image(view, None, EXTENT, ["manifold"], size=480), float)
    assert 100 < grey.min() < 250  # grey mesh lines at 70% opacity


def test_encode_gives_a_jpeg_of_the_same_size():
    img = plane_raster.plane_image(_view(heat=np.random.default_rng(0).random((8, 8))), None, EXTENT, ["heatmap"],
                                   size=120)
    data = plane_raster.encode(img)
    assert data[:2] == b"\xff\xd8"
    back = Image.open(io.BytesIO(data))
    assert back.size == (120, 120) and back.format == "JPEG"
    assert plane_raster.encode(img, "PNG")[:4] == b"\x89PNG"
