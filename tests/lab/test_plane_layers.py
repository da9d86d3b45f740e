"""The lab's plane draws the samples above the arrows and the mesh (issue 21, item 7): a collapsed
cloud under 256 black arrows looked like a smudge, and the real samples were hidden."""
import numpy as np

from gan_core.lab import plane_raster, viz_lab

EXTENT = (-2.0, 2.0, -2.0, 2.0)


def _view(fakes, arrow_points, arrow_vectors):
    t = np.linspace(-1.5, 1.5, 5)
    xx, yy = np.meshgrid(t, t)
    return {"kind": "probability", "heat": None, "grid_x": None, "grid_y": None, "fakes": fakes,
            "arrow_points": arrow_points, "arrow_vectors": arrow_vectors,
            "manifold": np.stack([xx.ravel(), yy.ravel()], 1), "manifold_side": 5}


def test_a_real_sample_under_an_arrow_and_the_mesh_stays_blue():
    # One real point at the origin; an arrow from (-1, 0) through it; mesh lines through it.
    view = _view(np.array([[1.5, 1.5]]), np.array([[-1.0, 0.0]]), np.array([[1.0, 0.0]]))
    view["manifold"][12] = 0.0  # the mesh's centre node on the origin too
    img = np.asarray(plane_raster.plane_image(view, np.array([[0.0, 0.0]]), EXTENT,
                                              ("real", "fake", "arrows", "manifold"), size=200)).astype(int)
    r, g, b = img[100, 100]  # the origin
    assert b > r + 40, (r, g, b)  # the real sample's blue, not the arrow's black or the mesh's grey


def test_generated_samples_cover_the_arrows_that_start_at_them():
    fakes = np.zeros((50, 2))
    view = _view(fakes, fakes, np.tile([[0.0, 1.0]], (50, 1)))
    img = np.asarray(plane_raster.plane_image(view, None, EXTENT, ("fake", "arrows"), size=200)).astype(int)
    disc = img[99:101, 99:101].reshape(-1, 3)  # the cloud (a 2 px disc here), where 50 arrows start upwards
    assert np.all(disc[:, 0] > disc[:, 2] + 60), disc  # orange on top, no black line across it


def test_the_interactive_plane_draws_samples_last_and_lists_them_first():
    rng = np.random.default_rng(0)
    view = {**_view(rng.normal(size=(20, 2)), rng.normal(size=(20, 2)), rng.normal(size=(20, 2))),
            "heat": rng.random((4, 4)), "grid_x": np.linspace(-2, 2, 4), "grid_y": np.linspace(-2, 2, 4)}
    fig = viz_lab.plane_figure(view, rng.normal(size=(30, 2)), EXTENT)
    names = [t.name for t in fig.data]
    assert names.index("real samples") > names.index("where G pushes its samples")
    assert names.index("generated samples") > names.index("G's image of a latent grid")
    ranks = {t.name: t.legendrank for t in fig.data if t.name}
    assert sorted(ranks, key=ranks.get) == ["real samples", "generated samples", "where G pushes its samples",
                                            "G's image of a latent grid"]
