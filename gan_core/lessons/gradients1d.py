"""The maths of the "Vanishing gradients" lesson: the two generator losses and what they pass back.

The discriminator ends in a sigmoid, ``D = sigma(a)`` with logit ``a``.  The generator can
minimise either

* the **saturating** loss of the minimax game, ``L_sat = log(1 - D(G(z)))``, or
* the **non-saturating** loss Goodfellow et al. (2014, section 3) recommend in practice,
  ``L_ns = -log D(G(z))``.

Both push ``D(G(z))`` up, but through the sigmoid their gradients with respect to the logit
are ``dL_sat/da = -D`` and ``dL_ns/da = -(1 - D)``: when the discriminator confidently
rejects a fake (D -> 0) the first vanishes and the second tends to -1.

On a 1-D toy (data N(mu_data, sigma_data^2), generator N(theta, sigma_g^2)) the optimal
discriminator is ``D*(x) = p(x) / (p(x) + q(x))``, i.e. a sigmoid of the logit
``a*(x) = log p(x) - log q(x)``.  Holding that D fixed and shifting the generator by
``theta`` gives the gradient the generator actually receives:

    dL/dtheta = E_{x ~ q}[ dL/da (a*(x)) * da*/dx (x) ]

computed here by summation over a fine grid in log space (so a gradient of 1e-30 is still
a number, not an underflow).  Everything is in nats; ``theta`` in units of x.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

LOSSES = ("saturating", "non_saturating")
LOSS_LABELS = {
    "saturating": "saturating  log(1 − D(G(z)))",
    "non_saturating": "non-saturating  −log D(G(z))",
}

#: the grid every toy integral uses: wide enough for theta up to +-8 with sigma up to 3
#: (tails beyond 4 sigma of both densities carry < 1e-4 of the mass).
GRID_X = np.linspace(-25.0, 25.0, 10001)


# ---------------------------------------------------------------- the two losses
def _check_d(d) -> np.ndarray:
    d = np.asarray(d, dtype=float)
    if np.any((d <= 0) | (d >= 1)) or not np.all(np.isfinite(d)):
        raise ValueError("D must lie strictly between 0 and 1")
    return d


def generator_loss(d, loss: str) -> np.ndarray:
    """``log(1 - D)`` (saturating) or ``-log D`` (non-saturating), nats, for D in (0, 1)."""
    d = _check_d(d)
    if loss == "saturating":
        return np.log1p(-d)
    if loss == "non_saturating":
        return -np.log(d)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def loss_gradient_wrt_logit(d, loss: str) -> np.ndarray:
    """dL/da with D = sigmoid(a): ``-D`` (saturating) or ``-(1 - D)`` (non-saturating).

    Derivation: dD/da = D (1 - D); d log(1 - D)/dD = -1/(1 - D); d(-log D)/dD = -1/D.
    """
    d = _check_d(d)
    if loss == "saturating":
        return -d
    if loss == "non_saturating":
        return -(1.0 - d)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def loss_gradient_wrt_d(d, loss: str) -> np.ndarray:
    """dL/dD: ``-1/(1 - D)`` (saturating) or ``-1/D`` (non-saturating)."""
    d = _check_d(d)
    if loss == "saturating":
        return -1.0 / (1.0 - d)
    if loss == "non_saturating":
        return -1.0 / d
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


# ------------------------------------------------------------------- the 1-D toy
@dataclass(frozen=True)
class GaussianPair:
    """Data N(data_loc, data_scale^2) and generator N(theta, gen_scale^2)."""

    theta: float
    data_loc: float = 0.0
    data_scale: float = 1.0
    gen_scale: float = 1.0

    def __post_init__(self):
        for name in ("theta", "data_loc", "data_scale", "gen_scale"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")
        if self.data_scale <= 0 or self.gen_scale <= 0:
            raise ValueError("standard deviations must be positive")


def _log_normal(x, loc, scale):
    return -0.5 * ((x - loc) / scale) ** 2 - math.log(scale) - 0.5 * math.log(2 * math.pi)


def log_p(pair: GaussianPair, x) -> np.ndarray:
    return _log_normal(np.asarray(x, float), pair.data_loc, pair.data_scale)


def log_q(pair: GaussianPair, x) -> np.ndarray:
    return _log_normal(np.asarray(x, float), pair.theta, pair.gen_scale)


def optimal_logit(pair: GaussianPair, x) -> np.ndarray:
    """Logit of the optimal discriminator, ``a*(x) = log p(x) - log q(x)`` (nats)."""
    return log_p(pair, x) - log_q(pair, x)


def optimal_logit_slope(pair: GaussianPair, x) -> np.ndarray:
    """``da*/dx = -(x - mu_data)/sigma_data^2 + (x - theta)/sigma_g^2`` (per unit x)."""
    x = np.asarray(x, float)
    return -(x - pair.data_loc) / pair.data_scale**2 + (x - pair.theta) / pair.gen_scale**2


def _log_sigmoid(a):
    return -np.logaddexp(0.0, -np.asarray(a, float))


def gradient_density(pair: GaussianPair, loss: str, x=GRID_X) -> np.ndarray:
    """Per-x contribution ``q(x) dL/da(a*(x)) da*/dx`` to dL/dtheta (nats per unit theta per unit x).

    Its integral over x is :func:`generator_gradient`.  ``q(x) * D`` and ``q(x) * (1 - D)``
    are formed in log space: ``log q + log sigmoid(+-a)``.
    """
    x = np.asarray(x, float)
    a = optimal_logit(pair, x)
    lq = log_q(pair, x)
    if loss == "saturating":  # dL/da = -D = -sigmoid(a)
        weight = -np.exp(lq + _log_sigmoid(a))
    elif loss == "non_saturating":  # dL/da = -(1 - D) = -sigmoid(-a)
        weight = -np.exp(lq + _log_sigmoid(-a))
    else:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return weight * optimal_logit_slope(pair, x)


def generator_gradient(pair: GaussianPair, loss: str, x=GRID_X) -> float:
    """dL/dtheta for the generator N(theta, sigma_g^2) against the optimal D held fixed (nats per unit x).

    Positive means gradient descent moves theta down.  At theta = data_loc with equal
    scales it is 0 (D* = 1/2 everywhere).
    """
    x = np.asarray(x, float)
    return float(np.trapezoid(gradient_density(pair, loss, x), x))


def expected_fake_score(pair: GaussianPair, x=GRID_X) -> float:
    """``E_{x~q}[D*(x)]``: how 'real' the optimal D finds the generator's samples, a probability."""
    x = np.asarray(x, float)
    return float(np.trapezoid(np.exp(log_q(pair, x) + _log_sigmoid(optimal_logit(pair, x))), x))


def gradient_sweep(thetas, data_loc=0.0, data_scale=1.0, gen_scale=1.0, x=GRID_X):
    """|dL/dtheta| for both losses at each theta; returns ``(saturating, non_saturating)`` arrays."""
    sat, ns = [], []
    for theta in np.asarray(thetas, float):
        pair = GaussianPair(float(theta), data_loc, data_scale, gen_scale)
        sat.append(generator_gradient(pair, "saturating", x))
        ns.append(generator_gradient(pair, "non_saturating", x))
    return np.array(sat), np.array(ns)


# ------------------------------------------------ which divergence each gradient follows
def _js(pair: GaussianPair, x) -> float:
    """JSD(P, Q) in nats, summed over the grid in log space (masses = density x cell width, normalised)."""
    from gan_core.lessons.divergences import js_terms_from_log

    log_dx = math.log(float(x[1] - x[0]))
    lp, lq = log_p(pair, x) + log_dx, log_q(pair, x) + log_dx
    lp, lq = lp - np.logaddexp.reduce(lp), lq - np.logaddexp.reduce(lq)
    return float(np.sum(js_terms_from_log(lp, lq)))


def reverse_kl(pair: GaussianPair) -> float:
    """KL(Q||P) in nats for the two Gaussians, in closed form."""
    sp, sq = pair.data_scale, pair.gen_scale
    return math.log(sp / sq) + (sq**2 + (pair.theta - pair.data_loc) ** 2) / (2 * sp**2) - 0.5


def divergence_slopes(pair: GaussianPair, h: float = 1e-3, x=GRID_X) -> tuple[float, float]:
    """``(d(2 JSD)/dtheta, d(KL(Q||P) - 2 JSD)/dtheta)`` by central differences (nats per unit theta).

    With the optimal D held fixed at the current theta, the saturating loss's gradient is the
    first (the game's value is -log 4 + 2 JSD, Goodfellow et al. 2014) and the non-saturating
    loss's is the second (Arjovsky & Bottou 2017, arXiv:1701.04862, Theorem 2.5).  Computed from
    the divergences alone, so :func:`generator_gradient` can be checked against it.
    """
    x = np.asarray(x, float)
    up = GaussianPair(pair.theta + h, pair.data_loc, pair.data_scale, pair.gen_scale)
    down = GaussianPair(pair.theta - h, pair.data_loc, pair.data_scale, pair.gen_scale)
    d_js2 = 2 * (_js(up, x) - _js(down, x)) / (2 * h)
    d_kl = (reverse_kl(up) - reverse_kl(down)) / (2 * h)
    return d_js2, d_kl - d_js2


# ------------------------------------------------------------- contrast maximisation
def contrast_approximation(d) -> dict[str, np.ndarray]:
    """First-order Taylor approximations behind 'contrast maximisation' (notes 001, section 1.2).

    ``log D ~ D - 1`` (tangent at D = 1, where a good D puts real data) and
    ``log(1 - D) ~ -D`` (tangent at D = 0, where it puts fakes).  Since ``log y <= y - 1``,
    each approximation is an upper bound, with error ``(D - 1) - log D >= 0`` and
    ``-D - log(1 - D) >= 0``.
    """
    d = _check_d(d)
    log_d, log_1md = np.log(d), np.log1p(-d)
    return {
        "log_d": log_d,
        "approx_log_d": d - 1.0,
        "error_real": (d - 1.0) - log_d,
        "log_1md": log_1md,
        "approx_log_1md": -d,
        "error_fake": -d - log_1md,
    }


@dataclass
class ContrastSweep:
    thetas: np.ndarray
    exact: np.ndarray  # V(G, D*) = E_p log D* + E_q log(1 - D*), nats
    approx: np.ndarray  # E_p D* - E_q D* - 1, nats
    contrast: np.ndarray  # E_p D* - E_q D*, a probability difference

    @property
    def error(self) -> np.ndarray:
        return self.approx - self.exact


def contrast_value(pair: GaussianPair, x=GRID_X) -> tuple[float, float]:
    """``(V(G, D*), E_p D* - E_q D* - 1)`` for one pair, both in nats, by grid integration."""
    x = np.asarray(x, float)
    lp, lq = log_p(pair, x), log_q(pair, x)
    a = lp - lq
    log_d, log_1md = _log_sigmoid(a), _log_sigmoid(-a)
    p, q = np.exp(lp), np.exp(lq)
    exact = np.trapezoid(p * log_d, x) + np.trapezoid(q * log_1md, x)
    contrast = np.trapezoid(p * expit(a), x) - np.trapezoid(q * expit(a), x)
    return float(exact), float(contrast - 1.0)


def contrast_sweep(thetas, data_loc=0.0, data_scale=1.0, gen_scale=1.0, x=GRID_X) -> ContrastSweep:
    exact, approx = [], []
    for theta in np.asarray(thetas, float):
        e, a = contrast_value(GaussianPair(float(theta), data_loc, data_scale, gen_scale), x)
        exact.append(e)
        approx.append(a)
    approx_arr = np.array(approx)
    return ContrastSweep(np.asarray(thetas, float), np.array(exact), approx_arr, approx_arr + 1.0)
