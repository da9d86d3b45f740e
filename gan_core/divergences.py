"""Information measures between discrete probability vectors.

Every function takes probability vectors ``p`` and ``q`` over the same sorted points and
returns a plain ``float``.  Conventions, the same everywhere:

* ``0 log 0 = 0`` and ``0 log(0 / q) = 0``: points where ``p`` has no mass contribute nothing.
* ``p log(p / 0) = +inf`` for ``p > 0``: KL and cross-entropy are ``inf`` as soon as ``q``
  misses mass that ``p`` has.
* ``base`` is 2 (bits) or ``e`` (nats).  Total variation and W1 have no logarithm and so no
  base.

Invalid input raises :class:`ValueError` with a message that names the problem.  Continuous
densities are handled by :mod:`gan_core.toy1d`, which discretises them onto a grid and
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
