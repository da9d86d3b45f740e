"""The lab's trainer facades: :class:`Trainer` (one run) and :class:`LockstepTrainer` (up to four side by side).

Typical use (the lab page calls this in small chunks)::

    from gan_core.lab.config import lab_defaults
    from gan_core.lab.trainer import LockstepTrainer, Trainer
    tr = Trainer(lab_defaults("wgan-gp"), "ring8", seed=0, device="auto")
    tr.train(200)                 # 200 iterations = 200 x (n_critic D steps + 1 G step)
    tr.step(n_d=1, n_g=0)         # or exactly one discriminator step
    snap = tr.snapshot()          # generated points, losses, metrics at this step
    tr.history, tr.snapshots, tr.diverged

    lock = LockstepTrainer([lab_defaults(l) for l in ("minimax", "wgan-gp")], "ring8", seed=0)
    lock.train(200); lock[0].snapshot()

Both are views of :class:`gan_core.lab.engine._Engine`; many runs at once are
:mod:`gan_core.lab.sweep`.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from gan_core.lab.config import as_config, draw_latent, latent_span
from gan_core.lab.engine import Snapshot, _Engine, group_engines, resolve_device, stream_seed
from gan_core.lab.toy2d import make_dataset

__all__ = ["Trainer", "LockstepTrainer", "train_engines"]


class Trainer:
    """Train one GAN configuration on a 2-D mixture, a few steps at a time.

    Parameters
    ----------
    config : ToyConfig, dict, str or None
        A configuration, a dict of its fields, or a loss name (its :func:`lab_defaults`).
        None means ``lab_defaults("wgan-gp")``.
    dataset : str or Mixture
        ``"ring8"``, ``"grid25"``, ``"spiral"``, ``"moons"``, ``"custom"`` (with ``points``)
        or a :class:`gan_core.lab.toy2d.Mixture`.
    seed : int
        Seeds every random stream of the run (weights, data, latents, penalty mixing).
    device : str
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"`` or ``"cuda"``.
    points : array (K, 2), optional
        Points of a ``custom`` dataset.

    Attributes
    ----------
    history : list of dict
        One entry per generator step: ``step``, ``d_loss`` (the last D step's loss,
        gradient penalty included), ``g_loss``.
    snapshots : list of Snapshot
        Step 0, every ``config.snapshot_every`` generator steps, and any :meth:`snapshot` call.
    diverged : Divergence or None
        Set when a loss became NaN, infinite or larger than 1e6 in magnitude; the run then stops.
    """

    def __init__(self, config=None, dataset="ring8", seed: int = 0, device: str = "auto", *, points=None,
                 _engine=None, _index=0):
        if _engine is not None:
            self._engine, self._i, self._owner = _engine, _index, False
            return
        cfg = as_config(config)
        mix = make_dataset(dataset, points=points)
        self._engine, self._i, self._owner = _Engine([cfg], mix, [seed], resolve_device(device)), 0, True

    # properties ---------------------------------------------------------------------------
    config = property(lambda self: self._engine.configs[self._i])
    seed = property(lambda self: self._engine.seeds[self._i])
    dataset = property(lambda self: self._engine.dataset)
    device = property(lambda self: self._engine.device)
    history = property(lambda self: self._engine.history[self._i])
    snapshots = property(lambda self: self._engine.snapshots[self._i])
    diverged = property(lambda self: self._engine.diverged[self._i])
    step_count = property(lambda self: self._engine.g_steps[self._i])
    d_step_count = property(lambda self: self._engine.d_steps[self._i])
    train_seconds = property(lambda self: self._engine.t_train[self._i])

    # stepping ---------------------------------------------------------------------------------
    def step(self, n_d: int | None = None, n_g: int | None = None) -> None:
        """Advance training.

        ``step()`` runs one iteration (``n_critic`` discriminator steps, then one generator
        step).  ``step(n_d=k, n_g=0)`` runs exactly k discriminator steps, ``step(n_d=0,
        n_g=k)`` k generator steps, ``step(n_d=a, n_g=b)`` a then b.  Does nothing once the
        run has diverged.
        """
        for name, v in (("n_d", n_d), ("n_g", n_g)):
            if v is not None and (int(v) != v or v < 0):
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        if not self._owner:
            raise RuntimeError("this trainer is part of a LockstepTrainer; step the LockstepTrainer")
        self._engine.step(n_d, n_g)

    def train(self, iters: int, max_seconds: float | None = None) -> int:
        """Run up to ``iters`` iterations; stop early on divergence or after ``max_seconds``.

        Returns the number of iterations run.
        """
        return train_engines([self._engine], iters, max_seconds, lambda: self.diverged is not None, self._owner)

    # views ------------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """Snapshot now (reuses the last one if it was taken at this step)."""
        return self._engine.snapshot(self._i)

    def sample(self, n: int = 2500, seed: int | None = None) -> np.ndarray:
        """``n`` generated points, float32 (n, 2); fresh latents from ``seed`` (not the training streams)."""
        g = torch.Generator().manual_seed(stream_seed(self.seed if seed is None else seed, 99))
        z = draw_latent(n, self._engine.latent_dim, self.config.latent_dist, g)
        return self._engine._generate(self._i, z).float().cpu().numpy()

    def critic_grid(self, n: int = 100, extent=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw discriminator / critic output on an ``n x n`` grid.

        Returns ``(xs, ys, values)`` with ``values[j, i] = D(xs[i], ys[j])``: a logit for
        the minimax and non-saturating losses (sigmoid of it is D's probability of "real"),
        a score for the Wasserstein and hinge losses, a regression output for LSGAN (see
        ``LOSSES[config.loss].output``).  ``extent`` = (xmin, xmax, ymin, ymax), default the
        dataset's.  For a BiGAN the pair (x, E(x)) is scored.
        """
        eng = self._engine
        x0, x1, y0, y1 = extent if extent is not None else eng.dataset.extent
        xs = np.linspace(x0, x1, n, dtype=np.float32)
        ys = np.linspace(y0, y1, n, dtype=np.float32)
        xx, yy = np.meshgrid(xs, ys)
        pts = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1)).to(eng.device).unsqueeze(0)
        with torch.no_grad():
            if eng.bigan:
                pts = torch.cat([pts, eng.encode_mean(self._i, pts)], dim=-1)
            vals = eng.D(pts, eng.D.flat[self._i:self._i + 1])[0, :, 0]
        return xs, ys, vals.float().cpu().numpy().reshape(n, n)

    def generator_gradients(self, n: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Where the generator loss pushes each fake point.

        Returns ``(points, vectors)``, both (n, 2): ``vectors[i] = -d l(D(x_i)) / d x_i``,
        the negative gradient of the per-sample generator loss ``l`` (the loss of a batch
        is the mean of ``l``) at the fake point ``x_i = G(z_i)``.  Following it is the
        direction gradient descent moves the sample.  Uses the first n evaluation latents.
        (BiGAN: the fake pair's z is held fixed.)
        """
        eng, i = self._engine, self._i
        z = eng.eval_z[i][:n].to(eng.device)
        with torch.no_grad():
            x = eng.G(z.unsqueeze(0), eng.G.flat[i:i + 1])
        x = x.detach().requires_grad_(True)
        d_in = torch.cat([x, z.unsqueeze(0)], dim=-1) if eng.bigan else x
        out = eng.D(d_in, eng.D.flat[i:i + 1].detach()).squeeze(-1)
        loss = eng.specs[i].g_loss(out)  # mean over the n points
        (grad,) = torch.autograd.grad(loss.sum(), x)
        return x[0].detach().cpu().numpy(), (-grad[0] * x.shape[1]).cpu().numpy()

    def latent_grid(self, n: int = 21, span: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Image of an ``n x n`` latent grid under G.

        Latent coordinates z1, z2 run over ``[-span, span]`` (default :func:`latent_span` of
        the prior: 3 standard deviations of N(0, 1), or all of [-1, 1]); other latent
        coordinates are 0.  Returns ``(z_grid, x)``, shapes (n*n, 2) and
        (n*n, 2), row-major (z2 varies slowest), so lines of the grid can be drawn as a
        warped mesh.
        """
        eng = self._engine
        span = latent_span(self.config.latent_dist) if span is None else span
        t = np.linspace(-span, span, n, dtype=np.float32)
        zz1, zz2 = np.meshgrid(t, t)
        grid = np.stack([zz1.ravel(), zz2.ravel()], 1)
        z = torch.zeros(n * n, eng.latent_dim)
        k = min(2, eng.latent_dim)
        z[:, :k] = torch.from_numpy(grid[:, :k])
        return grid, eng._generate(self._i, z).float().cpu().numpy()

    def encode(self, x) -> np.ndarray:
        """BiGAN only: the encoder's latent code E(x) for points x of shape (n, 2)."""
        eng = self._engine
        if not eng.bigan:
            raise ValueError("this configuration has no encoder; set bigan=True")
        pts = torch.as_tensor(np.asarray(x, dtype=np.float32)).to(eng.device).unsqueeze(0)
        with torch.no_grad():
            return eng.encode_mean(self._i, pts)[0].cpu().numpy()

    def final_metrics(self) -> dict:
        """Metrics of a snapshot at the current step."""
        return dict(self.snapshot().metrics)


def train_engines(engines, iters, max_seconds=None, all_diverged=lambda: False, owner=True) -> int:
    """Step every engine ``iters`` times; stop early when ``all_diverged()`` or after ``max_seconds``."""
    if not owner:
        raise RuntimeError("this trainer is part of a LockstepTrainer; train the LockstepTrainer")
    if int(iters) != iters or iters < 0:
        raise ValueError(f"iters must be a non-negative integer, got {iters!r}")
    t0 = time.perf_counter()
    done = 0
    for _ in range(int(iters)):
        if all_diverged():
            break
        for eng in engines:
            eng.step()
        done += 1
        if max_seconds is not None and time.perf_counter() - t0 >= max_seconds:
            break
    return done


class LockstepTrainer:
    """Up to four configurations trained side by side on the same data and seed.

    Configurations sharing an architecture (see :meth:`ToyConfig.arch_key`), a number of
    critic steps and the use of a gradient penalty are stacked into one engine and run as
    batched tensor operations; each still owns its random
    streams, so member i ends exactly where ``Trainer(configs[i], dataset, seeds[i])``
    would.  A member that diverges stops; the others go on.

    ``lock[i]`` (or ``lock.members[i]``) is a :class:`Trainer` view of member i, for its
    history, snapshots and plotting helpers.
    """

    MAX_MEMBERS = 4

    def __init__(self, configs, dataset="ring8", seed: int = 0, device: str = "auto", *, seeds=None,
                 points=None):
        configs = [as_config(c) for c in configs]
        if not 1 <= len(configs) <= self.MAX_MEMBERS:
            raise ValueError(f"lockstep training takes 1 to {self.MAX_MEMBERS} configurations, got {len(configs)}")
        seeds = [seed] * len(configs) if seeds is None else list(seeds)
        if len(seeds) != len(configs):
            raise ValueError("give one seed per configuration")
        mix = make_dataset(dataset, points=points)
        self.engines, where = group_engines(configs, mix, seeds, resolve_device(device))
        self.members = [Trainer(_engine=eng, _index=i) for eng, i in where]

    def __len__(self):
        return len(self.members)

    def __getitem__(self, i) -> Trainer:
        return self.members[i]

    @property
    def g_steps(self) -> int:
        """Generator steps of the most advanced member (members move together unless one diverged)."""
        return max(m.step_count for m in self.members)

    @property
    def all_diverged(self) -> bool:
        return all(m.diverged is not None for m in self.members)

    def step(self, n_d: int | None = None, n_g: int | None = None) -> None:
        """Advance every member as :meth:`Trainer.step` does."""
        for eng in self.engines:
            eng.step(n_d, n_g)

    def train(self, iters: int, max_seconds: float | None = None) -> int:
        """Run up to ``iters`` iterations of every member (stops early when all diverged)."""
        return train_engines(self.engines, iters, max_seconds, lambda: self.all_diverged)
