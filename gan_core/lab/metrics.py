"""Sample-quality metrics for 2-D mixtures (numpy and scipy only).

Mode coverage follows the VEEGAN / PacGAN protocol (Srivastava et al. 2017, sec. 5.1;
Lin et al. 2018, sec. 5.1), so our numbers sit next to the literature's:

* draw 2500 generated samples;
* a sample is **high quality** if it lies within ``3 std`` of its nearest mode centre;
* a mode is **captured** if it is the nearest centre of at least one high-quality sample;
* **reverse KL** is ``KL(p_gen || uniform)`` between the histogram of high-quality
  samples over modes and the uniform distribution over the ``K`` modes, in nats.

``wasserstein1`` is the exact earth-mover distance between two equal-size point sets
(an optimal assignment), a sample estimate of W1 between the generated and real
distributions.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from gan_core.histogram import kl_to_uniform

__all__ = ["ModeStats", "mode_stats", "nearest_centre", "reverse_kl_to_uniform", "wasserstein1",
           "PROTOCOL_SAMPLES"]

#: Number of generated samples the VEEGAN / PacGAN protocol evaluates.
PROTOCOL_SAMPLES = 2500


@dataclass
class ModeStats:
    """Mode-coverage summary of a sample set.

    Attributes
    ----------
    modes_captured : int
        Modes that are the nearest centre of >= 1 high-quality sample (0..K).
    n_modes : int
        ``K``, the number of mixture components.
    high_quality : float
        Fraction of samples within ``n_sigma * std`` of their nearest centre, in [0, 1]
        (multiply by 100 for the literature's "% high quality").
    reverse_kl : float
        ``sum_k p_k log(p_k K)`` in nats over the high-quality histogram ``p``; 0 for a
        perfectly even spread, ``log K`` for all samples in one mode, ``inf`` when there is
        no high-quality sample at all (the histogram is empty).
    histogram : list of int
        High-quality samples per mode, length K.
    n_samples : int
        Number of samples evaluated.
    """

    modes_captured: int
    n_modes: int
    high_quality: float
    reverse_kl: float
    histogram: list
    n_samples: int

    def as_dict(self) -> dict:
        return asdict(self)


def _as_points(samples) -> np.ndarray:
    pts = np.asarray(samples, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"samples must have shape (n, 2), got {pts.shape}")
    return pts


def nearest_centre(samples, centres) -> tuple[np.ndarray, np.ndarray]:
    """Index of each sample's nearest centre and the Euclidean distance to it.

    Non-finite samples get index -1 and distance ``inf``.
    """
    pts = _as_points(samples)
    c = np.asarray(centres, dtype=np.float64)
    d2 = ((pts[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    finite = np.isfinite(d2).all(axis=1)
    d2 = np.where(finite[:, None], d2, np.inf)
    idx = np.argmin(d2, axis=1) if len(c) else np.zeros(len(pts), int)
    dist = np.sqrt(d2[np.arange(len(pts)), idx]) if len(pts) else np.zeros(0)
    idx = np.where(finite, idx, -1)
    return idx, dist


#: ``KL(p || U_K)`` of a mode histogram in nats (``inf`` when it is all zeros); one definition
#: for the lab and the image judges, in the shared layer.
reverse_kl_to_uniform = kl_to_uniform


def mode_stats(samples, centres, std: float, n_sigma: float = 3.0) -> ModeStats:
    """Modes captured, high-quality fraction and reverse KL of ``samples`` (see module doc).

    Parameters
    ----------
    samples : array, shape (n, 2)
        Generated points.  NaN or infinite points count as low quality.
    centres : array, shape (K, 2)
        True mode centres.
    std : float
        Component standard deviation; the quality radius is ``n_sigma * std``.
    """
    pts = _as_points(samples)
    c = np.asarray(centres, dtype=np.float64)
    if len(pts) == 0:
        return ModeStats(0, len(c), 0.0, float("inf"), [0] * len(c), 0)
    idx, dist = nearest_centre(pts, c)
    hq = (idx >= 0) & (dist <= n_sigma * std)
    hist = np.bincount(idx[hq], minlength=len(c))
    return ModeStats(
        modes_captured=int((hist > 0).sum()),
        n_modes=len(c),
        high_quality=float(hq.mean()),
        reverse_kl=reverse_kl_to_uniform(hist),
        histogram=hist.tolist(),
        n_samples=len(pts),
    )


def wasserstein1(a, b, n: int = 500, rng: np.random.Generator | int | None = 0) -> float:
    """Sample estimate of the 1-Wasserstein distance between two 2-D point clouds.

    ``W1 = min over one-to-one matchings pi of (1/m) sum_i ||a_i - b_pi(i)||_2``, computed
    exactly with the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on
    ``m = min(n, len(a), len(b))`` points drawn without replacement from each set.  In
    data units.  The subsample keeps the cost at O(m^3); the estimate is biased upwards
    for small ``m`` (a finite sample is never exactly matched), which is why a real-vs-real
    value is worth showing next to it.

    Non-finite points in ``a`` or ``b`` make the result ``inf``.
    """
    from scipy.optimize import linear_sum_assignment

    pa, pb = _as_points(a), _as_points(b)
    m = min(n, len(pa), len(pb))
    if m == 0:
        raise ValueError("wasserstein1 needs at least one point in each set")
    if not (np.all(np.isfinite(pa)) and np.all(np.isfinite(pb))):
        return float("inf")
    rng = np.random.default_rng(rng)
    sa = pa[rng.choice(len(pa), m, replace=False)] if len(pa) > m else pa
    sb = pb[rng.choice(len(pb), m, replace=False)] if len(pb) > m else pb
    cost = np.sqrt(((sa[:, None, :] - sb[None, :, :]) ** 2).sum(-1))
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())
