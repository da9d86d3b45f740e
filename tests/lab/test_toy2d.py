"""The 2-D mixtures follow the VEEGAN / PacGAN protocol and reject bad custom input."""
import numpy as np
import pytest

from gan_core.lab.toy2d import custom, grid25, make_dataset, moons, ring8, spiral


def test_ring8_has_eight_distinct_centres_at_multiples_of_45_degrees():
    ring = ring8()
    assert ring.n_modes == 8 and ring.std == 0.01
    angles = np.sort(np.mod(np.degrees(np.arctan2(ring.centres[:, 1], ring.centres[:, 0])), 360))
    np.testing.assert_allclose(angles, 45.0 * np.arange(8), atol=1e-9)
    np.testing.assert_allclose(np.hypot(*ring.centres.T), 1.0)


def test_grid25_centres_are_minus4_to_4_in_steps_of_2():
    grid = grid25()
    assert grid.n_modes == 25 and grid.std == 0.05
    expected = {(-4 + 2 * i, -4 + 2 * j) for i in range(5) for j in range(5)}
    assert {tuple(np.round(c).astype(int)) for c in grid.centres} == expected


def test_samples_have_the_stated_spread_around_their_centres():
    grid = grid25()
    x = grid.sample(50000, 0)
    assert x.dtype == np.float32 and x.shape == (50000, 2)
    offsets = x - np.round(x / 2) * 2  # grid spacing 2: offset from the nearest centre
    assert abs(offsets.std() - 0.05) < 0.002
    counts = np.bincount(((np.round(x[:, 0]) + 4) / 2 * 5 + (np.round(x[:, 1]) + 4) / 2).astype(int), minlength=25)
    assert counts.min() > 0.8 * 2000  # equal weights: 2000 expected per mode


def test_sampling_is_reproducible_from_a_seed():
    np.testing.assert_array_equal(ring8().sample(10, 7), ring8().sample(10, 7))


def test_spiral_and_moons_expose_centres_and_std():
    for mix in (spiral(), moons()):
        assert mix.centres.shape[1] == 2 and mix.n_modes > 10 and mix.std > 0
        assert np.isfinite(mix.log_density(mix.sample(100, 0))).all()


def test_custom_points_become_modes():
    mix = custom([[0, 0], [1, 1], [2, 0]], std=0.1)
    assert mix.n_modes == 3 and mix.std == 0.1
    assert make_dataset("custom", points=[[0.5, 0.5]]).n_modes == 1


@pytest.mark.parametrize("bad, message", [
    ([], "shape|at least one"),
    ([[0, 0, 0]], "shape"),
    ([[0, np.nan]], "finite"),
    ("abc", "numbers|shape"),
])
def test_bad_custom_points_give_a_sentence_not_a_traceback(bad, message):
    with pytest.raises(ValueError, match=message):
        custom(bad)


def test_unknown_dataset_name_lists_the_choices():
    with pytest.raises(ValueError, match="ring8"):
        make_dataset("ring9")
    with pytest.raises(ValueError, match="needs points"):
        make_dataset("custom")


def test_log_density_integrates_to_one():
    ring = ring8(std=0.2)
    xs = np.linspace(-2, 2, 401)
    xx, yy = np.meshgrid(xs, xs)
    dens = np.exp(ring.log_density(np.stack([xx.ravel(), yy.ravel()], 1)))
    assert dens.sum() * (xs[1] - xs[0]) ** 2 == pytest.approx(1.0, abs=1e-3)
