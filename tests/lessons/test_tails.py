"""Infinite f-divergences decided from the toy densities' supports and tails (gan_core.lessons.tails), issue 20 item 1.

The independent check integrates each divergence's integrand over the whole line numerically,
in log space, on [-30, 30] and on [-60, 60]: a convergent integral hardly changes, a divergent one
grows (at least like the interval's length); a point where the denominator's density is 0 and
the numerator's is not makes it infinite outright.
"""
import math
import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from gan_core.lessons import fgan, tails, toy1d

TOYS = [
    toy1d.Toy1D("gaussian", 0.0, 1.0),
    toy1d.Toy1D("gaussian", 1.0, 0.7),
    toy1d.Toy1D("gaussian", -1.0, 2.0),
    toy1d.Toy1D("gaussian", 0.5, 1.5),
    toy1d.Toy1D("mixture", -2.0, 0.5, 0.3, 1.5, 1.2),
    toy1d.Toy1D("mixture", 0.0, 0.4, 0.05, 3.0, 0.3),  # the heavy component is the wide one
    toy1d.Toy1D("mixture", 0.0, 0.5, 0.05, 1.0, 0.9),  # the wide component has weight 0.05
    toy1d.Toy1D("mixture", 1.0, 0.3, 0.0, 3.0, 2.5),  # weight 0: only N(1, 0.3^2)
    toy1d.Toy1D("mixture", 1.0, 2.5, 1.0, 3.0, 0.6),  # weight 1: only N(3, 0.6^2)
    toy1d.Toy1D("uniform", 0.0, 1.0),
    toy1d.Toy1D("uniform", 0.5, 3.0),
    toy1d.Toy1D("uniform", -1.0, 0.3),
]
WHOLE = np.linspace(-60.0, 60.0, 120001)
HALF = np.abs(WHOLE) <= 30.0


def _log_integrand(p_toy, q_toy, name):
    """log of the integrand's size: p^2/q (chi^2), p |log p - log q| (KL), q |log q - log p| (reverse KL)."""
    if name == "reverse_kl":
        p_toy, q_toy, name = q_toy, p_toy, "kl"
    lp, lq = p_toy.log_density(WHOLE), q_toy.log_density(WHOLE)
    if np.any(np.isfinite(lp) & np.isneginf(lq)):
        return None  # q = 0 < p on an interval of the line
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "pearson":
            return np.where(np.isfinite(lp), 2 * lp - lq, -np.inf)
        return np.where(np.isfinite(lp), lp + np.log(np.abs(lp - lq)), -np.inf)


def numerically_infinite(p_toy, q_toy, name) -> bool:
    log_f = _log_integrand(p_toy, q_toy, name)
    if log_f is None:
        return True
    whole, half = logsumexp(log_f), logsumexp(np.where(HALF, log_f, -np.inf))
    if whole == -np.inf:
        return False  # P = Q: the integrand is 0 everywhere
    return whole - half > 0.3  # doubling the interval at least doubles a divergent integral: log 2 = 0.69


@pytest.mark.parametrize("name", ["kl", "reverse_kl", "pearson"])
def test_infinite_exactly_when_the_integral_over_the_line_diverges(name):
    checked = infinite = 0
    for p_toy, q_toy in itertools.product(TOYS, TOYS):
        expected = numerically_infinite(p_toy, q_toy, name)
        assert (tails.infinite_reason(p_toy, q_toy, name) is not None) == expected, (p_toy, q_toy)
        checked, infinite = checked + 1, infinite + expected
    assert checked == len(TOYS) ** 2 and 0 < infinite < checked  # both outcomes are exercised


@pytest.mark.parametrize("name", ["hellinger", "js", "gan", "tv"])
def test_bounded_divergences_are_never_infinite(name):
    for p_toy, q_toy in itertools.product(TOYS, TOYS):
        assert tails.infinite_reason(p_toy, q_toy, name) is None


@pytest.mark.parametrize("s_p", [0.5, 1.0, 1.7, 3.0])
@pytest.mark.parametrize("ratio", [0.3, 0.6, 0.7, 0.7071, 0.75, 0.9, 1.3])
def test_pearson_between_gaussians_is_infinite_iff_sigma_q_squared_at_most_half_sigma_p_squared(s_p, ratio):
    """The closed form s_Q^2 / (s_P sqrt(2 s_Q^2 - s_P^2)) exp(...) - 1 exists only when 2 s_Q^2 > s_P^2."""
    p_toy, q_toy = toy1d.Toy1D("gaussian", -1.0, s_p), toy1d.Toy1D("gaussian", 1.0, ratio * s_p)
    reason = tails.infinite_reason(p_toy, q_toy, "pearson")
    assert (reason is not None) == (2 * (ratio * s_p) ** 2 <= s_p**2)
    if reason:
        assert "Q far thinner than P" in reason


def test_issue_example_reads_infinite_not_1e17():
    """P = N(-1, 1), Q = N(1, 0.7^2) on the f-GAN page's grid: the grid sums to ~1.8e17, the divergence is inf."""
    grid = toy1d.Grid(-10.0, 10.0, 1001)
    p_toy, q_toy = toy1d.Toy1D("gaussian", -1.0, 1.0), toy1d.Toy1D("gaussian", 1.0, 0.7)
    exact = fgan.exact_divergence(p_toy, q_toy, "pearson", grid)
    assert exact.value == math.inf and "Q far thinner than P" in exact.reason
    assert 1e16 < exact.grid_sum < 1e19  # what the page showed before
    for sigma_q in (0.5, 0.7):  # also 8.2e67 for sigma_Q = 0.5
        assert fgan.exact_divergence(p_toy, toy1d.Toy1D("gaussian", 1.0, sigma_q), "pearson", grid).value == math.inf


def test_finite_divergences_keep_the_grid_sum_and_match_the_closed_form():
    grid = toy1d.Grid(-30.0, 30.0, 60001)
    m1, s1, m2, s2 = -1.0, 1.0, 1.0, 1.5
    exact = fgan.exact_divergence(toy1d.Toy1D("gaussian", m1, s1), toy1d.Toy1D("gaussian", m2, s2), "pearson", grid)
    closed = s2**2 / (s1 * math.sqrt(2 * s2**2 - s1**2)) * math.exp((m1 - m2) ** 2 / (2 * s2**2 - s1**2)) - 1
    assert exact.reason is None and exact.value == exact.grid_sum == pytest.approx(closed, rel=1e-6)


def test_the_bound_trainer_compares_with_the_infinite_value():
    grid = toy1d.Grid(-10.0, 10.0, 1001)
    p_toy, q_toy = toy1d.Toy1D("gaussian", -1.0, 1.0), toy1d.Toy1D("gaussian", 1.0, 0.7)
    exact = fgan.exact_divergence(p_toy, q_toy, "pearson", grid)
    p_d, q_d = toy1d.discretise(p_toy, grid), toy1d.discretise(q_toy, grid)
    trainer = fgan.VariationalBoundTrainer(grid.x, p_d.log_mass, q_d.log_mass, "pearson", steps=20, exact=exact.value)
    assert trainer.exact == math.inf
    assert trainer.run() <= exact.grid_sum  # the bound stays below the grid's own sum too
    default = fgan.VariationalBoundTrainer(grid.x, p_d.log_mass, q_d.log_mass, "pearson", steps=1)
    assert default.exact == exact.grid_sum
