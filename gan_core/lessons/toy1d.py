"""One-dimensional toy densities on a grid, and the lesson computations built on them.

A :class:`Toy1D` describes a density (Gaussian, mixture of two Gaussians, uniform);
:func:`discretise` turns it into probability masses on a :class:`Grid`.  Masses are kept
as natural logarithms computed from the analytic log-density, so a Gaussian tail that
would underflow to 0.0 in floating point still counts as positive mass, and KL is
infinite only where a density is truly zero (outside a uniform's support).

Everything here is numpy/scipy; the pages call these functions and draw the results.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy.special import logsumexp

from gan_core.lessons import divergences as dv

FAMILIES = ("gaussian", "mixture", "uniform")
LN2 = math.log(2.0)


@dataclass(frozen=True)
class Grid:
    """Evenly spaced points ``x`` from ``low`` to ``high``; each point stands for a cell of width ``dx``."""

    low: float = -20.0
    high: float = 20.0
    n: int = 4001

    @property
    def x(self) -> np.ndarray:
        return np.linspace(self.low, self.high, self.n)

    @property
    def dx(self) -> float:
        return (self.high - self.low) / (self.n - 1)


DEFAULT_GRID = Grid()


@dataclass(frozen=True)
class Toy1D:
    """A 1-D density.

    * ``gaussian``: N(loc, scale^2).
    * ``mixture``: (1 - weight) N(loc, scale^2) + weight N(loc2, scale2^2).
    * ``uniform``: constant on [loc - scale, loc + scale] (``scale`` is the half-width).
    """

    family: str = "gaussian"
    loc: float = 0.0
    scale: float = 1.0
    weight: float = 0.5
    loc2: float = 2.0
    scale2: float = 1.0

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        for name in ("loc", "scale", "weight", "loc2", "scale2"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")
        if self.scale <= 0 or self.scale2 <= 0:
            raise ValueError("scale must be positive")
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError("weight must lie in [0, 1]")

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """Natural log of the density at ``x`` (``-inf`` outside the support)."""
        x = np.asarray(x, dtype=float)
        if self.family == "gaussian":
            return _gaussian_logpdf(x, self.loc, self.scale)
        if self.family == "mixture":
            with np.errstate(divide="ignore"):
                log_w = np.log([1.0 - self.weight, self.weight])
            return np.logaddexp(
                log_w[0] + _gaussian_logpdf(x, self.loc, self.scale),
                log_w[1] + _gaussian_logpdf(x, self.loc2, self.scale2),
            )
        inside = np.abs(x - self.loc) <= self.scale * (1 + 1e-12)
        return np.where(inside, -math.log(2 * self.scale), -np.inf)

    def density(self, x: np.ndarray) -> np.ndarray:
        return np.exp(self.log_density(x))


def _gaussian_logpdf(x, loc, scale):
    return -0.5 * ((x - loc) / scale) ** 2 - math.log(scale) - 0.5 * math.log(2 * math.pi)


@dataclass
class Discrete:
    """A density discretised on a grid: log masses (natural log), masses and the grid."""

    log_mass: np.ndarray
    grid: Grid = field(default_factory=Grid)

    @property
    def mass(self) -> np.ndarray:
        return np.exp(self.log_mass)

    @property
    def density(self) -> np.ndarray:
        """Mass per unit x, for plotting (integrates to 1 over the grid)."""
        return self.mass / self.grid.dx


def discretise(toy: Toy1D, grid: Grid = DEFAULT_GRID) -> Discrete:
    """Masses proportional to the density at each grid point, normalised to sum to 1.

    A support narrower than one grid cell would get no point at all; such a density is
    refused with ``ValueError`` rather than silently dropped.
    """
    log_d = toy.log_density(grid.x)
    if not np.any(np.isfinite(log_d)):
        raise ValueError("the density puts no mass on the grid (support narrower than a grid cell, or off the grid)")
    log_mass = log_d - logsumexp(log_d)
    return Discrete(log_mass=log_mass, grid=grid)


# ------------------------------------------------------------------ divergence table
@dataclass
class DivergenceTable:
    """Every quantity the information-theory page shows, in the requested unit.

    Entropies of continuous densities are *differential* entropies: the discrete entropy
    of the grid masses plus ``log(dx)``, which converges to ``-∫ p log p dx``.
    """

    unit: str
    entropy_p: float
    entropy_q: float
    cross_entropy_pq: float
    cross_entropy_qp: float
    kl_pq: float
    kl_qp: float
    js: float
    tv: float
    w1: float

    def rows(self) -> list[tuple[str, float, str]]:
        u = self.unit
        return [
            ("Entropy h(P)", self.entropy_p, u),
            ("Entropy h(Q)", self.entropy_q, u),
            ("Cross-entropy h(P, Q)", self.cross_entropy_pq, u),
            ("Cross-entropy h(Q, P)", self.cross_entropy_qp, u),
            ("KL(P ‖ Q)", self.kl_pq, u),
            ("KL(Q ‖ P)", self.kl_qp, u),
            ("JS(P, Q)", self.js, u),
            ("Total variation δ(P, Q)", self.tv, "no unit (no logarithm)"),
            ("Wasserstein-1 W1(P, Q)", self.w1, "units of x"),
        ]


def unit_factor(unit: str) -> float:
    """Divide nats by this to get ``unit`` ('bits' or 'nats')."""
    if unit == "bits":
        return LN2
    if unit == "nats":
        return 1.0
    raise ValueError(f"unit must be 'bits' or 'nats', got {unit!r}")


def divergence_table(p: Discrete, q: Discrete, unit: str = "bits") -> DivergenceTable:
    """All measures between two discretised densities, computed in log space."""
    k = unit_factor(unit)
    lp, lq = p.log_mass, q.log_mass
    log_dx = math.log(p.grid.dx)
    h_p = float(np.sum(dv.cross_entropy_terms_from_log(lp, lp))) + log_dx
    h_q = float(np.sum(dv.cross_entropy_terms_from_log(lq, lq))) + log_dx
    ce_pq = float(np.sum(dv.cross_entropy_terms_from_log(lp, lq))) + log_dx
    ce_qp = float(np.sum(dv.cross_entropy_terms_from_log(lq, lp))) + log_dx
    kl_pq = max(float(np.sum(dv.kl_terms_from_log(lp, lq))), 0.0)
    kl_qp = max(float(np.sum(dv.kl_terms_from_log(lq, lp))), 0.0)
    js = min(max(float(np.sum(dv.js_terms_from_log(lp, lq))), 0.0), LN2)
    pm, qm = p.mass, q.mass
    tv = float(min(0.5 * np.abs(pm - qm).sum(), 1.0))
    w1 = float(np.sum(np.abs(np.cumsum(pm - qm)[:-1])) * p.grid.dx)
    return DivergenceTable(unit, h_p / k, h_q / k, ce_pq / k, ce_qp / k, kl_pq / k, kl_qp / k, js / k, tv, w1)


INTEGRANDS = ("KL(P‖Q)", "KL(Q‖P)", "JS", "Total variation", "Wasserstein-1", "Cross-entropy h(P, Q)")


def integrand(name: str, p: Discrete, q: Discrete, unit: str = "bits") -> np.ndarray:
    """The pointwise integrand of measure ``name`` per unit x: its area over x is the measure.

    KL's integrand can be negative in places (where q > p); the total cannot.  Points where
    the integrand is infinite (q = 0 < p) are returned as ``inf``.
    """
    k = unit_factor(unit)
    dx = p.grid.dx
    lp, lq = p.log_mass, q.log_mass
    if name == "KL(P‖Q)":
        return dv.kl_terms_from_log(lp, lq) / dx / k
    if name == "KL(Q‖P)":
        return dv.kl_terms_from_log(lq, lp) / dx / k
    if name == "JS":
        return dv.js_terms_from_log(lp, lq) / dx / k
    if name == "Total variation":
        return 0.5 * np.abs(p.mass - q.mass) / dx
    if name == "Wasserstein-1":
        return np.abs(np.cumsum(p.mass - q.mass))
    if name == "Cross-entropy h(P, Q)":
        # -p(x) log q(x) with densities: masses/dx and log densities = log mass - log dx.
        return dv.cross_entropy_terms_from_log(lp, lq - math.log(dx)) / dx / k
    raise ValueError(f"unknown integrand {name!r}; choose one of {INTEGRANDS}")


# --------------------------------------------------------------- forward vs reverse KL
#: the optimiser :func:`fit_gaussian` uses (scipy.optimize.minimize's method), named on the page from here
FIT_METHOD = "BFGS"


@dataclass
class GaussianFit:
    direction: str  # "forward" = argmin KL(P||Q), "reverse" = argmin KL(Q||P)
    loc: float
    scale: float
    kl: float  # the minimised value, nats
    local_optima: list[tuple[float, float, float]]  # (loc, scale, kl nats) from each start

    def toy(self) -> Toy1D:
        return Toy1D("gaussian", self.loc, self.scale)


def fit_gaussian(target: Discrete, direction: str) -> GaussianFit:
    """Fit one Gaussian to ``target`` by numerically minimising KL in the given direction.

    Forward KL(P‖Q) punishes Q for missing any of P's mass, so Q spreads over all modes
    (mode covering); its optimum is moment matching, which the tests use as the check.
    Reverse KL(Q‖P) punishes Q for putting mass where P has little, so Q settles on one
    mode (mode seeking).  Reverse KL has one local optimum per mode, so the optimiser is
    started inside each mode (local maximum of the density), and the best is kept; all
    of them are returned for display.
    """
    if direction not in {"forward", "reverse"}:
        raise ValueError("direction must be 'forward' or 'reverse'")
    x = target.grid.x
    lp = target.log_mass
    mass = target.mass
    mean = float(np.sum(mass * x))
    std = float(math.sqrt(max(np.sum(mass * (x - mean) ** 2), 1e-12)))
    log_dx = math.log(target.grid.dx)

    def objective(theta):
        """KL in nats and its exact gradient with respect to (loc, log scale)."""
        loc, log_scale = theta
        scale = math.exp(log_scale)
        z = (x - loc) / scale
        lq = -0.5 * z**2 - log_scale - 0.5 * math.log(2 * math.pi) + log_dx
        lq = lq - logsumexp(lq)
        q = np.exp(lq)
        # d log q_i / d theta = score_i - E_q[score]  (the normaliser's derivative)
        score_loc = z / scale
        score_log_scale = z**2 - 1.0
        d_loc = score_loc - np.sum(q * score_loc)
        d_log_scale = score_log_scale - np.sum(q * score_log_scale)
        if direction == "forward":
            total = float(np.sum(dv.kl_terms_from_log(lp, lq)))
            # d/dtheta sum p (log p - log q) = -sum p dlogq
            grad = np.array([-np.sum(mass * d_loc), -np.sum(mass * d_log_scale)])
        else:
            terms = dv.kl_terms_from_log(lq, lp)
            total = float(np.sum(terms))
            with np.errstate(invalid="ignore"):
                weight = np.where(q > 0, q * (lq - lp), 0.0)
            # d/dtheta sum q (log q - log p) = sum q dlogq (log q - log p)   (sum q dlogq = 0)
            grad = np.array([np.sum(weight * d_loc), np.sum(weight * d_log_scale)])
        if not (math.isfinite(total) and np.all(np.isfinite(grad))):
            return 1e12, np.zeros(2)
        return total, grad

    starts = [(mean, math.log(std))]
    if direction == "reverse":
        # Start inside each mode (local maximum of the density); the mean can sit on a
        # saddle between symmetric modes, so it is used only when there is no clear peak.
        density = target.mass
        is_peak = (density[1:-1] > density[:-2]) & (density[1:-1] >= density[2:]) & (density[1:-1] > density.max() * 1e-3)
        peaks = np.where(is_peak)[0] + 1
        if len(peaks):
            starts = [(float(x[i]), math.log(max(std / 2, 3 * target.grid.dx))) for i in peaks[:4]]
    optima = []
    for start in starts:
        # BFGS with the exact gradient: (loc, log scale) is unconstrained, and BFGS avoids the
        # per-call overhead of L-BFGS-B's compiled driver, which dominated for two parameters.
        res = optimize.minimize(objective, np.array(start), method=FIT_METHOD, jac=True, options={"gtol": 1e-9})
        optima.append((float(res.x[0]), float(math.exp(res.x[1])), float(res.fun)))
    best = min(optima, key=lambda o: o[2])
    return GaussianFit(direction, best[0], best[1], best[2], optima)


# ------------------------------------------------------------------ the GAN objective
@dataclass
class GanObjective:
    """The optimal discriminator and the value it gives the GAN game (natural logs)."""

    d_star: np.ndarray  # D*(x) = p_data / (p_data + p_g); 0.5 where both are zero
    value: float  # V(G, D*) by numerical integration, nats
    js: float  # JSD(p_data, p_g), nats
    identity_rhs: float  # -log 4 + 2 JSD, nats


def gan_objective(p_data: Discrete, p_g: Discrete) -> GanObjective:
    r"""Evaluate :math:`V(G, D^*) = E_{p_{data}}[\log D^*] + E_{p_g}[\log(1 - D^*)]` on the grid.

    Computed directly from D*, independently of the JS formula, so the two sides of
    :math:`V(G, D^*) = -\log 4 + 2\,JSD` can be compared.
    """
    lp, lq = p_data.log_mass, p_g.log_mass
    log_sum = np.logaddexp(lp, lq)
    with np.errstate(invalid="ignore"):
        log_d = lp - log_sum
        log_one_minus_d = lq - log_sum
    both_zero = np.isneginf(log_sum)
    d_star = np.where(both_zero, 0.5, np.exp(np.where(both_zero, 0.0, log_d)))
    pm, qm = p_data.mass, p_g.mass
    with np.errstate(invalid="ignore"):  # 0 * -inf where a density is zero; masked by the where
        real_term = np.where(pm > 0, pm * np.where(both_zero, 0.0, log_d), 0.0)
        fake_term = np.where(qm > 0, qm * np.where(both_zero, 0.0, log_one_minus_d), 0.0)
    value = float(real_term.sum() + fake_term.sum())
    js = min(max(float(np.sum(dv.js_terms_from_log(lp, lq))), 0.0), LN2)
    return GanObjective(d_star, value, js, -math.log(4.0) + 2 * js)


# ---------------------------------------------------------------- disjoint supports
@dataclass
class DisjointSweep:
    """KL, JS and W1 between a narrow uniform P at 0 and the same shape Q shifted to theta."""

    thetas: np.ndarray
    kl: np.ndarray  # nats (inf once the supports stop overlapping completely)
    js: np.ndarray  # nats
    w1: np.ndarray  # units of x


def point_pair(theta: float, half_width: float = 0.05, grid: Grid | None = None) -> tuple[Discrete, Discrete]:
    """P uniform on [-w, w] and Q uniform on [theta - w, theta + w] (near point masses)."""
    # theta moves in steps of 0.01 = 5 cells, so every shift is exact on this grid
    grid = grid or Grid(-2.5, 2.5, 2501)
    p = discretise(Toy1D("uniform", 0.0, half_width), grid)
    q = discretise(Toy1D("uniform", float(theta), half_width), grid)
    return p, q


def disjoint_sweep(thetas: np.ndarray, half_width: float = 0.05) -> DisjointSweep:
    """Sweep theta and evaluate KL(P‖Q), JS and W1 at each value."""
    kl, js, w1 = [], [], []
    for theta in thetas:
        p, q = point_pair(float(theta), half_width)
        table = divergence_table(p, q, unit="nats")
        kl.append(table.kl_pq)
        js.append(table.js)
        w1.append(table.w1)
    return DisjointSweep(np.asarray(thetas, float), np.array(kl), np.array(js), np.array(w1))


def derivative(f, theta: float, h: float = 1e-2) -> float:
    """Central finite difference of ``f`` at ``theta`` (``nan`` if either side is infinite)."""
    up, down = f(theta + h), f(theta - h)
    if not (math.isfinite(up) and math.isfinite(down)):
        return float("nan")
    return (up - down) / (2 * h)


# ------------------------------------------------------------- maximum likelihood
def log_likelihood_curve(data: Discrete, locs: np.ndarray, scale: float, n_samples: int = 500, seed: int = 0):
    """Average log-likelihood of samples from ``data`` under N(loc, scale^2), against loc.

    Returns ``(sample_avg_loglik, minus_cross_entropy, kl)`` in nats, each an array over
    ``locs``.  The first is what maximum likelihood maximises; the second is its large-
    sample limit ``E_p[log q] = -h(p, q)``; the third is ``KL(p‖q) = h(p, q) - h(p)``.
    Their maximisers / minimiser coincide: maximum likelihood is KL minimisation.
    """
    rng = np.random.default_rng(seed)
    x = data.grid.x
    samples = rng.choice(x, size=n_samples, p=data.mass) + rng.uniform(-0.5, 0.5, n_samples) * data.grid.dx
    log_dx = math.log(data.grid.dx)
    h_p = float(np.sum(dv.cross_entropy_terms_from_log(data.log_mass, data.log_mass))) + log_dx
    avg, minus_ce, kl = [], [], []
    for loc in locs:
        avg.append(float(np.mean(_gaussian_logpdf(samples, loc, scale))))
        ce = float(np.sum(data.mass * -_gaussian_logpdf(x, loc, scale)))
        minus_ce.append(-ce)
        kl.append(ce - h_p)
    return np.array(avg), np.array(minus_ce), np.array(kl)
