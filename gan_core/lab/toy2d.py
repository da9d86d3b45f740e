"""2-D Gaussian mixtures with known structure, for mode-coverage experiments.

Every dataset here is a *mixture*: ``K`` isotropic Gaussians with known centres and one
common standard deviation, mixed with equal weights.  Knowing the centres is what lets
:mod:`gan_core.lab.metrics` count the modes a generator covers and how sharp its samples are.

Datasets
--------
``ring8``
    8 Gaussians on the unit circle at angles ``2*pi*k/8`` (k = 0..7), std 0.01 —
    the VEEGAN / PacGAN protocol (Srivastava et al. 2017; Lin et al. 2018).
``grid25``
    25 Gaussians at ``(-4 + 2i, -4 + 2j)``, i, j = 0..4, std 0.05 — same protocol.
``spiral``
    A Swiss-roll-like spiral: 40 centres along ``r = theta / (4 pi)``, std 0.04, close
    enough to overlap into a continuous curve (a manifold rather than separate modes).
``moons``
    Two interleaved half circles (scikit-learn's "two moons"), 12 centres each, std 0.05.
``custom``
    Any points the user supplies: each point becomes a mode centre (see :func:`custom`).

Only numpy is needed here; the trainer converts samples to torch itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Mixture", "ring8", "grid25", "spiral", "moons", "custom", "make_dataset", "DATASETS"]


@dataclass(frozen=True)
class Mixture:
    """An equal-weight mixture of isotropic 2-D Gaussians.

    Parameters
    ----------
    name : str
        Short identifier (``"ring8"``, ``"grid25"``, ...).
    centres : ndarray, shape (K, 2)
        Mode centres, in data units.
    std : float
        Standard deviation of every component, in data units (same along x and y).
    description : str
        One line for people.

    Notes
    -----
    The density is ``p(x) = (1/K) sum_k N(x; mu_k, std^2 I)``.
    """

    name: str
    centres: np.ndarray
    std: float
    description: str = ""
    extent: tuple = field(default=None)  # (xmin, xmax, ymin, ymax) for plotting

    def __post_init__(self):
        centres = np.asarray(self.centres, dtype=np.float64)
        if centres.ndim != 2 or centres.shape[1] != 2 or len(centres) == 0:
            raise ValueError(f"centres must be a non-empty (K, 2) array, got shape {centres.shape}")
        if not np.all(np.isfinite(centres)):
            raise ValueError("centres must be finite numbers")
        if not (np.isfinite(self.std) and self.std > 0):
            raise ValueError(f"std must be a positive number, got {self.std!r}")
        centres.setflags(write=False)
        object.__setattr__(self, "centres", centres)
        if self.extent is None:
            pad = 0.25 * max(float(np.ptp(centres[:, 0])), float(np.ptp(centres[:, 1])), 1.0) + 3 * self.std
            object.__setattr__(self, "extent", (
                float(centres[:, 0].min() - pad), float(centres[:, 0].max() + pad),
                float(centres[:, 1].min() - pad), float(centres[:, 1].max() + pad)))

    @property
    def n_modes(self) -> int:
        """Number of mixture components ``K``."""
        return len(self.centres)

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw ``n`` points, float32 array of shape (n, 2).

        A component index is drawn uniformly, then Gaussian noise with ``std`` is added
        to its centre.  ``rng`` is a numpy Generator or a seed.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        rng = np.random.default_rng(rng)
        idx = rng.integers(0, self.n_modes, size=n)
        pts = self.centres[idx] + self.std * rng.standard_normal((n, 2))
        return pts.astype(np.float32)

    def log_density(self, points: np.ndarray) -> np.ndarray:
        """Natural-log density of the mixture at ``points`` (shape (n, 2)), in nats per unit area."""
        pts = np.asarray(points, dtype=np.float64)
        d2 = ((pts[:, None, :] - self.centres[None, :, :]) ** 2).sum(-1)
        log_comp = -d2 / (2 * self.std**2) - np.log(2 * np.pi * self.std**2)
        m = log_comp.max(axis=1, keepdims=True)
        return (m[:, 0] + np.log(np.exp(log_comp - m).mean(axis=1)))


def ring8(radius: float = 1.0, std: float = 0.01, n_modes: int = 8) -> Mixture:
    """8 Gaussians on a circle (VEEGAN / PacGAN protocol: radius 1, std 0.01).

    Centres are at angles ``2 pi k / K`` for k = 0..K-1 (no endpoint: ``linspace`` with the
    endpoint would put two centres on top of each other and leave K-1 modes).
    """
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return Mixture("ring8" if (n_modes == 8 and radius == 1.0 and std == 0.01) else f"ring{n_modes}",
                   centres, std, f"{n_modes} Gaussians on a circle of radius {radius:g}, std {std:g}")


def grid25(spacing: float = 2.0, std: float = 0.05, side: int = 5) -> Mixture:
    """25 Gaussians at (-4 + 2i, -4 + 2j), std 0.05 (VEEGAN / PacGAN protocol)."""
    coords = spacing * (np.arange(side) - (side - 1) / 2)
    xx, yy = np.meshgrid(coords, coords, indexing="ij")
    centres = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return Mixture("grid25" if (side == 5 and spacing == 2.0 and std == 0.05) else f"grid{side * side}",
                   centres, std, f"{side}x{side} Gaussians {spacing:g} apart, std {std:g}")


def spiral(n_modes: int = 40, turns: float = 1.75, std: float = 0.04) -> Mixture:
    """A Swiss-roll spiral: ``n_modes`` centres along ``r = theta / (4 pi)``, theta in [pi/2, 2 pi turns + pi/2].

    Neighbouring centres are closer than a few std, so the mixture looks like one
    continuous curve; it still has known centres, so the mode metrics apply.
    """
    theta = np.linspace(np.pi / 2, np.pi / 2 + 2 * np.pi * turns, n_modes)
    r = theta / (4 * np.pi) * 2.0
    centres = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return Mixture("spiral", centres, std, f"Swiss-roll spiral of {n_modes} Gaussians, std {std:g}")


def moons(n_per_moon: int = 12, std: float = 0.05) -> Mixture:
    """Two interleaved half circles (as scikit-learn's ``make_moons``), centred on the origin."""
    t = np.linspace(0, np.pi, n_per_moon)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    centres = np.concatenate([upper, lower]) - np.array([0.5, 0.25])
    return Mixture("moons", centres, std, f"two moons of {n_per_moon} Gaussians each, std {std:g}")


def custom(points, std: float = 0.05, name: str = "custom") -> Mixture:
    """A mixture with one Gaussian of ``std`` at each user-supplied point.

    Parameters
    ----------
    points : array-like, shape (K, 2)
        The points, e.g. clicked in the browser.  Between 1 and 10 000 finite points.
    std : float
        Spread of each point's Gaussian, in data units.

    Raises
    ------
    ValueError
        With a sentence saying what is wrong (not a shape, empty, too many, not finite).
    """
    try:
        pts = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"custom points must be numbers arranged as (x, y) pairs: {exc}") from None
    if pts.ndim == 1 and pts.size == 2:
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"custom points must have shape (K, 2), got {pts.shape}")
    if len(pts) == 0:
        raise ValueError("custom dataset needs at least one point")
    if len(pts) > 10_000:
        raise ValueError(f"custom dataset accepts at most 10000 points, got {len(pts)}")
    if not np.all(np.isfinite(pts)):
        raise ValueError("custom points must be finite (no NaN or infinity)")
    return Mixture(name, pts, float(std), f"{len(pts)} user points, std {std:g}")


DATASETS = {
    "ring8": ring8,
    "grid25": grid25,
    "spiral": spiral,
    "moons": moons,
}


def make_dataset(name_or_mixture, points=None, std: float | None = None) -> Mixture:
    """Resolve a dataset name (``ring8``, ``grid25``, ``spiral``, ``moons``, ``custom``) to a :class:`Mixture`.

    A :class:`Mixture` passes through unchanged.  ``custom`` needs ``points``.
    """
    if isinstance(name_or_mixture, Mixture):
        return name_or_mixture
    name = str(name_or_mixture)
    if name == "custom":
        if points is None:
            raise ValueError("the 'custom' dataset needs points (an array of shape (K, 2))")
        return custom(points, std=0.05 if std is None else std)
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS) + ['custom']}")
    return DATASETS[name]() if std is None else DATASETS[name](std=std)
