"""When is an f-divergence between two toy densities infinite?  Decided from the densities, not the grid.

A grid sum over [-10, 10] is always finite where both densities are positive, even when the
integral over the whole line diverges: Pearson chi^2 between P = N(-1, 1) and Q = N(1, 0.7^2)
sums to ~1.8e17 on that grid although it is infinite.  The toy families
(:class:`gan_core.lessons.toy1d.Toy1D`: Gaussian, two-Gaussian mixture, uniform) are simple
enough to decide exactly:

* **Supports.**  KL(P||Q) and chi^2(P||Q) weigh a point with q = 0 < p by lim f(u)/u = inf, so
  they are infinite as soon as P's support is not inside Q's (a Gaussian or mixture has the
  whole line as support, a uniform its interval).  Reverse KL, whose f(0) = inf, is infinite
  when Q's support is not inside P's.
* **Tails.**  Where both supports are the whole line, far out each density behaves like its
  widest component: log p(x) = -x^2 / (2 s_P^2) + O(x).  KL's integrand p log(p/q) is then a
  Gaussian tail times a quadratic, always integrable, so KL is finite.  chi^2's integrand p^2/q
  behaves like exp(x^2 (1/(2 s_Q^2) - 1/s_P^2) + O(x)): integrable exactly when
  2 s_Q^2 > s_P^2.  At equality the exponent is linear (or constant) in x and the integral
  still diverges, so chi^2(P||Q) = inf  <=>  s_Q^2 <= s_P^2 / 2.  For two Gaussians this is the
  condition under which the closed form s_Q^2 / (s_P sqrt(2 s_Q^2 - s_P^2)) exp(...) - 1 exists.
* Squared Hellinger, Jensen-Shannon, the GAN value and total variation are bounded, never
  infinite.
"""
from __future__ import annotations

import math

#: f-divergences that can be infinite, and the direction of the support condition
_SUPPORT_RULES = {"kl": "pq", "pearson": "pq", "reverse_kl": "qp"}


def support(toy) -> tuple[float, float]:
    """The closed interval where ``toy``'s density is positive (the whole line for Gaussians and mixtures)."""
    if toy.family == "uniform":
        return toy.loc - toy.scale, toy.loc + toy.scale
    return -math.inf, math.inf


def tail_scale(toy) -> float | None:
    """The standard deviation of the component that dominates both tails (``None`` for a bounded support).

    A mixture's tails are its widest component's, whatever its weight, as long as the weight is
    positive (weight 0 or 1 leaves a single Gaussian).
    """
    if toy.family == "uniform":
        return None
    if toy.family == "gaussian":
        return toy.scale
    scales = []
    if toy.weight < 1.0:
        scales.append(toy.scale)
    if toy.weight > 0.0:
        scales.append(toy.scale2)
    return max(scales)


def _inside(inner: tuple[float, float], outer: tuple[float, float]) -> bool:
    """Whether ``inner`` lies inside ``outer`` up to a set of length zero (the same tolerance as the densities)."""
    tol = 1e-12 * max([1.0] + [abs(v) for v in (*inner, *outer) if math.isfinite(v)])
    return inner[0] >= outer[0] - tol and inner[1] <= outer[1] + tol


def infinite_reason(p_toy, q_toy, name: str) -> str | None:
    """Why D_name(P||Q) is infinite for these two toy densities, or ``None`` when it is finite."""
    rule = _SUPPORT_RULES.get(name)
    if rule is None:
        return None
    if rule == "pq" and not _inside(support(p_toy), support(q_toy)):
        return "Q is 0 where P has mass"
    if rule == "qp" and not _inside(support(q_toy), support(p_toy)):
        return "P is 0 where Q has mass"
    if name == "pearson":
        s_p, s_q = tail_scale(p_toy), tail_scale(q_toy)
        if s_p is not None and s_q is not None and s_q**2 <= s_p**2 / 2:
            return (f"Q far thinner than P in the tails: σ_Q² = {s_q**2:.4g} ≤ σ_P²/2 = {s_p**2 / 2:.4g}, "
                    "so p²/q grows without bound")
    return None
