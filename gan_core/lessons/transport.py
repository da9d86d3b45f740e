"""The Wasserstein lesson: optimal transport plans, an exact 2-D assignment, and a trained critic.

* In 1-D the optimal plan for the cost |x - y| is the **monotone coupling**: the k-th
  quantile of P goes to the k-th quantile of Q (the "north-west corner rule" on sorted
  supports).  Its cost equals the area between the two CDFs, which is what
  :func:`gan_core.lessons.divergences.wasserstein1` computes, so the plan and the number are two
  independent routes to the same W1.
* For two 2-D clouds of n equally weighted points the optimal plan is a permutation
  (Birkhoff-von Neumann), found exactly by the Hungarian algorithm written out below.
* Kantorovich-Rubinstein duality, ``W1 = sup_{||f||_L <= 1} E_P f - E_Q f``, is approached by
  training a small critic f on the 1-D pair, with the Lipschitz constraint imposed either by
  weight clipping (Arjovsky et al., 2017) or by a gradient penalty (Gulrajani et al., 2017).
  ``torch`` is imported only inside :class:`CriticTrainer`.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from gan_core.lessons.divergences import as_probability, wasserstein1
from gan_core.lessons.critic1d import StepCounter, mlp, one_thread, run_steps, single_thread


# --------------------------------------------------------------------------- 1-D plan
@dataclass
class Plan1D:
    """A transport plan between masses ``p`` on ``x`` and ``q`` on ``y``: flows (i, j, mass)."""

    x: np.ndarray
    y: np.ndarray
    source: np.ndarray  # index into x of each flow
    target: np.ndarray  # index into y of each flow
    mass: np.ndarray  # probability moved along each flow

    @property
    def cost(self) -> float:
        """Sum of mass x distance moved: the transport cost, in units of x."""
        return float(np.sum(self.mass * np.abs(self.x[self.source] - self.y[self.target])))

    def matrix(self) -> np.ndarray:
        """The coupling gamma[i, j] (rows: x, columns: y); its row sums are p, column sums q."""
        gamma = np.zeros((len(self.x), len(self.y)))
        np.add.at(gamma, (self.source, self.target), self.mass)
        return gamma


def monotone_plan(p, q, x, y=None) -> Plan1D:
    """The optimal 1-D transport plan for cost |x - y|: match quantiles in order.

    ``x`` (and ``y``, default ``x``) must be sorted ascending.  The unit interval of
    cumulative probability is cut at every value of both CDFs; each piece of length m is a
    flow of mass m from the P-cell holding that quantile to the Q-cell holding it.  This is
    the north-west corner rule on sorted supports, written without a running remainder so
    rounding never leaves a stray flow.
    """
    p_arr, q_arr = as_probability(p, "p"), as_probability(q, "q")
    x_arr = np.asarray(x, float)
    y_arr = x_arr if y is None else np.asarray(y, float)
    if x_arr.shape != p_arr.shape or y_arr.shape != q_arr.shape:
        raise ValueError("x must match p and y must match q in length")
    if np.any(np.diff(x_arr) < 0) or np.any(np.diff(y_arr) < 0):
        raise ValueError("x and y must be sorted ascending")
    cum_p, cum_q = np.cumsum(p_arr), np.cumsum(q_arr)
    cum_p[-1] = cum_q[-1] = 1.0
    levels = np.unique(np.concatenate([[0.0], cum_p, cum_q]))
    levels = levels[levels <= 1.0]
    widths = np.diff(levels)
    mids = levels[:-1] + widths / 2
    keep = widths > 1e-15
    source = np.searchsorted(cum_p, mids[keep], side="left")
    target = np.searchsorted(cum_q, mids[keep], side="left")
    return Plan1D(x_arr, y_arr, source, target, widths[keep])


def gp_equilibrium_slope(w1: float, gp_lambda: float) -> float:
    """Slope s at which a *straight-line* 1-D critic balances ``s W1 - lambda (s - 1)^2``: ``1 + W1 / (2 lambda)``.

    Only for the family of straight lines f(x) = s x, and only when one CDF lies wholly above
    the other (then E_P f - E_Q f = s W1); the two-sided penalty costs lambda (s - 1)^2, so that
    line's optimum overshoots 1 by W1 / (2 lambda).  The penalised optimum over all critics is
    not a straight line: its slope varies with x (more contrast is bought where the interpolates
    x_hat are rare), so this is a reference figure, not the trained critic's slope.
    """
    if gp_lambda <= 0:
        return math.inf
    return 1.0 + w1 / (2.0 * gp_lambda)


def cdf_gap(p, q, x) -> tuple[np.ndarray, np.ndarray, float]:
    """``(F_P, F_Q, W1)``: the two CDFs on ``x`` and the area between them (units of x)."""
    p_arr, q_arr = as_probability(p, "p"), as_probability(q, "q")
    return np.cumsum(p_arr), np.cumsum(q_arr), wasserstein1(p_arr, q_arr, x)


# ------------------------------------------------------------------- 2-D assignment
def hungarian(cost) -> np.ndarray:
    """Exact minimum-cost perfect matching of a square cost matrix; returns ``col[i]`` for each row i.

    The shortest-augmenting-path form of the Hungarian (Kuhn-Munkres) algorithm, O(n^3):
    rows are added one at a time; dual potentials ``u`` (rows) and ``v`` (columns) keep every
    reduced cost ``cost[i, j] - u[i] - v[j]`` non-negative, and each new row is matched along
    the cheapest alternating path of zero reduced cost.  Written out rather than taken from
    scipy so the tests can check it against ``scipy.optimize.linear_sum_assignment``.
    """
    c = np.asarray(cost, float)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"cost must be a square matrix, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("cost contains NaN or infinite entries")
    n = c.shape[0]
    u, v = np.zeros(n + 1), np.zeros(n + 1)
    match = np.zeros(n + 1, dtype=int)  # match[j] = row (1-based) matched to column j; 0 = free
    way = np.zeros(n + 1, dtype=int)
    for i in range(1, n + 1):
        match[0] = i
        j0 = 0
        min_v = np.full(n + 1, np.inf)
        used = np.zeros(n + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = match[j0]
            free = ~used[1:]
            reduced = c[i0 - 1, :] - u[i0] - v[1:]
            better = free & (reduced < min_v[1:])
            min_v[1:][better] = reduced[better]
            way[1:][better] = j0
            candidates = np.where(free, min_v[1:], np.inf)
            j1 = int(np.argmin(candidates)) + 1
            delta = candidates[j1 - 1]
            u[match[used]] += delta
            v[used] -= delta
            min_v[1:][free] -= delta
            j0 = j1
            if match[j0] == 0:
                break
        while j0:  # flip the augmenting path
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    col_of_row = np.zeros(n, dtype=int)
    for j in range(1, n + 1):
        col_of_row[match[j] - 1] = j - 1
    return col_of_row


@dataclass
class Assignment2D:
    a: np.ndarray  # (n, 2) points of P
    b: np.ndarray  # (n, 2) points of Q
    col: np.ndarray  # a[i] is moved to b[col[i]]
    distances: np.ndarray  # length of each move

    @property
    def w1(self) -> float:
        """W1 between the two clouds as uniform empirical measures: the mean move length."""
        return float(self.distances.mean())


def point_clouds(n: int, shift: float, spread: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two clouds of n points: P a Gaussian blob at the origin, Q a ring-ish blob shifted by ``shift`` in x."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, spread, size=(n, 2))
    angles = rng.uniform(0, 2 * math.pi, n)
    radius = 1.5 * spread + rng.normal(0, 0.2 * spread, n)
    b = np.column_stack([shift + radius * np.cos(angles), radius * np.sin(angles)])
    return a, b


def distance_matrix(a, b) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def exact_assignment(a, b) -> Assignment2D:
    """The optimal transport between two equal-size clouds (Euclidean cost), by :func:`hungarian`."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError("both clouds must be (n, d) arrays of the same shape")
    cost = distance_matrix(a, b)
    col = hungarian(cost)
    return Assignment2D(a, b, col, cost[np.arange(len(a)), col])


# -------------------------------------------------------------------- the 1-D critic
#: WGAN (Arjovsky et al. 2017, Algorithm 1) clips every weight to [-c, c] with c = 0.01 and
#: uses RMSprop; WGAN-GP (Gulrajani et al. 2017, Algorithm 1) uses lambda = 10 and Adam with
#: betas (0.5, 0.9).  Their learning rates (5e-5, 1e-4) are for thousands of steps on
#: images; on this 1-D toy we take a few hundred full-batch steps, so the rates are larger
#: (chosen by measurement, see scripts/bench_lesson_trainers.py).
CRITIC_STEPS = 400
CRITIC_HIDDEN = 32
CLIP_DEFAULT = 0.01
GP_LAMBDA_DEFAULT = 10.0
CLIP_LR = 5e-3
GP_LR = 1e-2
GP_SAMPLES = 256


@dataclass
class CriticSnapshot:
    x: np.ndarray  # where f is drawn (units of x)
    f: np.ndarray  # critic value (arbitrary offset)
    slope: np.ndarray  # df/dx (per unit x)
    estimate: float  # E_P f - E_Q f on the training masses (units of x when f is 1-Lipschitz)
    lipschitz: float  # max |f'| between the outermost support points: the critic's Lipschitz constant K there
    normalised: float  # estimate / K, a certified lower bound on W1
    w1: float  # the true W1 of the same masses
    steps: int
    typical_slope: float  # median |f'| between the outermost support points (per unit x)
    weight_fraction_at_clip: float  # share of weights within 1% of +-c (clipping only; nan otherwise)
    slope_spread: tuple = (math.nan, math.nan)  # 10th and 90th percentiles of |f'| over the same span (per unit x)


@dataclass
class CriticHistory:
    steps: list = field(default_factory=list)
    estimates: list = field(default_factory=list)


class CriticTrainer(StepCounter):
    """Train a critic f: R -> R to maximise E_P f - E_Q f on grid masses, in chunks.

    ``method="clip"``: RMSprop, then every weight and bias clamped to [-clip, clip].
    ``method="gp"``: Adam, loss ``-(E_P f - E_Q f) + lambda E[(|f'(x_hat)| - 1)^2]`` with
    ``x_hat = eps x + (1 - eps) y``, x ~ P, y ~ Q, eps ~ U(0, 1) (GP_SAMPLES per step from a
    seeded generator, so the run is deterministic).  ReLU MLP 1 -> 32 -> 32 -> 1 in float64
    on raw x (so slopes are per unit x, and the clip bound is easy to read).
    """

    def __init__(self, x, p_mass, q_mass, method: str = "gp", clip: float = CLIP_DEFAULT,
                 gp_lambda: float = GP_LAMBDA_DEFAULT, steps: int = CRITIC_STEPS, hidden: int = CRITIC_HIDDEN,
                 seed: int = 0, lr: float | None = None):
        import torch  # lazily

        if method not in {"clip", "gp"}:
            raise ValueError("method must be 'clip' or 'gp'")
        if not (clip > 0 and math.isfinite(clip)) or not (gp_lambda >= 0 and math.isfinite(gp_lambda)):
            raise ValueError("clip must be positive and lambda non-negative")
        self._torch = torch
        self._lock = threading.RLock()  # a TrainingThread steps while the page reads
        with single_thread(torch):
            self._build(x, p_mass, q_mass, method, clip, gp_lambda, steps, hidden, seed, lr)

    def _build(self, x, p_mass, q_mass, method, clip, gp_lambda, steps, hidden, seed, lr):
        torch = self._torch
        self.method, self.clip, self.gp_lambda = method, float(clip), float(gp_lambda)
        self.total_steps, self.step_count = int(steps), 0
        self.x = np.asarray(x, float)
        self.p_mass, self.q_mass = as_probability(p_mass, "p"), as_probability(q_mass, "q")
        self.w1 = wasserstein1(self.p_mass, self.q_mass, self.x)
        self.history = CriticHistory()
        self._gen = torch.Generator().manual_seed(seed)
        self.net = mlp(torch, hidden, self._gen, activation="relu")
        self._inputs = torch.tensor(self.x, dtype=torch.float64).reshape(-1, 1)
        self._p = torch.tensor(self.p_mass, dtype=torch.float64)
        self._q = torch.tensor(self.q_mass, dtype=torch.float64)
        if method == "clip":
            self.optimizer = torch.optim.RMSprop(self.net.parameters(), lr=lr or CLIP_LR)
            self._clamp()
        else:
            self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr or GP_LR, betas=(0.5, 0.9))
        self.record()

    def _clamp(self):
        with self._torch.no_grad():
            for param in self.net.parameters():
                param.clamp_(-self.clip, self.clip)

    def _gradient_penalty(self):
        torch = self._torch
        i = torch.multinomial(self._p, GP_SAMPLES, replacement=True, generator=self._gen)
        j = torch.multinomial(self._q, GP_SAMPLES, replacement=True, generator=self._gen)
        eps = torch.rand(GP_SAMPLES, generator=self._gen, dtype=torch.float64)
        x_hat = (eps * self._inputs[i, 0] + (1 - eps) * self._inputs[j, 0]).reshape(-1, 1).requires_grad_(True)
        out = self.net(x_hat)
        (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
        return ((grad.abs().reshape(-1) - 1.0) ** 2).mean()

    @one_thread
    def estimate(self) -> float:
        """E_P f - E_Q f on the grid masses (numpy, from the network's output)."""
        with self._torch.no_grad():
            f = self.net(self._inputs).reshape(-1).numpy()
        return float(np.dot(self.p_mass, f) - np.dot(self.q_mass, f))

    def record(self):
        self.history.steps.append(self.step_count)
        self.history.estimates.append(self.estimate())

    @one_thread
    def advance(self, max_steps: int = 50, max_seconds: float = 0.25) -> bool:
        return run_steps(self, self._step, max_steps, max_seconds)

    def _step(self) -> bool:
        """One Adam step on -(E_P f - E_Q f) (+ the penalty), then the clip."""
        self.optimizer.zero_grad()
        f = self.net(self._inputs).reshape(-1)
        loss = -((self._p * f).sum() - (self._q * f).sum())
        if self.method == "gp" and self.gp_lambda > 0:
            loss = loss + self.gp_lambda * self._gradient_penalty()
        loss.backward()
        self.optimizer.step()
        if self.method == "clip":
            self._clamp()
        return True

    def run(self) -> CriticSnapshot:
        while not self.advance(max_steps=10_000, max_seconds=1e9):
            pass
        return self.snapshot()

    @one_thread
    def snapshot(self, x_plot=None) -> CriticSnapshot:
        """The critic and its slope on ``x_plot`` (default: the training grid), and its estimates."""
        torch = self._torch
        x_plot = self.x if x_plot is None else np.asarray(x_plot, float)
        with single_thread(torch):
            xs = torch.tensor(x_plot, dtype=torch.float64).reshape(-1, 1).requires_grad_(True)
            out = self.net(xs)
            (grad,) = torch.autograd.grad(out.sum(), xs)
            # The dual only needs f to be 1-Lipschitz where the masses live: a function that
            # is K-Lipschitz on [lowest, highest support point] extends to all of R with the
            # same K (McShane).  A 1-D ReLU net is piecewise linear, so a dense scan of that
            # interval finds its steepest piece.
            support = np.where((self.p_mass > 0) | (self.q_mass > 0))[0]
            low, high = float(self.x[support[0]]), float(self.x[support[-1]])
            wide = torch.linspace(low, high, 20001, dtype=torch.float64).reshape(-1, 1).requires_grad_(True)
            (wide_grad,) = torch.autograd.grad(self.net(wide).sum(), wide)
        lipschitz = float(wide_grad.abs().max())
        typical = float(wide_grad.abs().median())
        spread = tuple(float(v) for v in np.percentile(wide_grad.abs().numpy(), [10, 90]))
        estimate = self.estimate()
        normalised = estimate / lipschitz if lipschitz > 0 else 0.0
        at_clip = float("nan")
        if self.method == "clip":
            weights = np.concatenate([p.detach().numpy().ravel() for p in self.net.parameters()])
            at_clip = float(np.mean(np.abs(weights) >= 0.99 * self.clip))
        return CriticSnapshot(x_plot, out.detach().numpy().reshape(-1), grad.detach().numpy().reshape(-1),
                              estimate, lipschitz, normalised, self.w1, self.step_count, typical, at_clip, spread)
