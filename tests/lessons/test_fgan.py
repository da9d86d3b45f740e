"""f-divergences (gan_core.lessons.divergences.f_divergence) and the f-GAN bound (gan_core.lessons.fgan)."""
import math

import numpy as np
import pytest
from scipy import optimize

from gan_core.lessons import divergences as dv
from gan_core.lessons import fgan, toy1d

RNG = np.random.default_rng(2016)
NAMES = list(dv.F_DIVERGENCES)
FINE = toy1d.Grid(-30.0, 30.0, 60001)


def random_pair(n, zeros=False):
    p, q = RNG.random(n), RNG.random(n)
    if zeros:
        p[RNG.random(n) < 0.25] = 0.0
        q[RNG.random(n) < 0.25] = 0.0
        p[0] += 0.1
        q[-1] += 0.1
    return p / p.sum(), q / q.sum()


def gaussian_log_masses(m1, s1, m2, s2):
    p = toy1d.discretise(toy1d.Toy1D("gaussian", m1, s1), FINE)
    q = toy1d.discretise(toy1d.Toy1D("gaussian", m2, s2), FINE)
    return p.log_mass, q.log_mass


GAUSSIANS = [(0.0, 1.0, 1.0, 1.0), (0.3, 0.8, -0.4, 1.1), (-1.0, 1.5, 2.0, 1.3)]


@pytest.mark.parametrize("m1, s1, m2, s2", GAUSSIANS)
def test_kl_between_gaussians_matches_closed_form(m1, s1, m2, s2):
    lp, lq = gaussian_log_masses(m1, s1, m2, s2)
    closed = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    assert dv.f_divergence_from_log(lp, lq, "kl") == pytest.approx(closed, rel=1e-6)


@pytest.mark.parametrize("m1, s1, m2, s2", GAUSSIANS)
def test_reverse_kl_between_gaussians_matches_closed_form(m1, s1, m2, s2):
    lp, lq = gaussian_log_masses(m1, s1, m2, s2)
    closed = math.log(s1 / s2) + (s2**2 + (m1 - m2) ** 2) / (2 * s1**2) - 0.5
    assert dv.f_divergence_from_log(lp, lq, "reverse_kl") == pytest.approx(closed, rel=1e-6)


@pytest.mark.parametrize("m1, s1, m2, s2", GAUSSIANS)
def test_pearson_chi_squared_between_gaussians_matches_closed_form(m1, s1, m2, s2):
    lp, lq = gaussian_log_masses(m1, s1, m2, s2)
    closed = s2**2 / (s1 * math.sqrt(2 * s2**2 - s1**2)) * math.exp((m1 - m2) ** 2 / (2 * s2**2 - s1**2)) - 1
    assert dv.f_divergence_from_log(lp, lq, "pearson") == pytest.approx(closed, rel=1e-6)


@pytest.mark.parametrize("m1, s1, m2, s2", GAUSSIANS)
def test_squared_hellinger_between_gaussians_matches_closed_form(m1, s1, m2, s2):
    lp, lq = gaussian_log_masses(m1, s1, m2, s2)
    bc = math.sqrt(2 * s1 * s2 / (s1**2 + s2**2)) * math.exp(-((m1 - m2) ** 2) / (4 * (s1**2 + s2**2)))
    assert dv.f_divergence_from_log(lp, lq, "hellinger") == pytest.approx(2 * (1 - bc), rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_f_divergence_is_the_sum_of_q_f_of_the_ratio(name):
    p, q = random_pair(40)
    direct = float(np.sum(q * dv.F_DIVERGENCES[name].f(p / q)))
    assert dv.f_divergence(p, q, name) == pytest.approx(direct, rel=1e-10, abs=1e-12)


def test_f_divergences_agree_with_the_information_theory_measures():
    p, q = random_pair(30, zeros=True)
    js = dv.js_divergence(p, q, math.e)
    assert dv.f_divergence(p, q, "kl") == pytest.approx(dv.kl_divergence(p, q, math.e), rel=1e-12)
    assert dv.f_divergence(p, q, "reverse_kl") == pytest.approx(dv.kl_divergence(q, p, math.e), rel=1e-12)
    assert dv.f_divergence(p, q, "js") == pytest.approx(2 * js, rel=1e-12)
    assert dv.f_divergence(p, q, "gan") == pytest.approx(2 * js - math.log(4), rel=1e-12)
    assert dv.f_divergence(p, q, "tv") == pytest.approx(dv.total_variation(p, q), rel=1e-12)


def test_disjoint_supports_give_each_divergence_its_limit():
    p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.3, 0.7])
    expected = {"kl": math.inf, "reverse_kl": math.inf, "pearson": math.inf, "hellinger": 2.0,
                "js": math.log(4), "gan": 0.0, "tv": 1.0}
    for name, value in expected.items():
        assert dv.f_divergence(p, q, name) == pytest.approx(value, abs=1e-12), name


@pytest.mark.parametrize("name", NAMES)
def test_equal_distributions_give_f_of_one(name):
    p, _ = random_pair(12)
    expected = -math.log(4) if name == "gan" else 0.0
    assert dv.f_divergence(p, p, name) == pytest.approx(expected, abs=1e-12)


def test_unknown_divergence_is_refused():
    with pytest.raises(ValueError, match="unknown f-divergence"):
        dv.f_divergence([0.5, 0.5], [0.5, 0.5], "renyi")


def _numerical_conjugate(f, t):
    """sup_{u >= 0} {u t - f(u)}: bounded search over log u, plus the endpoint u = 0."""
    res = optimize.minimize_scalar(lambda s: -(math.exp(s) * t - float(f(math.exp(s)))), bounds=(-25.0, 12.0),
                                   method="bounded", options={"xatol": 1e-12})
    at_zero = -float(f(0.0)) if np.isfinite(f(0.0)) else -math.inf
    return max(-res.fun, at_zero)


@pytest.mark.parametrize("name", NAMES)
def test_conjugate_is_the_supremum_of_ut_minus_f(name):
    entry = dv.F_DIVERGENCES[name]
    low, high = entry.conjugate_domain
    ts = [t for t in (-2.5, -1.0, -0.4, -0.1, 0.2, 0.45, 0.6, 1.5) if low < t < high or (name == "tv" and abs(t) <= 0.5)]
    assert len(ts) >= 3
    for t in ts:
        if name == "pearson" and t < -2:
            # f-GAN takes Pearson's f = (u - 1)^2 on all of R; its maximiser u = 1 + t/2 is negative here
            sup = optimize.minimize_scalar(lambda u: -(u * t - (u - 1) ** 2)).fun * -1
            assert float(entry.conjugate(t)) == pytest.approx(sup, rel=1e-9)
            assert float(entry.conjugate(t)) >= _numerical_conjugate(entry.f, t)  # still a valid bound for u >= 0
            continue
        assert float(entry.conjugate(t)) == pytest.approx(_numerical_conjugate(entry.f, t), rel=1e-6, abs=1e-6), t


@pytest.mark.parametrize("name", ["reverse_kl", "hellinger", "js", "gan", "tv"])
def test_conjugate_is_infinite_beyond_its_domain(name):
    entry = dv.F_DIVERGENCES[name]
    t = entry.conjugate_domain[1] + 0.05
    assert math.isinf(float(entry.conjugate(t)))
    # and indeed u t - f(u) grows without bound there
    assert 1e4 * t - float(entry.f(1e4)) > 1e4 * 0.05 * 0.5


@pytest.mark.parametrize("name", NAMES)
def test_output_activation_lands_in_the_conjugate_domain(name):
    entry = dv.F_DIVERGENCES[name]
    v = np.linspace(-8, 8, 161)
    t = entry.activation(v)
    assert np.all(np.isfinite(entry.conjugate(t)))
    assert fgan.conjugate_of_activation(v, name) == pytest.approx(entry.conjugate(t), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("u0", [0.3, 1.7, 3.2])
def test_tangent_touches_f_stays_below_it_and_meets_the_axis_at_minus_conjugate(name, u0):
    tangent = fgan.tangent(name, u0)
    entry = dv.F_DIVERGENCES[name]
    u = np.linspace(0.01, 6, 600)
    assert np.all(entry.f(u) >= tangent.line(u) - 1e-12)
    assert tangent.line(u0) == pytest.approx(float(entry.f(u0)), abs=1e-12)
    assert tangent.intercept == pytest.approx(-tangent.conjugate_t0, abs=1e-12)


def test_table_lists_every_divergence():
    text = fgan.table_markdown()
    for entry in dv.F_DIVERGENCES.values():
        assert entry.label in text and entry.conjugate_latex in text


@pytest.mark.parametrize("name", NAMES)
def test_variational_bound_never_exceeds_the_divergence(name):
    """Property test over random pairs (some with zeros) and random critics of several sizes."""
    for trial in range(40):
        p, q = random_pair(int(RNG.integers(2, 30)), zeros=trial % 2 == 0)
        exact = dv.f_divergence(p, q, name)
        for scale in (0.1, 1.0, 5.0):
            v = RNG.normal(0, scale, len(p))
            bound = fgan.variational_bound(v, p, q, name)
            assert bound <= exact + 1e-12 * max(1.0, abs(exact)), (trial, scale, bound, exact)


@pytest.mark.parametrize("name", NAMES)
def test_optimal_critic_makes_the_bound_tight(name):
    p, q = random_pair(25)
    lp, lq = np.log(p), np.log(q)
    t_star = fgan.optimal_critic(lp, lq, name)
    entry = dv.F_DIVERGENCES[name]
    bound = float(np.sum(p * t_star) - np.sum(q * entry.conjugate(t_star)))
    assert bound == pytest.approx(dv.f_divergence(p, q, name), rel=1e-9, abs=1e-12)


SMALL = toy1d.Grid(-6.0, 6.0, 121)


@pytest.mark.parametrize("name", ["kl", "js", "tv"])
def test_trained_critic_approaches_the_divergence_from_below(name):
    p = toy1d.discretise(toy1d.Toy1D("gaussian", -1.0, 1.0), SMALL)
    q = toy1d.discretise(toy1d.Toy1D("gaussian", 1.0, 1.5), SMALL)
    trainer = fgan.VariationalBoundTrainer(SMALL.x, p.log_mass, q.log_mass, name, steps=300)
    final = trainer.run()
    assert trainer.done and trainer.progress == 1.0
    assert all(b <= trainer.exact + 1e-12 for b in trainer.history.bounds)
    assert final >= trainer.exact - 0.05 * abs(trainer.exact)
    assert trainer.history.bounds[0] < final


def test_training_is_deterministic():
    p = toy1d.discretise(toy1d.Toy1D("gaussian", 0.0, 1.0), SMALL)
    q = toy1d.discretise(toy1d.Toy1D("uniform", 0.5, 3.0), SMALL)
    runs = [fgan.VariationalBoundTrainer(SMALL.x, p.log_mass, q.log_mass, "hellinger", steps=40).run() for _ in range(2)]
    assert runs[0] == runs[1]


def test_figures_of_a_divergence_without_logarithm_carry_no_nats():
    """Issue 20 item 13: chi^2, squared Hellinger and TV have no unit; their figures must not say nats."""
    from gan_core.lessons import viz_lessons as vl

    x = np.linspace(-1, 1, 5)
    bound = vl.bound_training_figure([0, 10], [0.1, 0.2], 0.3, dv.F_DIVERGENCES["pearson"].unit)
    critic = vl.critic_vs_optimal_figure(x, x, x, np.ones(5), np.ones(5), dv.F_DIVERGENCES["tv"].unit)
    titles = [bound.layout.yaxis.title.text, critic.layout.yaxis.title.text]
    assert not any("nats" in t for t in titles) and all(titles)
    assert "nats" in vl.critic_vs_optimal_figure(x, x, x, np.ones(5), np.ones(5), "nats").layout.yaxis.title.text
