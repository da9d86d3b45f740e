"""Mode-coverage metrics and W1 checked on point sets whose answer is known by construction."""
import math

import numpy as np
import pytest

from gan_core.lab.metrics import mode_stats, nearest_centre, reverse_kl_to_uniform, wasserstein1
from gan_core.lab.toy2d import grid25, ring8


def _near(centres, per_mode, spread, rng):
    return np.concatenate([c + spread * rng.standard_normal((per_mode, 2)) for c in centres])


@pytest.mark.parametrize("chosen", [[0], [1, 5], [0, 2, 4, 6], list(range(8))])
def test_points_near_k_chosen_centres_give_k_modes(chosen):
    ring = ring8()
    rng = np.random.default_rng(0)
    pts = _near(ring.centres[chosen], 100, 0.3 * ring.std, rng)
    st = mode_stats(pts, ring.centres, ring.std)
    assert st.modes_captured == len(chosen)
    assert st.high_quality == 1.0
    assert [i for i, h in enumerate(st.histogram) if h > 0] == sorted(chosen)


def test_noise_far_from_all_centres_gives_zero_high_quality_and_no_modes():
    grid = grid25()
    rng = np.random.default_rng(1)
    # Points at the centres of the grid's cells, 1.41 away from every mode (28 std).
    pts = np.array([[-3.0, -3.0], [1.0, 3.0], [3.0, -1.0]])[rng.integers(0, 3, 500)] + 0.01 * rng.standard_normal((500, 2))
    st = mode_stats(pts, grid.centres, grid.std)
    assert st.high_quality == 0.0
    assert st.modes_captured == 0
    assert math.isinf(st.reverse_kl)


def test_real_samples_are_98_9_percent_high_quality():
    # For an isotropic 2-D Gaussian, P(r <= 3 std) = 1 - exp(-9/2) = 0.98889.
    ring = ring8()
    st = mode_stats(ring.sample(20000, 0), ring.centres, ring.std)
    assert st.modes_captured == 8
    assert abs(st.high_quality - (1 - math.exp(-4.5))) < 0.003
    assert st.reverse_kl < 0.01


def test_reverse_kl_is_zero_for_uniform_and_log_k_for_one_mode():
    assert reverse_kl_to_uniform([5, 5, 5, 5]) == pytest.approx(0.0)
    assert reverse_kl_to_uniform([0, 12, 0, 0, 0, 0, 0, 0]) == pytest.approx(math.log(8))
    # Two of four modes, evenly: KL = log(4 / 2).
    assert reverse_kl_to_uniform([3, 0, 3, 0]) == pytest.approx(math.log(2))
    assert math.isinf(reverse_kl_to_uniform([0, 0, 0]))


def test_nan_samples_count_as_low_quality():
    ring = ring8()
    pts = np.array([[1.0, 0.0], [np.nan, 0.0], [np.inf, 1.0]])
    idx, dist = nearest_centre(pts, ring.centres)
    assert idx.tolist() == [0, -1, -1]
    st = mode_stats(pts, ring.centres, ring.std)
    assert st.high_quality == pytest.approx(1 / 3)
    assert st.modes_captured == 1


def test_w1_of_a_set_with_itself_is_zero():
    pts = np.random.default_rng(2).standard_normal((300, 2))
    assert wasserstein1(pts, pts.copy(), n=300) == pytest.approx(0.0, abs=1e-12)


def test_w1_of_a_translated_set_is_the_shift_length():
    # Translation: the identity matching costs |v| and Jensen gives W1 >= |E a - E b| = |v|.
    pts = np.random.default_rng(3).standard_normal((200, 2))
    v = np.array([0.3, -0.4])
    assert wasserstein1(pts, pts + v, n=200) == pytest.approx(0.5, abs=1e-9)


def test_w1_between_two_point_masses_is_their_distance():
    a = np.zeros((50, 2))
    b = np.tile([3.0, 4.0], (80, 1))
    assert wasserstein1(a, b) == pytest.approx(5.0)


def test_bad_shapes_raise_clear_errors():
    with pytest.raises(ValueError, match="shape"):
        mode_stats(np.zeros((5, 3)), ring8().centres, 0.01)
    with pytest.raises(ValueError, match="at least one point"):
        wasserstein1(np.zeros((0, 2)), np.zeros((3, 2)))
