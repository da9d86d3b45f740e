"""The f-GAN lesson: the f-divergence table, the Legendre construction and the variational bound.

Nowozin, Cseke & Tomioka ("f-GAN", 2016) start from the convex conjugate
``f*(t) = sup_u {u t - f(u)}``, whose defining inequality ``f(u) >= u t - f*(t)`` (for every
t, with equality at ``t = f'(u)``) gives, pointwise and then summed over x,

    D_f(P||Q) = sum_x q(x) f(p(x)/q(x)) >= sum_x p(x) T(x) - sum_x q(x) f*(T(x))

for any function T whose values lie in the domain of f*.  The right-hand side is the
variational lower bound a network T maximises; equality holds for ``T*(x) = f'(p(x)/q(x))``.

Here both sides are computed from the *same* discretised densities, by summation over the
grid masses (no sampling), so "the bound never exceeds D_f" is an exact, deterministic
property.  The network T is trained full-batch on the grid with the masses as weights.
``torch`` is imported only inside :class:`VariationalBoundTrainer`.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from gan_core.lessons import tails, toy1d
from gan_core.lessons.critic1d import StepCounter, mlp, one_thread, run_steps, single_thread
from gan_core.lessons.divergences import F_DIVERGENCES, f_divergence_from_log

LN2 = math.log(2.0)


def _get(name: str):
    if name not in F_DIVERGENCES:
        raise ValueError(f"unknown f-divergence {name!r}; choose one of {tuple(F_DIVERGENCES)}")
    return F_DIVERGENCES[name]


# ------------------------------------------------------------------------ the table
def table_markdown() -> str:
    """The f-GAN table as Markdown with inline LaTeX: D_f, f, f*, dom f*, output activation."""
    lines = [
        "| divergence | $D_f(P\\,\\Vert\\,Q)$ | generator $f(u)$ | conjugate $f^*(t)$ | domain of $f^*$ | output activation $g_f(v)$ |",
        "|---|---|---|---|---|---|",
    ]
    for entry in F_DIVERGENCES.values():
        lines.append(
            f"| {entry.label} | ${entry.divergence_latex}$ | ${entry.f_latex}$ | ${entry.conjugate_latex}$ "
            f"| ${entry.domain_latex}$ | ${entry.activation_latex}$ |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------- Legendre construction
@dataclass
class Tangent:
    """The tangent to f at u0: slope t0 = f'(u0), and its intercept at u = 0, which is -f*(t0)."""

    u0: float
    f_u0: float
    t0: float
    conjugate_t0: float  # f*(t0) = u0 t0 - f(u0)
    intercept: float  # the tangent line's value at u = 0, = -f*(t0)

    def line(self, u) -> np.ndarray:
        return self.t0 * np.asarray(u, float) + self.intercept


def tangent(name: str, u0: float) -> Tangent:
    """Legendre construction at ``u0 > 0``.  For total variation at its kink u0 = 1, the slope 0 is used."""
    entry = _get(name)
    if not (math.isfinite(u0) and u0 > 0):
        raise ValueError("u0 must be a positive finite number")
    f_u0 = float(entry.f(u0))
    t0 = float(entry.f_prime(u0))
    conj = float(entry.conjugate(t0))
    return Tangent(u0, f_u0, t0, conj, f_u0 - t0 * u0)


def curves(name: str, t_focus: float | None = None) -> dict[str, np.ndarray]:
    """f on u in (0, 4] and f* on a t-range around ``t_focus`` (``nan`` where infinite, for plot gaps).

    The t-range is [-3, 3] widened to hold ``t_focus``, cut to the domain of f*, and kept a
    little short of an open end of that domain, where f* blows up (Hellinger, JS, GAN).
    """
    entry = _get(name)
    u = np.linspace(1e-3, 4.0, 400)
    low, high = entry.conjugate_domain
    lo, hi = -3.0, 3.0
    if t_focus is not None and math.isfinite(t_focus):
        lo, hi = min(lo, t_focus - 1.0), max(hi, t_focus + 1.0)
    lo, hi = max(lo, low), min(hi, high)
    if name != "tv" and math.isfinite(high) and hi >= high:
        hi = high - 0.05 * (hi - lo)  # f* -> +inf at the open end
    t = np.linspace(lo, hi, 401)
    f_vals = np.asarray(entry.f(u), float)
    conj = np.asarray(entry.conjugate(t), float)
    return {"u": u, "f": np.where(np.isfinite(f_vals), f_vals, np.nan), "t": t,
            "conjugate": np.where(np.isfinite(conj), conj, np.nan)}


# ----------------------------------------------------------------- the bound on a grid
def conjugate_of_activation(v, name: str) -> np.ndarray:
    """``f*(g_f(v))`` in a form that never overflows for large |v| (numpy, float64).

    KL: e^{v-1}; reverse KL: v - 1; Pearson: v^2/4 + v; squared Hellinger: e^v - 1;
    JS: softplus(v) - log 2; GAN: softplus(v); TV: tanh(v)/2.
    """
    _get(name)
    v = np.asarray(v, float)
    with np.errstate(over="ignore"):
        if name == "kl":
            return np.exp(v - 1.0)
        if name == "reverse_kl":
            return v - 1.0
        if name == "pearson":
            return 0.25 * v**2 + v
        if name == "hellinger":
            return np.expm1(v)
        if name == "js":
            return np.logaddexp(0.0, v) - LN2
        if name == "gan":
            return np.logaddexp(0.0, v)
    return 0.5 * np.tanh(v)  # tv


def variational_bound(v, p_mass, q_mass, name: str) -> float:
    r"""``sum_x p T - sum_x q f*(T)`` with ``T = g_f(v)``, a lower bound on D_f (in D_f's unit: ``FDivergence.unit``).

    ``v`` is the critic's raw output at each grid point; points with zero mass contribute
    nothing (their value of v is irrelevant).
    """
    entry = _get(name)
    v = np.asarray(v, float)
    p_mass, q_mass = np.asarray(p_mass, float), np.asarray(q_mass, float)
    t = entry.activation(v)
    first = float(np.sum(np.where(p_mass > 0, p_mass * t, 0.0)))
    with np.errstate(invalid="ignore"):
        second = float(np.sum(np.where(q_mass > 0, q_mass * conjugate_of_activation(v, name), 0.0)))
    return first - second


def optimal_critic(log_p, log_q, name: str) -> np.ndarray:
    """``T*(x) = f'(p(x)/q(x))`` where both masses are positive (``nan`` elsewhere)."""
    entry = _get(name)
    log_p, log_q = np.asarray(log_p, float), np.asarray(log_q, float)
    both = np.isfinite(log_p) & np.isfinite(log_q)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ratio = np.exp(np.where(both, log_p - log_q, 0.0))
        values = np.asarray(entry.f_prime(ratio), float)
        if name == "kl":  # f'(u) = 1 + log u, exact in log space
            values = 1.0 + np.where(both, log_p - log_q, 0.0)
    return np.where(both, values, np.nan)


# ------------------------------------------------------- D_f of two toy densities
@dataclass
class ExactDivergence:
    """D_f(P||Q) for two toy densities: ``value`` is ``inf`` (with ``reason``) when the integral over the
    whole line diverges, otherwise the sum over the grid masses (``grid_sum``, always the grid's own value)."""

    value: float  # nats for the divergences with a logarithm, no unit for the others
    reason: str | None  # why it is infinite, in words (None when finite)
    grid_sum: float  # sum over the grid masses, finite wherever both masses are positive


def exact_divergence(p_toy, q_toy, name: str, grid) -> ExactDivergence:
    """D_f(P||Q) of two :class:`~gan_core.lessons.toy1d.Toy1D` densities, infinite when the densities say so.

    Infiniteness is decided from the densities' supports and tails (:func:`gan_core.lessons.tails.infinite_reason`),
    not from the grid sum, which is finite on any bounded grid where both masses are positive.
    """
    _get(name)
    p_d, q_d = toy1d.discretise(p_toy, grid), toy1d.discretise(q_toy, grid)
    grid_sum = f_divergence_from_log(p_d.log_mass, q_d.log_mass, name)
    reason = tails.infinite_reason(p_toy, q_toy, name)
    if reason is None and math.isinf(grid_sum):
        reason = "the formula is infinite here"
    return ExactDivergence(math.inf if reason else grid_sum, reason, grid_sum)


# -------------------------------------------------------------------- live training
#: defaults, chosen by measurement (scripts/bench_lesson_trainers.py): on the lesson's default pair every
#: divergence is within 0.5% of D_f after 300 full-batch Adam steps (~1-2 s on 2 busy cores).
FGAN_STEPS = 300
FGAN_HIDDEN = 32
FGAN_LR = 0.02


@dataclass
class BoundHistory:
    steps: list = field(default_factory=list)
    bounds: list = field(default_factory=list)  # in D_f's unit (nats, or none for chi^2, Hellinger, TV)


class VariationalBoundTrainer(StepCounter):
    """Trains T(x) = g_f(V(x)) to maximise the bound, full-batch on a 1-D grid, in chunks.

    ``exact`` is the divergence the bound is compared with (default: the sum over the grid masses;
    pass :attr:`ExactDivergence.value` so that a divergence infinite in the tails reads infinite).
    V is an MLP 1 -> ``hidden`` -> ``hidden`` -> 1 with tanh units (float64), initialised
    from its own seeded generator, so two trainers with the same arguments give the same
    numbers.  Call :meth:`advance` repeatedly (the page does it from a fragment); each call
    runs at most ``max_steps`` optimiser steps or ``max_seconds`` of work.
    """

    def __init__(self, x, log_p, log_q, name: str, steps: int = FGAN_STEPS, hidden: int = FGAN_HIDDEN,
                 lr: float = FGAN_LR, seed: int = 0, exact: float | None = None):
        import torch  # lazily: the page must load without paying torch's import

        _get(name)
        if steps < 1 or hidden < 1:
            raise ValueError("steps and hidden must be positive")
        self.name, self.total_steps, self.step_count = name, int(steps), 0
        self.x = np.asarray(x, float)
        self.log_p, self.log_q = np.asarray(log_p, float), np.asarray(log_q, float)
        self.p_mass, self.q_mass = np.exp(self.log_p), np.exp(self.log_q)
        # D_f of the densities the masses come from when the caller knows it (infinite tails:
        # :func:`exact_divergence`), else the sum over the masses; the bound never exceeds either
        self.exact = f_divergence_from_log(self.log_p, self.log_q, name) if exact is None else float(exact)
        self.history = BoundHistory()
        self._torch = torch
        self._lock = threading.RLock()  # a TrainingThread steps while the page reads
        with single_thread(torch):
            self._build(hidden, lr, seed)

    def _build(self, hidden, lr, seed):
        torch = self._torch
        gen = torch.Generator().manual_seed(seed)
        # inputs scaled to about [-1, 1] so tanh units start unsaturated
        self._scale = float(max(np.max(np.abs(self.x)), 1e-9))
        self._inputs = torch.tensor(self.x / self._scale, dtype=torch.float64).reshape(-1, 1)
        self._p = torch.tensor(self.p_mass, dtype=torch.float64)
        self._q = torch.tensor(self.q_mass, dtype=torch.float64)
        self.net = mlp(torch, hidden, gen, activation="tanh")
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.record()

    def _objective(self, v):
        """The bound as a torch expression (the same formulas as :func:`conjugate_of_activation`)."""
        torch = self._torch
        softplus = torch.nn.functional.softplus
        name = self.name
        if name == "kl":
            t, conj = v, torch.exp(v - 1.0)
        elif name == "reverse_kl":
            t, conj = -torch.exp(-v), v - 1.0
        elif name == "pearson":
            t, conj = v, 0.25 * v**2 + v
        elif name == "hellinger":
            t, conj = -torch.expm1(-v), torch.expm1(v)
        elif name == "js":
            t, conj = LN2 - softplus(-v), softplus(v) - LN2
        elif name == "gan":
            t, conj = -softplus(-v), softplus(v)
        else:
            t = conj = 0.5 * torch.tanh(v)
        return (self._p * t).sum() - (self._q * conj).sum()

    @one_thread
    def raw_output(self) -> np.ndarray:
        with self._torch.no_grad():
            return self.net(self._inputs).reshape(-1).numpy().copy()

    def critic(self) -> np.ndarray:
        """T(x) = g_f(V(x)) on the grid."""
        return np.asarray(F_DIVERGENCES[self.name].activation(self.raw_output()), float)

    def bound(self) -> float:
        """The current lower bound, recomputed in numpy from the network's output (D_f's unit)."""
        return variational_bound(self.raw_output(), self.p_mass, self.q_mass, self.name)

    def record(self):
        self.history.steps.append(self.step_count)
        self.history.bounds.append(self.bound())

    def advance(self, max_steps: int = 50, max_seconds: float = 0.25) -> bool:
        """Run up to ``max_steps`` Adam steps (fewer if ``max_seconds`` pass); return :attr:`done`."""
        return self._advance(max_steps, max_seconds)

    @one_thread
    def _advance(self, max_steps: int, max_seconds: float) -> bool:
        return run_steps(self, self._step, max_steps, max_seconds)

    def _step(self) -> bool:
        """One Adam step on -bound; False when it overflowed (then the rate is halved instead)."""
        self.optimizer.zero_grad()
        loss = -self._objective(self.net(self._inputs).reshape(-1))
        if not self._torch.isfinite(loss):
            # a step overshot into overflow (e.g. KL's e^{v-1}); halve the rate and go on
            for group in self.optimizer.param_groups:
                group["lr"] *= 0.5
            return False
        loss.backward()
        self.optimizer.step()
        return True

    def run(self) -> float:
        """Train to the end in one go (for tests and benchmarks); returns the final bound."""
        while not self.advance(max_steps=10_000, max_seconds=1e9):
            pass
        return self.bound()
