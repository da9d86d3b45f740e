"""gan_core.lessons.toy1d: discretised densities against closed forms and independent computations."""
import math

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.spatial.distance import jensenshannon

from gan_core.lessons import toy1d
from gan_core.lessons.toy1d import Toy1D

LN2 = math.log(2)


def gaussian_kl(m1, s1, m2, s2):
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


@pytest.mark.parametrize("m1, s1, m2, s2", [(0, 1, 1, 2), (-1, 0.5, 2, 0.7), (0, 0.1, 0.3, 3.0), (4, 2, -4, 0.1)])
def test_kl_of_two_gaussians_matches_closed_form(m1, s1, m2, s2):
    p = toy1d.discretise(Toy1D("gaussian", m1, s1))
    q = toy1d.discretise(Toy1D("gaussian", m2, s2))
    table = toy1d.divergence_table(p, q, "nats")
    assert table.kl_pq == pytest.approx(gaussian_kl(m1, s1, m2, s2), rel=2e-4)
    assert table.kl_qp == pytest.approx(gaussian_kl(m2, s2, m1, s1), rel=2e-4)


def test_far_gaussian_tails_do_not_fake_an_infinite_kl():
    # q's density at p's location underflows to 0.0 in floating point; KL is still finite.
    p = toy1d.discretise(Toy1D("gaussian", 4, 2))
    q = toy1d.discretise(Toy1D("gaussian", -4, 0.1))
    assert math.isfinite(toy1d.divergence_table(p, q, "nats").kl_pq)


@pytest.mark.parametrize("sigma", [0.1, 1.0, 2.5])
def test_differential_entropy_of_a_gaussian(sigma):
    p = toy1d.discretise(Toy1D("gaussian", 0.5, sigma))
    table = toy1d.divergence_table(p, p, "bits")
    assert table.entropy_p == pytest.approx(0.5 * math.log2(2 * math.pi * math.e * sigma**2), abs=1e-4)


def test_cross_entropy_of_gaussians_is_entropy_plus_kl():
    p = toy1d.discretise(Toy1D("gaussian", 0, 1))
    q = toy1d.discretise(Toy1D("gaussian", 1, 2))
    table = toy1d.divergence_table(p, q, "nats")
    expected = 0.5 * math.log(2 * math.pi * math.e) + gaussian_kl(0, 1, 1, 2)
    assert table.cross_entropy_pq == pytest.approx(expected, rel=1e-5)


def test_js_and_tv_match_scipy_quadrature():
    p_toy, q_toy = Toy1D("mixture", -1, 0.6, 0.3, 2, 0.8), Toy1D("gaussian", 0.5, 1.2)
    p, q = toy1d.discretise(p_toy), toy1d.discretise(q_toy)
    table = toy1d.divergence_table(p, q, "nats")

    def js_integrand(x):
        a, b = p_toy.density(x), q_toy.density(x)
        m = (a + b) / 2
        return 0.5 * (a * math.log(a / m) if a > 0 else 0) + 0.5 * (b * math.log(b / m) if b > 0 else 0)

    js = integrate.quad(js_integrand, -15, 15, limit=400, points=[-1, 0.5, 2])[0]
    tv = integrate.quad(lambda x: 0.5 * abs(p_toy.density(x) - q_toy.density(x)), -15, 15, limit=400)[0]
    assert table.js == pytest.approx(js, rel=1e-5)
    assert table.tv == pytest.approx(tv, rel=1e-4)
    # and the discrete masses agree with scipy's Jensen-Shannon distance
    assert table.js == pytest.approx(jensenshannon(p.mass, q.mass) ** 2, rel=1e-9)


def test_w1_of_gaussians_with_equal_scale_is_the_shift():
    p = toy1d.discretise(Toy1D("gaussian", -1.3, 0.8))
    q = toy1d.discretise(Toy1D("gaussian", 0.9, 0.8))
    assert toy1d.divergence_table(p, q).w1 == pytest.approx(2.2, abs=1e-3)


def test_w1_of_two_densities_matches_scipy():
    p_toy, q_toy = Toy1D("mixture", -1, 0.6, 0.3, 2, 0.8), Toy1D("uniform", 0.5, 1.2)
    p, q = toy1d.discretise(p_toy), toy1d.discretise(q_toy)
    x = p.grid.x
    assert toy1d.divergence_table(p, q).w1 == pytest.approx(stats.wasserstein_distance(x, x, p.mass, q.mass), rel=1e-9)


def test_integrand_areas_equal_the_table():
    p = toy1d.discretise(Toy1D("gaussian", 0, 1))
    q = toy1d.discretise(Toy1D("mixture", 1, 0.6, 0.4, 3, 0.5))
    table = toy1d.divergence_table(p, q, "bits")
    dx = p.grid.dx
    area = {name: float(np.sum(toy1d.integrand(name, p, q, "bits")) * dx) for name in toy1d.INTEGRANDS}
    assert area["KL(P‖Q)"] == pytest.approx(table.kl_pq, rel=1e-9)
    assert area["KL(Q‖P)"] == pytest.approx(table.kl_qp, rel=1e-9)
    assert area["JS"] == pytest.approx(table.js, rel=1e-9)
    assert area["Total variation"] == pytest.approx(table.tv, rel=1e-9)
    assert area["Wasserstein-1"] == pytest.approx(table.w1, rel=1e-3)
    assert area["Cross-entropy h(P, Q)"] == pytest.approx(table.cross_entropy_pq, rel=1e-9)


def test_uniform_outside_support_gives_infinite_kl_and_js_at_most_one_bit():
    p = toy1d.discretise(Toy1D("gaussian", 0, 1))
    q = toy1d.discretise(Toy1D("uniform", 0, 1))
    table = toy1d.divergence_table(p, q, "bits")
    assert table.kl_pq == math.inf and table.cross_entropy_pq == math.inf
    assert math.isfinite(table.kl_qp)
    assert 0 < table.js < 1


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_mixture_weight_extremes_reduce_to_one_gaussian(weight):
    mix = toy1d.discretise(Toy1D("mixture", -2, 0.5, weight, 3, 1.5))
    single = toy1d.discretise(Toy1D("gaussian", 3, 1.5) if weight == 1 else Toy1D("gaussian", -2, 0.5))
    assert np.allclose(mix.mass, single.mass, atol=1e-15)


def test_invalid_toys_raise_value_errors():
    with pytest.raises(ValueError):
        Toy1D("cauchy")
    with pytest.raises(ValueError):
        Toy1D("gaussian", scale=0.0)
    with pytest.raises(ValueError):
        Toy1D("mixture", weight=1.5)


def test_forward_kl_fit_is_moment_matching():
    target = toy1d.discretise(Toy1D("mixture", -3, 0.7, 0.3, 3, 0.7))
    fit = toy1d.fit_gaussian(target, "forward")
    x, m = target.grid.x, target.mass
    mean = float(np.sum(m * x))
    std = math.sqrt(float(np.sum(m * (x - mean) ** 2)))
    assert fit.loc == pytest.approx(mean, abs=1e-3)
    assert fit.scale == pytest.approx(std, rel=1e-3)


def test_reverse_kl_fit_seeks_one_mode():
    target = toy1d.discretise(Toy1D("mixture", -3, 0.7, 0.7, 3, 0.7))
    fit = toy1d.fit_gaussian(target, "reverse")
    assert fit.loc == pytest.approx(3.0, abs=0.05)  # the heavier mode
    assert fit.scale == pytest.approx(0.7, rel=0.05)
    # inside the mode KL(Q||P) is about -log(weight of that mode)
    assert fit.kl == pytest.approx(-math.log(0.7), rel=0.02)
    assert len(fit.local_optima) == 2


@pytest.mark.parametrize(
    "data, gen",
    [
        (Toy1D("gaussian", 0, 1), Toy1D("gaussian", 1, 2)),
        (Toy1D("mixture", -2, 0.6, 0.4, 1.5, 0.5), Toy1D("gaussian", 1, 1.2)),
        (Toy1D("uniform", 0, 0.5), Toy1D("uniform", 3, 0.5)),  # disjoint: V = 0, JSD = log 2
        (Toy1D("gaussian", 0.3, 0.7), Toy1D("gaussian", 0.3, 0.7)),  # identical: V = -log 4
        (Toy1D("uniform", 0, 1), Toy1D("gaussian", 0, 0.3)),
    ],
)
def test_optimal_discriminator_gives_minus_log4_plus_2jsd(data, gen):
    p, q = toy1d.discretise(data), toy1d.discretise(gen)
    result = toy1d.gan_objective(p, q)
    # independent JS from scipy on the same masses
    # scipy's default base is e (nats); flush subnormal tail masses, on which its (p+q)/2 underflows
    flush = lambda m: np.where(m < 1e-300, 0.0, m)  # noqa: E731
    js = jensenshannon(flush(p.mass), flush(q.mass)) ** 2
    assert result.value == pytest.approx(-math.log(4) + 2 * js, abs=1e-10)
    assert result.value == pytest.approx(result.identity_rhs, abs=1e-12)
    assert np.all((result.d_star >= 0) & (result.d_star <= 1))


def test_optimal_discriminator_is_one_half_when_generator_matches_data():
    p = toy1d.discretise(Toy1D("gaussian", 0, 1))
    result = toy1d.gan_objective(p, p)
    assert np.allclose(result.d_star, 0.5)
    assert result.value == pytest.approx(-math.log(4))


def test_disjoint_supports_kl_infinite_js_log2_w1_theta():
    thetas = np.array([-1.5, -0.5, 0.0, 0.25, 1.0, 2.0])
    sweep = toy1d.disjoint_sweep(thetas)
    for theta, kl, js, w1 in zip(thetas, sweep.kl, sweep.js, sweep.w1):
        assert w1 == pytest.approx(abs(theta), abs=1e-3)
        if abs(theta) > 0.1:
            assert kl == math.inf
            assert js == pytest.approx(LN2, abs=1e-12)
        if theta == 0:
            assert kl == 0 and js == pytest.approx(0, abs=1e-15)


def test_js_has_zero_gradient_once_supports_are_disjoint_but_w1_does_not():
    def js(t):
        return toy1d.divergence_table(*toy1d.point_pair(t), "nats").js

    def w1(t):
        return toy1d.divergence_table(*toy1d.point_pair(t), "nats").w1

    assert toy1d.derivative(js, 1.0) == pytest.approx(0.0, abs=1e-12)
    assert toy1d.derivative(w1, 1.0) == pytest.approx(1.0, abs=1e-6)
    assert toy1d.derivative(w1, -1.0) == pytest.approx(-1.0, abs=1e-6)


def test_maximum_likelihood_and_kl_share_their_optimum():
    data = toy1d.discretise(Toy1D("mixture", -2, 0.6, 0.4, 1.5, 0.5))
    locs = np.linspace(-4, 4, 801)
    avg, minus_ce, kl = toy1d.log_likelihood_curve(data, locs, scale=1.0, n_samples=20000, seed=1)
    mean = float(np.sum(data.mass * data.grid.x))
    assert locs[np.argmin(kl)] == pytest.approx(mean, abs=0.01)  # for N(mu, 1) the KL optimum is the mean
    assert locs[np.argmax(minus_ce)] == locs[np.argmin(kl)]
    assert locs[np.argmax(avg)] == pytest.approx(mean, abs=0.05)


# ------------------------------------------------------------------ display thinning (gan_core.lessons.viz)

def test_thinned_lines_look_like_the_full_grid():
    import plotly.graph_objects as go

    from gan_core.lessons import viz

    x = np.linspace(-10, 10, 3001)
    y = np.exp(-0.5 * (x / 0.1) ** 2) + 0.3 * np.exp(-0.5 * ((x + 3) / 0.6) ** 2)
    idx = viz.thin_indices(x, y)
    assert len(idx) <= viz.DISPLAY_POINTS + 8 and idx[0] == 0 and idx[-1] == len(x) - 1
    assert np.argmax(y) in idx
    # Drawn as straight segments between the kept points, the line stays within 1% of its peak.
    assert np.max(np.abs(np.interp(x, x[idx], y[idx]) - y)) < 0.01 * y.max()

    gap = y.copy()
    gap[1000:1200] = np.nan
    fig = go.Figure([go.Scatter(x=x, y=gap), go.Scatter(x=x, y=y, mode="markers"), go.Scatter(x=x[:50], y=y[:50])])
    viz.thin_lines(fig)
    line, markers, short = fig.data
    assert len(line.x) < 1000 and len(markers.x) == 3001 and len(short.x) == 50
    kept = np.asarray(line.y, dtype=float)
    kept_x = np.asarray(line.x)
    inside = (kept_x >= x[1000]) & (kept_x <= x[1199])
    assert inside.any() and np.isnan(kept[inside]).all()  # the gap is still a gap
    assert np.isfinite(kept[kept_x == x[999]]).all() and np.isfinite(kept[kept_x == x[1200]]).all()
