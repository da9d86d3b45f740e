"""gan_core.lessons.gradients1d: the two generator losses, their gradients, the saturating discriminator."""
import math

import numpy as np
import pytest
from scipy.special import expit

from gan_core.lessons import gradients1d as g1

LOGITS = np.array([-12.0, -5.0, -1.0, 0.0, 0.7, 3.0, 9.0])


def _central(f, a, h=1e-5):
    return (f(a + h) - f(a - h)) / (2 * h)


def test_saturating_loss_gradient_wrt_logit_is_minus_d():
    # L(a) = log(1 - sigmoid(a)) = -softplus(a), differentiated numerically
    numeric = _central(lambda a: -np.logaddexp(0.0, a), LOGITS)
    assert g1.loss_gradient_wrt_logit(expit(LOGITS), "saturating") == pytest.approx(numeric, rel=1e-6, abs=1e-10)
    assert g1.loss_gradient_wrt_logit(expit(LOGITS), "saturating") == pytest.approx(-expit(LOGITS), rel=1e-12)


def test_non_saturating_loss_gradient_wrt_logit_is_minus_one_minus_d():
    # L(a) = -log sigmoid(a) = softplus(-a)
    numeric = _central(lambda a: np.logaddexp(0.0, -a), LOGITS)
    assert g1.loss_gradient_wrt_logit(expit(LOGITS), "non_saturating") == pytest.approx(numeric, rel=1e-6, abs=1e-10)


@pytest.mark.parametrize("loss", g1.LOSSES)
def test_gradient_wrt_d_matches_finite_differences(loss):
    d = np.array([0.01, 0.2, 0.5, 0.8, 0.99])
    numeric = _central(lambda x: g1.generator_loss(x, loss), d, h=1e-7)
    assert g1.loss_gradient_wrt_d(d, loss) == pytest.approx(numeric, rel=1e-5)


def test_losses_refuse_d_outside_the_open_interval():
    for bad in (0.0, 1.0, -0.1, float("nan")):
        with pytest.raises(ValueError):
            g1.generator_loss(bad, "saturating")
    with pytest.raises(ValueError):
        g1.generator_loss(0.5, "hinge")


def test_a_rejected_fake_gets_no_gradient_from_the_saturating_loss_only():
    d = 1e-4
    assert abs(g1.loss_gradient_wrt_logit(d, "saturating")) < 1e-3
    assert g1.loss_gradient_wrt_logit(d, "non_saturating") == pytest.approx(-1.0, abs=1e-3)


@pytest.mark.parametrize("loss", g1.LOSSES)
@pytest.mark.parametrize("pair", [g1.GaussianPair(2.0, 0.3, 0.8, 1.5), g1.GaussianPair(-3.5, 0.0, 1.0, 0.6)])
def test_generator_gradient_matches_shifting_the_generator_with_d_held_fixed(loss, pair):
    """Independent route: move the samples x = theta + sigma z and difference E_z[L(D_fixed(x))]."""
    z = np.linspace(-12, 12, 100001)
    weights = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)

    def expected_loss(theta):
        x = theta + pair.gen_scale * z
        a = g1.optimal_logit(pair, x)  # D* of the *original* pair: held fixed
        values = -np.logaddexp(0.0, a) if loss == "saturating" else np.logaddexp(0.0, -a)
        return np.trapezoid(weights * values, z)

    h = 1e-4
    numeric = (expected_loss(pair.theta + h) - expected_loss(pair.theta - h)) / (2 * h)
    assert g1.generator_gradient(pair, loss) == pytest.approx(numeric, rel=1e-5)


@pytest.mark.parametrize("theta", [0.5, 2.0, 5.0])
def test_equal_spreads_gradients_are_theta_times_fake_score(theta):
    # p = N(0,1), q = N(theta,1): da*/dx = -theta, so dL_sat = theta E_q[D*], dL_ns = theta (1 - E_q[D*])
    pair = g1.GaussianPair(theta)
    score = g1.expected_fake_score(pair)
    assert g1.generator_gradient(pair, "saturating") == pytest.approx(theta * score, rel=1e-8)
    assert g1.generator_gradient(pair, "non_saturating") == pytest.approx(theta * (1 - score), rel=1e-8)


def test_saturating_gradient_vanishes_while_non_saturating_grows():
    sat, ns = g1.gradient_sweep([2.0, 4.0, 6.0, 8.0])
    assert np.all(np.diff(np.abs(sat)) < 0) and abs(sat[-1]) < 1e-3
    assert np.all(np.diff(ns) > 0) and ns[-1] > 7.9


def test_no_gradient_at_equilibrium():
    pair = g1.GaussianPair(0.0)
    assert g1.generator_gradient(pair, "saturating") == pytest.approx(0.0, abs=1e-12)
    assert g1.generator_gradient(pair, "non_saturating") == pytest.approx(0.0, abs=1e-12)
    assert g1.expected_fake_score(pair) == pytest.approx(0.5, abs=1e-9)


def test_contrast_approximation_never_underestimates():
    parts = g1.contrast_approximation(np.linspace(0.001, 0.999, 999))
    assert np.all(parts["error_real"] >= 0) and np.all(parts["error_fake"] >= 0)
    sweep = g1.contrast_sweep(np.linspace(-6, 6, 25), 0.0, 1.0, 1.3)
    assert np.all(sweep.error >= -1e-12)


def test_contrast_error_is_log4_minus_1_for_a_useless_discriminator_and_vanishes_for_a_confident_one():
    exact, approx = g1.contrast_value(g1.GaussianPair(0.0))
    assert exact == pytest.approx(-math.log(4), abs=1e-9)
    assert approx - exact == pytest.approx(math.log(4) - 1, abs=1e-9)
    exact, approx = g1.contrast_value(g1.GaussianPair(8.0))
    assert approx - exact < 1e-3


@pytest.mark.parametrize("theta, data_scale, gen_scale", [(3.0, 1.0, 1.0), (0.5, 1.0, 1.0), (6.0, 1.0, 1.0),
                                                          (-2.0, 0.5, 1.5), (1.0, 2.0, 0.4)])
def test_gradients_are_the_slopes_of_2jsd_and_of_reverse_kl_minus_2jsd(theta, data_scale, gen_scale):
    """Goodfellow et al. 2014 (saturating: 2 JSD) and Arjovsky & Bottou 2017, Theorem 2.5 (non-saturating:
    KL(Q||P) - 2 JSD), with D* held fixed: the gradients through D* equal finite differences of the divergences."""
    pair = g1.GaussianPair(theta, 0.0, data_scale, gen_scale)
    slope_js2, slope_ns = g1.divergence_slopes(pair)
    assert g1.generator_gradient(pair, "saturating") == pytest.approx(slope_js2, rel=1e-5, abs=1e-9)
    assert g1.generator_gradient(pair, "non_saturating") == pytest.approx(slope_ns, rel=1e-5, abs=1e-9)
