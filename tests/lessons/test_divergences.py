"""gan_core.lessons.divergences against scipy and closed forms."""
import math

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy as scipy_entropy
from scipy.stats import wasserstein_distance

from gan_core.lessons import divergences as dv

RNG = np.random.default_rng(1234)


def random_pair(n, zeros=False):
    p, q = RNG.random(n), RNG.random(n)
    if zeros:
        p[RNG.random(n) < 0.3] = 0.0
        p[RNG.integers(n)] += 0.1  # keep at least one positive entry
    return p / p.sum(), q / q.sum()


@pytest.mark.parametrize("n", [2, 5, 50, 1000])
@pytest.mark.parametrize("base", [2, math.e])
def test_entropy_matches_scipy(n, base):
    p, _ = random_pair(n, zeros=True)
    assert dv.entropy(p, base) == pytest.approx(scipy_entropy(p, base=base), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n", [2, 7, 300])
@pytest.mark.parametrize("base", [2, math.e])
def test_kl_matches_scipy(n, base):
    p, q = random_pair(n, zeros=True)
    assert dv.kl_divergence(p, q, base) == pytest.approx(scipy_entropy(p, q, base=base), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n", [2, 7, 300])
def test_cross_entropy_is_entropy_plus_kl(n):
    p, q = random_pair(n, zeros=True)
    assert dv.cross_entropy(p, q) == pytest.approx(dv.entropy(p) + dv.kl_divergence(p, q), rel=1e-12)
    # and directly, with scipy's entropy of p under q's code: H(p) + KL(p||q)
    assert dv.cross_entropy(p, q, math.e) == pytest.approx(scipy_entropy(p) + scipy_entropy(p, q), rel=1e-12)


@pytest.mark.parametrize("n", [2, 7, 300])
@pytest.mark.parametrize("base", [2, math.e])
def test_js_matches_scipy(n, base):
    p, q = random_pair(n, zeros=True)
    # scipy returns the JS *distance*, the square root of the divergence
    assert dv.js_divergence(p, q, base) == pytest.approx(jensenshannon(p, q, base=base) ** 2, rel=1e-9, abs=1e-12)


def test_js_is_symmetric_and_kl_is_not():
    p, q = random_pair(10)
    assert dv.js_divergence(p, q) == pytest.approx(dv.js_divergence(q, p), rel=1e-14)
    assert dv.kl_divergence(p, q) != pytest.approx(dv.kl_divergence(q, p), rel=1e-3)


def test_js_of_disjoint_supports_is_one_bit():
    p = np.array([0.5, 0.5, 0.0, 0.0])
    q = np.array([0.0, 0.0, 0.25, 0.75])
    assert dv.js_divergence(p, q) == pytest.approx(1.0, abs=1e-15)
    assert dv.js_divergence(p, q, math.e) == pytest.approx(math.log(2), abs=1e-15)


def test_js_is_bounded_by_one_bit():
    for _ in range(200):
        p, q = random_pair(int(RNG.integers(2, 20)), zeros=True)
        assert 0.0 <= dv.js_divergence(p, q) <= 1.0


def test_kl_and_cross_entropy_are_infinite_where_q_misses_mass():
    p = np.array([0.5, 0.5, 0.0])
    q = np.array([1.0, 0.0, 0.0])
    assert dv.kl_divergence(p, q) == math.inf
    assert dv.cross_entropy(p, q) == math.inf
    # ... but 0 log 0 = 0: the reverse direction is finite (q's mass lies inside p's support)
    assert dv.kl_divergence(q, p) == pytest.approx(1.0)


def test_zero_log_zero_is_zero():
    assert dv.entropy([1.0, 0.0, 0.0]) == 0.0
    assert dv.entropy([0.5, 0.5, 0.0]) == pytest.approx(1.0)


def test_identical_distributions_have_zero_divergence():
    p, _ = random_pair(30)
    x = np.arange(30.0)
    assert dv.kl_divergence(p, p) == 0.0
    assert dv.js_divergence(p, p) == pytest.approx(0.0, abs=1e-15)
    assert dv.total_variation(p, p) == 0.0
    assert dv.wasserstein1(p, p, x) == 0.0


def test_total_variation_is_half_l1_and_sup_over_events():
    p, q = random_pair(12)
    assert dv.total_variation(p, q) == pytest.approx(0.5 * np.abs(p - q).sum())
    # the supremum over events is attained by A = {x: p(x) > q(x)}
    event = p > q
    assert dv.total_variation(p, q) == pytest.approx(p[event].sum() - q[event].sum())


@pytest.mark.parametrize("n", [3, 40, 500])
def test_w1_matches_scipy(n):
    p, q = random_pair(n, zeros=True)
    x = np.sort(RNG.normal(size=n) * 3)
    assert dv.wasserstein1(p, q, x) == pytest.approx(wasserstein_distance(x, x, p, q), rel=1e-9, abs=1e-12)


def test_w1_of_a_shift_is_the_shift():
    x = np.linspace(-10, 10, 2001)  # spacing 0.01; tails far inside the grid
    p = np.exp(-0.5 * x**2)
    shift = 150  # grid steps = 1.5 units
    q = np.roll(p, shift)
    p, q = p / p.sum(), q / q.sum()
    assert dv.wasserstein1(p, q, x) == pytest.approx(1.5, rel=1e-6)


def test_base_must_be_two_or_e():
    with pytest.raises(ValueError, match="base"):
        dv.entropy([0.5, 0.5], base=10)
    assert dv.entropy([0.5, 0.5], base=math.e) == pytest.approx(math.log(2))


@pytest.mark.parametrize(
    "p, q, message",
    [
        ([0.5, 0.5], [0.2, 0.3, 0.5], "same shape"),
        ([0.5, -0.1, 0.6], [0.2, 0.3, 0.5], "negative"),
        ([0.5, float("nan"), 0.5], [0.2, 0.3, 0.5], "NaN"),
        ([0.5, 0.2, 0.1], [0.2, 0.3, 0.5], "sums to"),
        ([[0.5, 0.5]], [[0.5, 0.5]], "1-D"),
        ([], [], "empty"),
    ],
)
def test_invalid_input_raises_a_clear_value_error(p, q, message):
    with pytest.raises(ValueError, match=message):
        dv.kl_divergence(p, q)


def test_w1_needs_sorted_points_of_the_same_shape():
    with pytest.raises(ValueError, match="sorted"):
        dv.wasserstein1([0.5, 0.5], [0.5, 0.5], [1.0, 0.0])
    with pytest.raises(ValueError, match="same shape"):
        dv.wasserstein1([0.5, 0.5], [0.5, 0.5], [0.0, 1.0, 2.0])


def test_functions_return_plain_floats():
    p, q = random_pair(5)
    x = np.arange(5.0)
    for value in (dv.entropy(p), dv.cross_entropy(p, q), dv.kl_divergence(p, q), dv.js_divergence(p, q),
                  dv.total_variation(p, q), dv.wasserstein1(p, q, x)):
        assert type(value) is float
