"""The training lab's state machine, free of Streamlit: one run of 1 to 4 configurations.

The lab page keeps one :class:`LabSession` in ``st.session_state`` and, on every refresh
of its timer fragment, calls :meth:`LabSession.advance` (train for a time budget), then
:meth:`LabSession.views` (what to draw).  Everything here is plain Python, so the
behaviour the page relies on is tested without a browser.

* **Training** is delegated to :class:`gan_core.lab.trainer.LockstepTrainer` (one member
  is a single run): every configuration sees the same data stream and seed.
* **Metrics** (modes captured, high-quality fraction, reverse KL, W1; the VEEGAN /
  PacGAN protocol on 2500 samples) are the engine's snapshots.  A snapshot costs
  tens of milliseconds (W1 is an exact assignment on 500 points), so the session takes
  one only after at least ``1 / metric_overhead`` times its last cost in training time:
  metrics take at most ~``metric_overhead`` of the compute, whatever the machine's load.
* **Timeline**: after every chunk the session keeps a light :class:`Frame` (500
  generated points and a 30 x 30 discriminator grid per member); when more than
  ``max_frames`` accumulate every second one is dropped, so a long run keeps frames
  spread over its whole length.
* **Fair sharing** (the caller's job, with :mod:`gan_core.lab.run_registry`): ``max_steps``
  caps the generator steps of a run.
"""
from __future__ import annotations

import json
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gan_core.lab import worker as lab_worker
from gan_core.lab.losses import get_loss
from gan_core.lab.metrics import PROTOCOL_SAMPLES, nearest_centre, wasserstein1
from gan_core.lab.toy2d import Mixture, make_dataset
from gan_core.lab.config import ToyConfig
from gan_core.lab.trainer import LockstepTrainer

__all__ = ["LabSession", "Frame", "MemberView", "output_kind", "to_display", "LIVE_POINTS", "GRID",
           "DEFAULT_LAB_DEVICE", "available_lab_devices", "device_help"]

#: Generated (and real) points drawn live per configuration.
LIVE_POINTS = 600
#: Heatmap resolution (GRID x GRID cells) of the live view.
GRID = 60
#: Arrows drawn for the generator's gradient.
ARROWS = 256
#: Latent grid side for the manifold view.
LATENT_SIDE = 21
#: Where the lab trains unless the visitor picks otherwise: the CPU.  Networks of a few thousand
#: weights are bound by the cost of launching each small operation, not by arithmetic, so a GPU
#: was never faster here and often half as fast (``docs/bench_device.json``, written by
#: ``scripts/bench_device.py --json`` on a machine with an H100; removing the per-step
#: device-to-host copy changed nothing).
LAB_DEVICES = {"cpu": "CPU", "cuda": "GPU (CUDA)"}
DEFAULT_LAB_DEVICE = "cpu"
BENCH_DEVICE_RECORD = Path(__file__).resolve().parents[2] / "docs" / "bench_device.json"
_DEVICE_CASES = (("ring8 minimax", "the original GAN on the ring"), ("ring8 wgan-gp", "WGAN-GP on the ring"),
                 ("grid25 wgan-gp", "WGAN-GP on the grid"), ("ring8 compare-all x4", "four losses side by side"))


def device_help(record: Path = BENCH_DEVICE_RECORD) -> str:
    """Why the lab defaults to the CPU, with the figures of the recorded benchmark."""
    text = ("These networks have a few thousand weights: each step is many tiny operations, and a GPU spends "
            "more time launching them than computing.")
    try:
        bench = json.loads(Path(record).read_text())
        rows = bench["rows"]
        figures = "; ".join(f"{label} {rows[key]['cpu']:.0f} vs {rows[key]['cuda']:.0f}" for key, label in _DEVICE_CASES)
        text += (f" Measured on a machine with an {bench['gpu']} (`scripts/bench_device.py`), iterations a second on "
                 f"the CPU ({bench['threads']} threads) vs the GPU: {figures}.")
    except (OSError, ValueError, KeyError, TypeError):
        pass  # the record is missing or damaged: the reason alone
    return text + " So the lab trains on the CPU unless you choose the GPU here."


def available_lab_devices() -> list[str]:
    """The lab's device choices on this machine: the CPU, and CUDA when a GPU is present."""
    import torch

    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


#: Timeline frames keep fewer points and a coarser grid.
FRAME_POINTS = 500
FRAME_GRID = 30


@contextmanager
def torch_threads(n: int | None):
    """Run the block with ``n`` torch CPU threads, then restore the previous number.

    The lab's networks are tiny: a second thread only adds synchronisation, and on a
    crowded machine OpenMP threads waiting for each other make a step many times slower
    (measured here: one lockstep iteration 0.3 s with 1 thread, 3-14 s with 2, load ~19
    on 2 cores).  Restoring keeps the rest of the server (image GAN pages) unaffected.
    """
    if n is None:
        yield
        return
    import torch

    old = torch.get_num_threads()
    if old == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def output_kind(loss: str) -> str:
    """``"probability"`` for logit discriminators (shown as sigmoid), ``"critic"`` for scores,
    ``"least-squares"`` for LSGAN's regression output."""
    out = get_loss(loss).output
    return {"logit": "probability", "score": "critic"}.get(out, "least-squares")


def to_display(loss: str, raw: np.ndarray) -> np.ndarray:
    """The discriminator's raw output as shown: ``sigmoid(raw)`` (D's probability of "real",
    in [0, 1]) for logit discriminators, the raw value otherwise (critic score, unitless)."""
    raw = np.asarray(raw, dtype=np.float64)
    if output_kind(loss) == "probability":
        # Stable logistic: exp of a non-positive number never overflows.
        e = np.exp(-np.abs(raw))
        return np.where(raw >= 0, 1 / (1 + e), e / (1 + e))
    return raw


@dataclass
class Frame:
    """One moment of a run, for the timeline."""

    step: int  # generator steps of the first member
    steps: list  # generator steps of each member
    fakes: list  # per member (FRAME_POINTS, 2) float32
    heat: list  # per member (FRAME_GRID, FRAME_GRID) float32, display values (see to_display)
    metrics: list  # per member: the latest metric snapshot's metrics dict at that time (or None)


@dataclass
class MemberView:
    """Everything the live view draws for one configuration."""

    label: str
    loss: str
    kind: str  # output_kind(loss)
    step: int
    d_steps: int
    fakes: np.ndarray  # (n, 2)
    grid_x: np.ndarray  # (GRID,)
    grid_y: np.ndarray  # (GRID,)
    heat: np.ndarray  # (GRID, GRID) display values, heat[j, i] at (grid_x[i], grid_y[j])
    arrow_points: np.ndarray | None  # (ARROWS, 2)
    arrow_vectors: np.ndarray | None  # (ARROWS, 2): minus the gradient of the per-sample G loss
    manifold: np.ndarray | None  # (LATENT_SIDE**2, 2) image of the latent grid, or None
    manifold_side: int
    encoded: np.ndarray | None  # BiGAN: E(x) of the live real points, (n, min(2, latent)) or None
    diverged: str | None


class LabSession:
    """One lab run: 1 to 4 configurations trained in lockstep on one dataset and seed.

    Parameters
    ----------
    configs : list of ToyConfig
        1 to 4 configurations.  Their ``snapshot_every`` is set to 0: the session decides
        when to take metric snapshots (see module doc).
    labels : list of str
        A name per configuration, for legends and tables.
    dataset : str or Mixture
        As :func:`gan_core.lab.toy2d.make_dataset` takes it; ``points`` for ``"custom"``.
    seed : int
        The seed of every configuration (same data stream, same initial draws).
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    max_steps : int
        Generator steps after which the run stops (the server's per-run cap).
    metric_overhead : float
        Largest share of compute that metric snapshots may take (0 < x < 1).
    max_frames : int
        Timeline frames kept.
    threads : int or None
        Torch CPU threads while this session computes (see :func:`torch_threads`); None
        leaves torch's setting alone.
    background : bool
        While running, train in a forked child process (:mod:`gan_core.lab.worker`) and only
        pull its state on :meth:`advance`, so drawing never pauses training.  CPU runs on
        platforms with ``fork`` only; elsewhere the session trains in-process as without it.
    """

    def __init__(self, configs, labels=None, dataset="ring8", seed: int = 0, device: str = "auto", *,
                 points=None, max_steps: int = 10_000, metric_overhead: float = 0.05, max_frames: int = 200,
                 threads: int | None = 1, background: bool = False):
        configs = [c if isinstance(c, ToyConfig) else ToyConfig.from_dict(c) for c in configs]
        if not 1 <= len(configs) <= LockstepTrainer.MAX_MEMBERS:
            raise ValueError(f"the lab trains 1 to {LockstepTrainer.MAX_MEMBERS} configurations, got {len(configs)}")
        if not 0 < metric_overhead < 1:
            raise ValueError("metric_overhead must lie strictly between 0 and 1")
        if int(max_steps) < 1:
            raise ValueError("max_steps must be at least 1")
        self.configs = [replace(c, snapshot_every=0).validate() for c in configs]
        self.labels = list(labels) if labels is not None else [c.loss for c in configs]
        if len(self.labels) != len(self.configs):
            raise ValueError("give one label per configuration")
        self.mixture: Mixture = make_dataset(dataset, points=points)
        self.seed = int(seed)
        self.max_steps = int(max_steps)
        self.metric_overhead = float(metric_overhead)
        self.max_frames = int(max_frames)
        self.threads = threads
        with torch_threads(threads):
            self.lock = LockstepTrainer(self.configs, self.mixture, seed=self.seed, device=device)
        self.running = False
        # One thread at a time trains, steps, pauses or snapshots. Streamlit starts the run of a
        # click (Pause) in a new thread while the stopped run's thread may still be inside advance()
        # (the live view's loop): without this, both talked to the worker's pipe at once (a garbled
        # message, seen once in CI's ten-session load test), and a late advance() re-forked the
        # child after Pause.
        self._guard = threading.RLock()
        # Train in a forked child while running (gan_core.lab.worker), where the platform allows.
        self.worker = (lab_worker.BackgroundTrainer(self.lock, self.max_steps, threads=threads)
                       if background and lab_worker.supported(self.device) else None)
        # Bookkeeping for throughput and the metric cadence (seconds of wall time).
        self.train_wall_s = 0.0  # inside LockstepTrainer.train / step
        self.metric_wall_s = 0.0
        self.view_wall_s = 0.0
        self._train_since_metric = 0.0
        self._last_metric_cost = 0.0
        self.frames: list[Frame] = []
        rng = np.random.default_rng(self.seed)
        self.real_points = self.mixture.sample(LIVE_POINTS, rng)
        self._real_modes = nearest_centre(self.real_points, self.mixture.centres)[0]
        # What W1 reads for a perfect generator: two real samples of the protocol's size, same
        # estimator (a finite-sample estimate of W1 is never 0).
        self.w1_floor = wasserstein1(self.mixture.sample(PROTOCOL_SAMPLES, rng), self.mixture.sample(PROTOCOL_SAMPLES, rng),
                                     n=500, rng=0)
        with torch_threads(threads):
            self._record_frame()

    # ------------------------------------------------------------------ state
    @property
    def members(self):
        return self.lock.members

    @property
    def device(self) -> str:
        return str(self.members[0].device)

    @property
    def step(self) -> int:
        """Generator steps done (the most advanced member; members move together unless one diverged)."""
        return self.lock.g_steps

    @property
    def d_step(self) -> int:
        """Discriminator steps done by the most advanced member."""
        return max(m.d_step_count for m in self.members)

    @property
    def all_diverged(self) -> bool:
        return self.lock.all_diverged

    @property
    def at_cap(self) -> bool:
        return self.step >= self.max_steps

    @property
    def can_train(self) -> bool:
        return not (self.at_cap or self.all_diverged)

    def start(self) -> None:
        self.running = self.can_train

    def pause(self) -> None:
        with self._guard:
            self.running = False
            self._stop_worker()
            with torch_threads(self.threads):
                self.take_metrics()

    def _stop_worker(self) -> None:
        """Bring a background run's final state home (no-op when training in-process)."""
        if self.worker is not None and self.worker.alive:
            self._count_training(self.worker.stop())

    def _count_training(self, seconds: float) -> None:
        self.train_wall_s += seconds
        self._train_since_metric += seconds

    # ------------------------------------------------------------------ stepping
    def advance(self, budget_s: float, max_iters: int | None = None) -> int:
        with self._guard, torch_threads(self.threads):
            return self._advance(budget_s, max_iters)

    def _advance(self, budget_s: float, max_iters: int | None = None) -> int:
        """Train up to ``budget_s`` seconds (and at most ``max_iters`` iterations); returns iterations run.

        Stops the session (``running = False``) at the step cap or when every member diverged.
        Takes a metric snapshot when its share of compute allows (module doc) and records a
        timeline frame.  Does nothing unless the session is running (see :meth:`start`).
        """
        if not self.running:
            return 0
        if not self.can_train:
            self.running = False
            return 0
        remaining = self.max_steps - self.step
        iters = remaining if max_iters is None else min(int(max_iters), remaining)
        before = self.step
        if self.worker is not None:
            # The child trains all the time; this only pulls its latest state (waiting at most the
            # budget for a first new step, so every refresh shows progress).
            self._count_training(self.worker.sync(grant=None if max_iters is None else max(iters, 0),
                                                  wait_s=max(float(budget_s), 0.0)))
            done = self.step - before
        else:
            t0 = time.perf_counter()
            done = self.lock.train(max(iters, 0), max_seconds=max(float(budget_s), 0.0))
            self._count_training(time.perf_counter() - t0)
        if self._train_since_metric * self.metric_overhead >= self._last_metric_cost:
            self.take_metrics()
        if not self.can_train:
            self.running = False
            self._stop_worker()
            self.take_metrics()
        self._record_frame()
        return done

    def _single(self, n_d, n_g) -> None:
        with self._guard:
            self._single_unguarded(n_d, n_g)

    def _single_unguarded(self, n_d, n_g) -> None:
        self._stop_worker()
        if not self.can_train:
            return
        with torch_threads(self.threads):
            t0 = time.perf_counter()
            self.lock.step(n_d=n_d, n_g=n_g)
            self.train_wall_s += time.perf_counter() - t0
            self.take_metrics()
            self._record_frame()

    def step_discriminator(self) -> None:
        """Exactly one discriminator / critic step of every member (the generator stays put)."""
        self._single(1, 0)

    def step_generator(self) -> None:
        """Exactly one generator step of every member (the discriminator stays put)."""
        self._single(0, 1)

    def step_both(self) -> None:
        """One full iteration of every member: its ``n_critic`` discriminator steps, then one generator step."""
        self._single(None, None)

    # ------------------------------------------------------------------ metrics
    def take_metrics(self) -> None:
        """Snapshot every member now (the engine reuses a snapshot already taken at this step)."""
        with self._guard:
            self._take_metrics()

    def _take_metrics(self) -> None:
        t0 = time.perf_counter()
        for m in self.members:
            if m.diverged is None:  # a diverged generator's points say nothing
                m.snapshot()
        cost = time.perf_counter() - t0
        self.metric_wall_s += cost
        self._last_metric_cost = cost
        self._train_since_metric = 0.0

    def latest_metrics(self, i: int) -> tuple[int, dict]:
        """``(step, metrics)`` of member i's latest snapshot."""
        snap = self.members[i].snapshots[-1]
        return snap.step, snap.metrics

    def metric_history(self, i: int) -> dict:
        """Member i's snapshots as columns: step, modes, n_modes, high_quality (fraction),
        reverse_kl (nats), w1 (data units)."""
        snaps = self.members[i].snapshots
        cols = {"step": [s.step for s in snaps]}
        for key in ("modes_captured", "n_modes", "high_quality", "reverse_kl", "w1"):
            cols[key] = [float(s.metrics[key]) for s in snaps]
        return cols

    def loss_history(self, i: int, max_points: int = 600) -> dict:
        """Member i's losses per generator step, thinned to at most ``max_points`` by averaging
        consecutive steps (so a long run still draws cheaply): step, d_loss, g_loss."""
        hist = self.members[i].history
        if not hist:
            return {"step": np.zeros(0), "d_loss": np.zeros(0), "g_loss": np.zeros(0)}
        steps = np.fromiter((h["step"] for h in hist), float, len(hist))
        d = np.fromiter((h["d_loss"] for h in hist), float, len(hist))
        g = np.fromiter((h["g_loss"] for h in hist), float, len(hist))
        k = max(1, math.ceil(len(hist) / max_points))
        if k > 1:
            n = len(hist) // k * k
            steps, d, g = (a[:n].reshape(-1, k).mean(1) for a in (steps, d, g))
        return {"step": steps, "d_loss": d, "g_loss": g}

    def throughput(self) -> dict:
        """Wall seconds spent training, on metrics, on views; generator iterations per second of training."""
        steps = self.step
        return {"train_s": self.train_wall_s, "metric_s": self.metric_wall_s, "view_s": self.view_wall_s,
                "it_per_train_s": steps / self.train_wall_s if self.train_wall_s > 0 else 0.0}

    # ------------------------------------------------------------------ views
    def _heat(self, i: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xs, ys, raw = self.members[i].critic_grid(n, extent=self.mixture.extent)
        return xs, ys, to_display(self.configs[i].loss, raw).astype(np.float32)

    def _record_frame(self) -> None:
        fakes, heats, mets = [], [], []
        for i, m in enumerate(self.members):
            fakes.append(m.sample(FRAME_POINTS, seed=self.seed))
            heats.append(self._heat(i, FRAME_GRID)[2])
            mets.append(dict(m.snapshots[-1].metrics) if m.snapshots else None)
        frame = Frame(self.step, [m.step_count for m in self.members], fakes, heats, mets)
        if self.frames and self.frames[-1].steps == frame.steps:
            self.frames[-1] = frame  # nothing trained since: refresh instead of duplicating
        else:
            self.frames.append(frame)
        if len(self.frames) > self.max_frames:
            # Keep the first and the last; drop every second one in between.
            self.frames = self.frames[:-1:2] + [self.frames[-1]]

    def frame_at(self, position: float) -> Frame:
        """The kept timeline frame at ``position`` percent of the run (0: the first, 100: the
        latest; values outside [0, 100] are clamped)."""
        last = len(self.frames) - 1
        return self.frames[min(max(int(round(position / 100 * last)), 0), last)]

    def views(self, arrows: bool = True, manifold: bool = True) -> list[MemberView]:
        """What the live view draws for every member (see :class:`MemberView`)."""
        with torch_threads(self.threads):
            return self._views(arrows, manifold)

    def _views(self, arrows: bool, manifold: bool) -> list[MemberView]:
        t0 = time.perf_counter()
        out = []
        for i, m in enumerate(self.members):
            cfg = self.configs[i]
            xs, ys, heat = self._heat(i, GRID)
            pts = vec = None
            if arrows:
                pts, vec = m.generator_gradients(ARROWS)
            man = None
            if manifold and cfg.latent_dim <= 2:
                man = m.latent_grid(LATENT_SIDE)[1]
            enc = None
            if cfg.bigan:
                enc = m.encode(self.real_points)[:, :2]
            out.append(MemberView(
                label=self.labels[i], loss=cfg.loss, kind=output_kind(cfg.loss), step=m.step_count,
                d_steps=m.d_step_count, fakes=m.sample(LIVE_POINTS, seed=self.seed), grid_x=xs, grid_y=ys,
                heat=heat, arrow_points=pts, arrow_vectors=vec, manifold=man, manifold_side=LATENT_SIDE,
                encoded=enc, diverged=m.diverged.message() if m.diverged is not None else None))
        self.view_wall_s += time.perf_counter() - t0
        return out

    @property
    def real_modes(self) -> np.ndarray:
        """Index of the nearest mode centre of each live real point (to colour the BiGAN latents)."""
        return self._real_modes

    # ------------------------------------------------------------------ save / load
    def to_archive(self) -> bytes:
        """The whole run as one safetensors file (:mod:`gan_core.lab.archive`)."""
        from gan_core.lab import archive

        return archive.save(self)

    @classmethod
    def from_archive(cls, data: bytes, *, background: bool = False, threads: int | None = 1) -> "LabSession":
        """The run saved in ``data`` by :meth:`to_archive`, ready to continue or replay (on the CPU).

        Raises :class:`gan_core.lab.archive.ArchiveError` (a ``ValueError``) with a sentence for the
        visitor when the file is damaged, hostile or not a saved run."""
        from gan_core.lab import archive

        return archive.restore(archive.load(data), background=background, threads=threads)
