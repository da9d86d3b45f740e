"""Information measures between discrete probability vectors.

Every function takes probability vectors ``p`` and ``q`` over the same sorted points and
returns a plain ``float``.  Conventions, the same everywhere:

* ``0 log 0 = 0`` and ``0 log(0 / q) = 0``: points where ``p`` has no mass contribute nothing.
* ``p log(p / 0) = +inf`` for ``p > 0``: KL and cross-entropy are ``inf`` as soon as ``q``
  misses mass that ``p`` has.
* ``base`` is 2 (bits) or ``e`` (nats).  Total variation and W1 have no logarithm and so no
  base.

Invalid input raises :class:`ValueError` with a message that names the problem.  Continuous
densities are handled by :mod:`gan_core.lessons.toy1d`, which discretises them onto a grid and
calls the log-space helpers below so that far tails never underflow into a fake ``inf``.
"""
from __future__ import annotations

import math

import numpy as np

#: how far from 1 a probability vector may sum before it is refused (it is renormalised
#: silently inside this tolerance, so rounding in callers does not matter).
SUM_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- validation
def _log_base(base) -> float:
    """ln(base) for base 2 or e; ValueError for anything else."""
    if isinstance(base, str) and base.lower() in {"e", "nats"}:
        return 1.0
    if isinstance(base, str) and base.lower() in {"2", "bits"}:
        return math.log(2.0)
    try:
        value = float(base)
    except (TypeError, ValueError):
        raise ValueError(f"base must be 2 or e, got {base!r}") from None
    if value == 2.0:
        return math.log(2.0)
    if math.isclose(value, math.e, rel_tol=1e-12):
        return 1.0
    raise ValueError(f"base must be 2 (bits) or e (nats), got {base!r}")


def as_probability(p, name: str = "p") -> np.ndarray:
    """Validate ``p`` as a probability vector and return it as a float array summing to 1.

    Raises ``ValueError`` if ``p`` is not 1-D, is empty, holds NaN or infinity, has a
    negative entry, or sums to more than ``SUM_TOLERANCE`` away from 1.
    """
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D probability vector, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite entries")
    if np.any(arr < 0):
        raise ValueError(f"{name} has negative entries (smallest {arr.min():.3g}); probabilities are >= 0")
    total = arr.sum()
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"{name} sums to {total:.6g}, not 1: normalise it first")
    return arr / total


def _pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p_arr = as_probability(p, "p")
    q_arr = as_probability(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(f"p and q must have the same shape, got {p_arr.shape} and {q_arr.shape}")
    return p_arr, q_arr


def _safe_log(arr: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(arr)


# ------------------------------------------------------------------ log-space kernels
# These take natural-log masses (``-inf`` for zero mass) and return nats.  They are what
# the public functions and the 1-D toys share; the toys pass analytic log-densities so a
# Gaussian tail of 1e-3000 is still a positive number here.
def kl_terms_from_log(log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """Pointwise ``p (log p - log q)`` in nats with 0 log 0 = 0 and p log(p/0) = inf."""
    p = np.exp(log_p)
    with np.errstate(invalid="ignore"):
        terms = p * (log_p - log_q)
    terms = np.where(p > 0, terms, 0.0)
    terms = np.where((p > 0) & np.isneginf(log_q), np.inf, terms)
    return terms


def cross_entropy_terms_from_log(log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """Pointwise ``-p log q`` in nats, 0 where p = 0 and inf where q = 0 < p."""
    p = np.exp(log_p)
    with np.errstate(invalid="ignore"):
        terms = -p * log_q
    terms = np.where(p > 0, terms, 0.0)
    return terms


def js_terms_from_log(log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """Pointwise ``1/2 [p log(p/m) + q log(q/m)]`` with m = (p + q) / 2, in nats."""
    log_m = np.logaddexp(log_p, log_q) - math.log(2.0)
    return 0.5 * (kl_terms_from_log(log_p, log_m) + kl_terms_from_log(log_q, log_m))


# ---------------------------------------------------------------------- public API
def entropy(p, base=2) -> float:
    r"""Shannon entropy :math:`H(p) = -\sum_i p_i \log p_i`.

    Returns bits for ``base=2`` and nats for ``base=e``; 0 log 0 = 0, so zero entries are
    ignored.  The result lies in ``[0, log(len(p))]``.
    """
    arr = as_probability(p, "p")
    log_p = _safe_log(arr)
    value = float(np.sum(cross_entropy_terms_from_log(log_p, log_p)))
    return max(value, 0.0) / _log_base(base)


def cross_entropy(p, q, base=2) -> float:
    r"""Cross-entropy :math:`H(p, q) = -\sum_i p_i \log q_i`.

    The average code length for data from ``p`` with a code built for ``q``.  Returns
    ``inf`` if some ``q_i = 0`` where ``p_i > 0``.  Always ``>= entropy(p)``.
    """
    p_arr, q_arr = _pair(p, q)
    terms = cross_entropy_terms_from_log(_safe_log(p_arr), _safe_log(q_arr))
    return float(np.sum(terms)) / _log_base(base)


def kl_divergence(p, q, base=2) -> float:
    r"""Kullback-Leibler divergence :math:`D_{KL}(p \| q) = \sum_i p_i \log(p_i / q_i)`.

    Equals ``cross_entropy(p, q) - entropy(p)``; ``>= 0`` and ``0`` only when ``p == q``.
    Not symmetric.  Returns ``inf`` if some ``q_i = 0`` where ``p_i > 0``; unbounded above.
    """
    p_arr, q_arr = _pair(p, q)
    terms = kl_terms_from_log(_safe_log(p_arr), _safe_log(q_arr))
    return max(float(np.sum(terms)), 0.0) / _log_base(base)


def js_divergence(p, q, base=2) -> float:
    r"""Jensen-Shannon divergence :math:`\tfrac12 D_{KL}(p\|m) + \tfrac12 D_{KL}(q\|m)`, m = (p+q)/2.

    Symmetric, always finite, in ``[0, 1]`` bits (``[0, ln 2]`` nats); it reaches the
    maximum exactly when ``p`` and ``q`` have disjoint supports.  This is the divergence
    the original GAN minimises (its square root is scipy's ``jensenshannon`` distance).
    """
    p_arr, q_arr = _pair(p, q)
    terms = js_terms_from_log(_safe_log(p_arr), _safe_log(q_arr))
    value = min(max(float(np.sum(terms)), 0.0), math.log(2.0))
    return value / _log_base(base)


def total_variation(p, q) -> float:
    r"""Total variation distance :math:`\delta(p, q) = \tfrac12 \sum_i |p_i - q_i| = \sup_A |p(A) - q(A)|`.

    A probability in ``[0, 1]`` (no logarithm, so no base); 1 for disjoint supports.
    """
    p_arr, q_arr = _pair(p, q)
    return float(min(0.5 * np.abs(p_arr - q_arr).sum(), 1.0))


def wasserstein1(p, q, x) -> float:
    r"""Earth mover's distance :math:`W_1(p, q) = \int |F_p(t) - F_q(t)|\,dt` for masses on points ``x``.

    ``x`` is 1-D and sorted ascending; the result is in the units of ``x``.  In one
    dimension the optimal transport cost equals the area between the two CDFs, so this is
    exact for point masses at ``x`` (it matches ``scipy.stats.wasserstein_distance``).
    """
    p_arr, q_arr = _pair(p, q)
    x_arr = np.asarray(x, dtype=float)
    if x_arr.shape != p_arr.shape:
        raise ValueError(f"x must have the same shape as p and q, got {x_arr.shape} and {p_arr.shape}")
    if not np.all(np.isfinite(x_arr)):
        raise ValueError("x contains NaN or infinite entries")
    gaps = np.diff(x_arr)
    if np.any(gaps < 0):
        raise ValueError("x must be sorted in ascending order")
    cdf_gap = np.cumsum(p_arr - q_arr)[:-1]
    return float(np.sum(np.abs(cdf_gap) * gaps))


# ------------------------------------------------------------------- f-divergences
# The f-GAN family (Nowozin, Cseke & Tomioka, "f-GAN", NeurIPS 2016, Tables 1 and 2):
# D_f(P||Q) = sum_x q(x) f(p(x)/q(x)) for a convex f.  Each entry holds f, its convex
# conjugate f*(t) = sup_u {u t - f(u)}, the output activation g_f that maps a network's
# raw output v into the domain of f*, and f' (the optimal critic is T*(x) = f'(p(x)/q(x))).
# As in the paper, Pearson's f = (u - 1)^2 is taken on all of R, so its f*(t) = t^2/4 + t is
# the supremum over every real u; for t < -2 that exceeds the supremum over u >= 0, which
# keeps the variational bound valid (a larger f* only lowers it) and never matters at the
# optimum, T* = 2(p/q - 1) >= -2.
# Pointwise terms are computed from natural-log masses so far tails never underflow into a
# fake infinity, the same way as the KL and JS kernels above.
from dataclasses import dataclass  # noqa: E402  (appended section; the module head is unchanged)
from typing import Callable  # noqa: E402

def _log_abs_expm1(r: np.ndarray) -> np.ndarray:
    """log|e^r - 1| without overflow for large r (``-inf`` at r = 0)."""
    r = np.asarray(r, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        positive = r + np.log(-np.expm1(-np.abs(r)))  # valid for r > 0
        negative = np.log(-np.expm1(-np.abs(r)))  # log(1 - e^{-|r|}) = log|e^r - 1| for r < 0
    return np.where(r > 0, positive, negative)


def _squared_gap_terms(log_p: np.ndarray, log_q: np.ndarray, power: float) -> np.ndarray:
    """``q (u^power - 1)^2`` with u = p / q, from log masses (Pearson: power 1, Hellinger: 1/2)."""
    p, q = np.exp(log_p), np.exp(log_q)
    both = (p > 0) & (q > 0)
    with np.errstate(invalid="ignore", over="ignore"):
        r = np.where(both, log_p - log_q, 0.0)
        terms = np.exp(log_q + 2.0 * _log_abs_expm1(power * r))
    terms = np.where(both, terms, 0.0)
    if power == 1.0:  # Pearson: q f(0) = q where p = 0; infinite where q = 0 < p
        terms = np.where((p == 0) & (q > 0), q, terms)
        terms = np.where((p > 0) & (q == 0), np.inf, terms)
    else:  # Hellinger: (sqrt p - sqrt q)^2 is p or q where the other is 0
        terms = np.where((p == 0) & (q > 0), q, terms)
        terms = np.where((p > 0) & (q == 0), p, terms)
    return terms


def _gan_terms(log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """``p log(p/(p+q)) + q log(q/(p+q))`` in nats (the GAN generator's f; <= 0 pointwise)."""
    log_sum = np.logaddexp(log_p, log_q)
    return kl_terms_from_log(log_p, log_sum) + kl_terms_from_log(log_q, log_sum)


def _tv_terms(log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    return 0.5 * np.abs(np.exp(log_p) - np.exp(log_q))


def _xlogx(u):
    u = np.asarray(u, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(u > 0, u * np.log(np.where(u > 0, u, 1.0)), 0.0)


def _safe_log_pos(u):
    u = np.asarray(u, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.where(u > 0, u, np.nan))


def _outside(t, low, high, value):
    """``value`` where ``low < t < high`` (open), ``inf`` elsewhere: f* is +inf off its domain."""
    t = np.asarray(t, dtype=float)
    inside = (t > low) & (t < high)
    return np.where(inside, value, np.inf)


def _conj_kl(t):
    t = np.asarray(t, dtype=float)
    with np.errstate(over="ignore"):
        return np.exp(t - 1.0)


def _conj_reverse_kl(t):
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _outside(t, -np.inf, 0.0, -1.0 - np.log(np.where(t < 0, -t, 1.0)))


def _conj_pearson(t):
    t = np.asarray(t, dtype=float)
    return 0.25 * t**2 + t


def _conj_hellinger(t):
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _outside(t, -np.inf, 1.0, t / np.where(t < 1, 1.0 - t, 1.0))


def _conj_js(t):
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _outside(t, -np.inf, math.log(2.0), -np.log(np.where(t < math.log(2.0), 2.0 - np.exp(t), 1.0)))


def _conj_gan(t):
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _outside(t, -np.inf, 0.0, -np.log(np.where(t < 0, -np.expm1(t), 1.0)))


def _conj_tv(t):
    t = np.asarray(t, dtype=float)
    inside = np.abs(t) <= 0.5
    return np.where(inside, t, np.inf)


@dataclass(frozen=True)
class FDivergence:
    """One row of the f-GAN table.  All logarithms are natural (nats).

    ``conjugate_domain`` is the interval on which f* is finite (``inf`` outside);
    ``activation`` maps any real v into that domain; ``limit_slope`` is lim_{u->inf} f(u)/u,
    the weight a point with q = 0 < p gets (``inf`` makes the divergence infinite there).
    ``unit`` is "nats" for the divergences whose f has a (natural) logarithm and "" for those
    without one (Pearson chi^2, squared Hellinger, total variation: plain numbers).
    """

    key: str
    label: str
    f: Callable
    f_prime: Callable
    conjugate: Callable
    activation: Callable
    conjugate_domain: tuple
    limit_slope: float
    f_latex: str
    conjugate_latex: str
    activation_latex: str
    domain_latex: str
    divergence_latex: str
    terms_from_log: Callable
    unit: str = "nats"


F_DIVERGENCES: dict[str, FDivergence] = {
    "kl": FDivergence(
        "kl", "Kullback–Leibler KL(P‖Q)",
        f=_xlogx, f_prime=lambda u: _safe_log_pos(u) + 1.0, conjugate=_conj_kl,
        activation=lambda v: np.asarray(v, dtype=float), conjugate_domain=(-math.inf, math.inf),
        limit_slope=math.inf,
        f_latex=r"u\log u", conjugate_latex=r"e^{t-1}", activation_latex=r"v",
        domain_latex=r"t\in\mathbb{R}", divergence_latex=r"\int p\log\frac{p}{q}",
        terms_from_log=lambda lp, lq: kl_terms_from_log(lp, lq),
    ),
    "reverse_kl": FDivergence(
        "reverse_kl", "Reverse KL KL(Q‖P)",
        f=lambda u: np.where(np.asarray(u, dtype=float) > 0, -_safe_log_pos(u), np.inf),
        f_prime=lambda u: -1.0 / np.asarray(u, dtype=float), conjugate=_conj_reverse_kl,
        activation=lambda v: -np.exp(-np.asarray(v, dtype=float)), conjugate_domain=(-math.inf, 0.0),
        limit_slope=0.0,
        f_latex=r"-\log u", conjugate_latex=r"-1-\log(-t)", activation_latex=r"-e^{-v}",
        domain_latex=r"t<0", divergence_latex=r"\int q\log\frac{q}{p}",
        terms_from_log=lambda lp, lq: kl_terms_from_log(lq, lp),
    ),
    "pearson": FDivergence(
        "pearson", "Pearson χ²",
        f=lambda u: (np.asarray(u, dtype=float) - 1.0) ** 2, f_prime=lambda u: 2.0 * (np.asarray(u, dtype=float) - 1.0),
        conjugate=_conj_pearson, activation=lambda v: np.asarray(v, dtype=float),
        conjugate_domain=(-math.inf, math.inf), limit_slope=math.inf,
        f_latex=r"(u-1)^2", conjugate_latex=r"\tfrac14 t^2+t", activation_latex=r"v",
        domain_latex=r"t\in\mathbb{R}", divergence_latex=r"\int \frac{(p-q)^2}{q}",
        terms_from_log=lambda lp, lq: _squared_gap_terms(lp, lq, 1.0), unit="",
    ),
    "hellinger": FDivergence(
        "hellinger", "Squared Hellinger",
        f=lambda u: (np.sqrt(np.asarray(u, dtype=float)) - 1.0) ** 2,
        f_prime=lambda u: 1.0 - 1.0 / np.sqrt(np.asarray(u, dtype=float)),
        conjugate=_conj_hellinger, activation=lambda v: -np.expm1(-np.asarray(v, dtype=float)),
        conjugate_domain=(-math.inf, 1.0), limit_slope=1.0,
        f_latex=r"(\sqrt u-1)^2", conjugate_latex=r"\frac{t}{1-t}", activation_latex=r"1-e^{-v}",
        domain_latex=r"t<1", divergence_latex=r"\int\left(\sqrt p-\sqrt q\right)^2",
        terms_from_log=lambda lp, lq: _squared_gap_terms(lp, lq, 0.5), unit="",
    ),
    "js": FDivergence(
        "js", "Jensen–Shannon (f-GAN's scaling: 2·JSD)",
        f=lambda u: _xlogx(u) - (np.asarray(u, dtype=float) + 1.0) * np.log((np.asarray(u, dtype=float) + 1.0) / 2.0),
        f_prime=lambda u: _safe_log_pos(2.0 * np.asarray(u, dtype=float) / (np.asarray(u, dtype=float) + 1.0)),
        conjugate=_conj_js, activation=lambda v: math.log(2.0) - np.logaddexp(0.0, -np.asarray(v, dtype=float)),
        conjugate_domain=(-math.inf, math.log(2.0)), limit_slope=math.log(2.0),
        f_latex=r"u\log u-(u+1)\log\frac{u+1}{2}", conjugate_latex=r"-\log\left(2-e^{t}\right)",
        activation_latex=r"\log 2-\log\left(1+e^{-v}\right)", domain_latex=r"t<\log 2",
        divergence_latex=r"\int p\log\frac{2p}{p+q}+q\log\frac{2q}{p+q} = 2\,JSD",
        terms_from_log=lambda lp, lq: 2.0 * js_terms_from_log(lp, lq),
    ),
    "gan": FDivergence(
        "gan", "GAN (original minimax game)",
        f=lambda u: _xlogx(u) - _xlogx(np.asarray(u, dtype=float) + 1.0),
        f_prime=lambda u: _safe_log_pos(np.asarray(u, dtype=float) / (np.asarray(u, dtype=float) + 1.0)),
        conjugate=_conj_gan, activation=lambda v: -np.logaddexp(0.0, -np.asarray(v, dtype=float)),
        conjugate_domain=(-math.inf, 0.0), limit_slope=0.0,
        f_latex=r"u\log u-(u+1)\log(u+1)", conjugate_latex=r"-\log\left(1-e^{t}\right)",
        activation_latex=r"-\log\left(1+e^{-v}\right)", domain_latex=r"t<0",
        divergence_latex=r"\int p\log\frac{p}{p+q}+q\log\frac{q}{p+q} = 2\,JSD-\log 4",
        terms_from_log=lambda lp, lq: _gan_terms(lp, lq),
    ),
    "tv": FDivergence(
        "tv", "Total variation",
        f=lambda u: 0.5 * np.abs(np.asarray(u, dtype=float) - 1.0),
        f_prime=lambda u: 0.5 * np.sign(np.asarray(u, dtype=float) - 1.0),
        conjugate=_conj_tv, activation=lambda v: 0.5 * np.tanh(np.asarray(v, dtype=float)),
        conjugate_domain=(-0.5, 0.5), limit_slope=0.5,
        f_latex=r"\tfrac12\lvert u-1\rvert", conjugate_latex=r"t", activation_latex=r"\tfrac12\tanh v",
        domain_latex=r"\lvert t\rvert\le\tfrac12", divergence_latex=r"\tfrac12\int\lvert p-q\rvert",
        terms_from_log=lambda lp, lq: _tv_terms(lp, lq), unit="",
    ),
}


def f_divergence_from_log(log_p: np.ndarray, log_q: np.ndarray, name: str) -> float:
    """:math:`D_f(P\\|Q)=\\sum_x q\\,f(p/q)` from natural-log masses (``-inf`` = zero mass): nats where f has a logarithm."""
    if name not in F_DIVERGENCES:
        raise ValueError(f"unknown f-divergence {name!r}; choose one of {tuple(F_DIVERGENCES)}")
    terms = F_DIVERGENCES[name].terms_from_log(np.asarray(log_p, float), np.asarray(log_q, float))
    return float(np.sum(terms))


def f_divergence(p, q, name: str) -> float:
    r"""f-divergence :math:`D_f(P\|Q) = \sum_i q_i\, f(p_i / q_i)` for ``name`` in :data:`F_DIVERGENCES`.

    In nats for the divergences whose f has a logarithm (KL, reverse KL, JS, GAN); Pearson chi^2,
    squared Hellinger and total variation have none and are plain numbers (``FDivergence.unit``).

    Conventions at the edges (limits of the formula): where ``q_i = 0 < p_i`` the term is
    ``p_i * lim_{u->inf} f(u)/u`` (``inf`` for KL and Pearson χ², ``p_i`` for squared Hellinger,
    ``p_i log 2`` for JS, 0 for reverse KL and GAN, ``p_i / 2`` for total variation); where
    ``p_i = 0 < q_i`` it is ``q_i f(0)`` (``inf`` for reverse KL).  Values: KL and reverse KL
    in ``[0, inf]``; Pearson in ``[0, inf]``; squared Hellinger ``sum (sqrt p - sqrt q)^2`` in
    ``[0, 2]``; JS (f-GAN scaling) ``= 2 JSD`` in ``[0, log 4]``; GAN ``= 2 JSD - log 4`` in
    ``[-log 4, 0]`` (its f has f(1) = -log 4, not 0); total variation in ``[0, 1]``.
    """
    p_arr, q_arr = _pair(p, q)
    return f_divergence_from_log(_safe_log(p_arr), _safe_log(q_arr), name)
