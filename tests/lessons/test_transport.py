"""gan_core.lessons.transport: the 1-D optimal plan, the exact 2-D assignment, and the trained critic."""
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment, linprog
from scipy.stats import wasserstein_distance

from gan_core.lessons import divergences as dv
from gan_core.lessons import toy1d, transport

RNG = np.random.default_rng(1781)  # Monge's memoir on moving earth


def random_hist(n, zeros=False):
    p = RNG.random(n)
    if zeros:
        p[RNG.random(n) < 0.3] = 0.0
        p[RNG.integers(n)] += 0.2
    return p / p.sum()


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_monotone_plan_cost_is_w1(n):
    x = np.sort(RNG.normal(size=n))
    p, q = random_hist(n, zeros=True), random_hist(n, zeros=True)
    plan = transport.monotone_plan(p, q, x)
    assert plan.cost == pytest.approx(dv.wasserstein1(p, q, x), rel=1e-10, abs=1e-12)
    assert plan.cost == pytest.approx(wasserstein_distance(x, x, p, q), rel=1e-9, abs=1e-12)


def test_monotone_plan_has_the_right_marginals_and_never_crosses():
    x = np.linspace(-3, 3, 25)
    p, q = random_hist(25, zeros=True), random_hist(25, zeros=True)
    plan = transport.monotone_plan(p, q, x)
    gamma = plan.matrix()
    assert gamma.sum(axis=1) == pytest.approx(p, abs=1e-12)
    assert gamma.sum(axis=0) == pytest.approx(q, abs=1e-12)
    # flows come in quantile order: both endpoints non-decreasing, so no two lines cross
    assert np.all(np.diff(plan.source) >= 0) and np.all(np.diff(plan.target) >= 0)


def test_monotone_plan_is_optimal_against_a_linear_program():
    n = 8
    x = np.sort(RNG.uniform(-2, 2, n))
    p, q = random_hist(n), random_hist(n)
    cost = np.abs(x[:, None] - x[None, :]).ravel()
    rows = np.kron(np.eye(n), np.ones(n))  # sum_j gamma_ij = p_i
    cols = np.kron(np.ones(n), np.eye(n))  # sum_i gamma_ij = q_j
    lp = linprog(cost, A_eq=np.vstack([rows, cols]), b_eq=np.concatenate([p, q]), bounds=(0, None), method="highs")
    assert lp.status == 0
    assert transport.monotone_plan(p, q, x).cost == pytest.approx(lp.fun, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("mu1, mu2, sigma", [(0.0, 1.0, 1.0), (-2.5, 3.0, 0.5), (1.0, -4.0, 2.0)])
def test_w1_of_gaussians_with_equal_scale_is_the_distance_of_their_means(mu1, mu2, sigma):
    grid = toy1d.Grid(-25.0, 25.0, 20001)
    p = toy1d.discretise(toy1d.Toy1D("gaussian", mu1, sigma), grid).mass
    q = toy1d.discretise(toy1d.Toy1D("gaussian", mu2, sigma), grid).mass
    assert transport.monotone_plan(p, q, grid.x).cost == pytest.approx(abs(mu1 - mu2), rel=1e-6)
    assert transport.cdf_gap(p, q, grid.x)[2] == pytest.approx(abs(mu1 - mu2), rel=1e-6)


def test_monotone_plan_refuses_unsorted_points():
    with pytest.raises(ValueError, match="sorted"):
        transport.monotone_plan([0.5, 0.5], [0.5, 0.5], [1.0, 0.0])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 25, 40])
def test_hungarian_matches_scipy_linear_sum_assignment(n):
    cost = RNG.random((n, n))
    rows, cols = linear_sum_assignment(cost)
    mine = transport.hungarian(cost)
    assert np.array_equal(mine[rows], cols)  # continuous random costs: the optimum is unique
    assert cost[np.arange(n), mine].sum() == pytest.approx(cost[rows, cols].sum(), rel=1e-12)


def test_hungarian_with_ties_still_reaches_the_optimal_cost():
    cost = RNG.integers(0, 4, size=(12, 12)).astype(float)
    rows, cols = linear_sum_assignment(cost)
    mine = transport.hungarian(cost)
    assert sorted(mine) == list(range(12))
    assert cost[np.arange(12), mine].sum() == cost[rows, cols].sum()


@pytest.mark.parametrize("seed", [0, 3, 11])
def test_two_d_assignment_matches_scipy_on_point_clouds(seed):
    a, b = transport.point_clouds(15, shift=2.0, seed=seed)
    result = transport.exact_assignment(a, b)
    cost = transport.distance_matrix(a, b)
    rows, cols = linear_sum_assignment(cost)
    assert np.array_equal(result.col[rows], cols)
    assert result.w1 == pytest.approx(cost[rows, cols].mean(), rel=1e-12)


def test_hungarian_refuses_bad_input():
    with pytest.raises(ValueError, match="square"):
        transport.hungarian(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        transport.hungarian(np.array([[0.0, np.nan], [1.0, 0.0]]))


HIST = toy1d.Grid(-8.0, 8.0, 33)
P_HIST = toy1d.discretise(toy1d.Toy1D("mixture", -3.0, 0.6, 0.3, 0.0, 0.5), HIST).mass
Q_HIST = toy1d.discretise(toy1d.Toy1D("gaussian", 2.0, 1.0), HIST).mass
W1 = dv.wasserstein1(P_HIST, Q_HIST, HIST.x)


def test_gradient_penalty_critic_has_near_unit_slope_and_estimates_w1():
    snap = transport.CriticTrainer(HIST.x, P_HIST, Q_HIST, "gp", gp_lambda=100.0, steps=300).run()
    predicted = transport.gp_equilibrium_slope(W1, 100.0)
    assert snap.typical_slope == pytest.approx(predicted, rel=0.1)
    assert snap.estimate == pytest.approx(W1, rel=0.1)
    assert snap.normalised <= W1 * (1 + 1e-3)  # f/K is 1-Lipschitz (K measured on a dense scan)


def test_clipped_critic_underuses_its_capacity():
    trainer = transport.CriticTrainer(HIST.x, P_HIST, Q_HIST, "clip", clip=0.01, steps=200)
    snap = trainer.run()
    assert snap.lipschitz < 0.01 and snap.estimate < 0.01 * W1  # the scale K is tiny and unknown
    assert snap.normalised <= W1 * (1 + 1e-3)
    assert snap.normalised < 0.9 * W1  # even rescaled, it stays short of W1
    assert snap.weight_fraction_at_clip > 0.5
    weights = np.concatenate([p.detach().numpy().ravel() for p in trainer.net.parameters()])
    assert np.all(np.abs(weights) <= 0.01 + 1e-15)


def test_critic_training_is_deterministic_and_chunked():
    a = transport.CriticTrainer(HIST.x, P_HIST, Q_HIST, "gp", steps=30)
    while not a.advance(max_steps=7):
        pass
    b = transport.CriticTrainer(HIST.x, P_HIST, Q_HIST, "gp", steps=30)
    b.run()
    assert a.step_count == 30 and a.estimate() == b.estimate()


def test_gp_equilibrium_slope():
    assert transport.gp_equilibrium_slope(4.0, 10.0) == pytest.approx(1.2)
    with pytest.raises(ValueError):
        transport.CriticTrainer(HIST.x, P_HIST, Q_HIST, "spectral")
