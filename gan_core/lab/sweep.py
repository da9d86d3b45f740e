"""Sweeps: many runs (seeds x losses x learning rates x datasets) trained at once as stacked models.

Whether a GAN collapses depends on its seed; one run is one draw.  A sweep trains a grid of runs
and reports, per setting, the distribution of the outcome (mean, spread, a 95 % interval, the
share of runs that found every mode).

Typical use::

    from gan_core.lab.sweep import Sweep, sweep_runs
    sw = Sweep(sweep_runs("ring8", ["minimax", "wgan-gp"], seeds=range(16)))
    sw.train(progress=lambda done, total: ...)
    sw.records()      # one record per run, the single-run CLI's --json form
    sw.summary()      # one entry per setting: modes, high quality, all-modes share

How it runs: runs that can share stacked tensors (same dataset, architecture, critic schedule,
gradient penalty on or off, and length) form a group, split into stacks of at most
``max_stack``; each stack is one :class:`gan_core.lab.engine._Engine`.  Every run keeps its own
random streams, so run i of a sweep ends exactly where ``Trainer(config, dataset, seed)`` alone
would (tests/lab/test_sweep.py).  A page that shows a sweep calls :func:`sweep_runs`,
:class:`Sweep` (``train`` with a progress callback and ``max_seconds``), then ``summary()`` for
the per-setting statistics, ``records()`` for the dots, ``trainer(i).snapshot().samples`` for a
run's final points, and opens run i in the live lab with ``runs[i].config`` and ``runs[i].seed``.
"""
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

from gan_core.lab.config import ToyConfig, lab_defaults
from gan_core.lab.engine import _Engine, resolve_device
from gan_core.lab.records import mean_interval, run_record, share_interval
from gan_core.lab.toy2d import make_dataset
from gan_core.lab.trainer import Trainer

__all__ = ["SweepRun", "sweep_runs", "stack_key", "plan_stacks", "Sweep", "summarise", "MAX_RUNS"]

#: Most runs one sweep takes (a guard against a typo such as --seeds 10000).
MAX_RUNS = 4096


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: a configuration, a dataset name and a seed."""

    config: ToyConfig
    dataset: str
    seed: int


def _as_list(x, what: str) -> list:
    items = [x] if isinstance(x, (str, int, float)) else list(x)
    if not items:
        raise ValueError(f"give at least one {what}")
    return items


def sweep_runs(datasets, losses, seeds, lrs=None, iters: int | None = None, **overrides) -> list[SweepRun]:
    """The product grid datasets x losses x learning rates x seeds, in that nesting order.

    Each run's configuration is ``lab_defaults(loss, dataset, **overrides)``; a learning rate
    ``lr`` from ``lrs`` sets both ``lr_d`` and ``lr_g``; ``iters`` sets the run length (and the
    horizon of any learning-rate decay).  ``seeds`` is a count (seeds 0 .. n-1) or a list.
    """
    datasets, losses = _as_list(datasets, "dataset"), _as_list(losses, "loss")
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ValueError(f"the number of seeds must be at least 1, got {seeds}")
        seeds = range(int(seeds))
    seeds = [int(s) for s in _as_list(seeds, "seed")]
    lrs = [None] if lrs is None else [float(v) for v in _as_list(lrs, "learning rate")]
    for lr in lrs:
        if lr is not None and not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rates must be positive numbers, got {lr}")
    n = len(datasets) * len(losses) * len(lrs) * len(seeds)
    if n > MAX_RUNS:
        raise ValueError(f"a sweep takes at most {MAX_RUNS} runs; this grid has {n}")
    if iters is not None:
        if int(iters) != iters or iters < 1:
            raise ValueError(f"iters must be a positive integer, got {iters!r}")
        overrides["iters"] = int(iters)
    runs = []
    for ds, loss, lr in itertools.product(datasets, losses, lrs):
        extra = dict(overrides)
        if lr is not None:
            extra.update(lr_d=lr, lr_g=lr)
        cfg = lab_defaults(loss, ds, **extra)
        runs.extend(SweepRun(cfg, ds, s) for s in seeds)
    return runs


def stack_key(run: SweepRun) -> tuple:
    """Runs with equal keys can share one stacked engine (see :func:`plan_stacks`)."""
    c = run.config
    return (run.dataset, c.arch_key(), c.n_critic, c.gp_lambda > 0, c.iters)


def plan_stacks(runs, max_stack: int = 16) -> list[list[int]]:
    """Indices of ``runs`` grouped by :func:`stack_key`, each group cut into stacks of <= ``max_stack``.

    Runs of different shapes (widths, depths, batch, latent size) cannot share tensors; runs
    with different critic schedules or with and without a gradient penalty could, but masked
    critic steps would cost the others time; runs of different lengths would leave finished
    members in the stack.  Groups keep the order of first appearance.
    """
    if int(max_stack) != max_stack or max_stack < 1:
        raise ValueError(f"max_stack must be a positive integer, got {max_stack!r}")
    groups: dict[tuple, list[int]] = {}
    for i, run in enumerate(runs):
        groups.setdefault(stack_key(run), []).append(i)
    return [idx[k:k + max_stack] for idx in groups.values() for k in range(0, len(idx), max_stack)]


class Sweep:
    """A list of :class:`SweepRun` trained as stacked engines.

    Parameters
    ----------
    runs : list of SweepRun
        Usually :func:`sweep_runs`.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    max_stack : int
        Most runs per stacked engine.
    points : array (K, 2), optional
        Points of a ``custom`` dataset.
    cuda_graphs : bool
        Train each stack's whole iterations on fixed buffers (:meth:`_Engine.use_static_step`),
        captured as CUDA graphs on a CUDA device; the same numbers.  Stacks of BiGANs train the
        usual way.
    """

    def __init__(self, runs, device: str = "cpu", max_stack: int = 16, points=None, cuda_graphs: bool = False):
        self.runs = list(runs)
        if not self.runs:
            raise ValueError("a sweep needs at least one run")
        if len(self.runs) > MAX_RUNS:
            raise ValueError(f"a sweep takes at most {MAX_RUNS} runs, got {len(self.runs)}")
        self.device = resolve_device(device)
        mixtures = {name: make_dataset(name, points=points) for name in {r.dataset for r in self.runs}}
        self.stacks = plan_stacks(self.runs, max_stack)
        self.engines, self._where = [], [None] * len(self.runs)
        for idx in self.stacks:
            eng = _Engine([self.runs[i].config.validate() for i in idx], mixtures[self.runs[idx[0]].dataset],
                          [self.runs[i].seed for i in idx], self.device)
            for pos, i in enumerate(idx):
                self._where[i] = (eng, pos)
            if cuda_graphs and not eng.bigan:
                eng.use_static_step()
            self.engines.append(eng)
        self.wall_s = 0.0

    def __len__(self) -> int:
        return len(self.runs)

    def trainer(self, i: int) -> Trainer:
        """A :class:`Trainer` view of run ``i`` (its history, snapshots, samples and plots)."""
        eng, pos = self._where[i]
        return Trainer(_engine=eng, _index=pos)

    @property
    def total_iters(self) -> int:
        """Run-iterations of the whole sweep (each run's ``config.iters``, summed)."""
        return sum(r.config.iters for r in self.runs)

    def done_iters(self) -> int:
        return sum(min(g, c.iters) for eng in self.engines for g, c in zip(eng.g_steps, eng.configs))

    def train(self, progress=None, max_seconds: float | None = None, report_every_s: float = 0.2) -> bool:
        """Train every stack to its runs' ``config.iters`` (a diverged run stops early).

        ``progress(done, total)`` is called with run-iterations done and in all, about every
        ``report_every_s`` seconds and at the end.  Returns True when finished, False when
        ``max_seconds`` ran out first (``train`` again to go on).
        """
        t0 = time.perf_counter()
        last = t0
        total = self.total_iters
        finished = True
        for eng in self.engines:
            target = eng.configs[0].iters
            while max(eng.g_steps) < target and any(eng.alive):
                eng.step()
                now = time.perf_counter()
                if progress is not None and now - last >= report_every_s:
                    progress(self.done_iters(), total)
                    last = now
                if max_seconds is not None and now - t0 >= max_seconds:
                    finished = False
                    break
            if not finished:
                break
        self.wall_s += time.perf_counter() - t0
        if progress is not None:
            progress(self.done_iters(), total)
        return finished

    def records(self) -> list[dict]:
        """One record per run, in run order, in the single-run CLI's ``--json`` form."""
        return [run_record(self.trainer(i), iters_requested=r.config.iters, wall_s=self.wall_s)
                for i, r in enumerate(self.runs)]

    def summary(self, records=None) -> list[dict]:
        """Statistics per setting (runs that differ only in their seed), in order of appearance.

        Each entry: ``dataset``, ``loss``, ``lr_d``, ``lr_g``, ``config``, ``n_runs``, ``seeds``,
        ``modes_captured`` and ``high_quality`` (:func:`gan_core.lab.records.mean_interval` of
        the final values, the interval clipped to the possible range), ``all_modes`` (:func:`gan_core.lab.records.share_interval` of the runs
        that found every mode) and ``diverged`` (how many runs blew up).
        """
        records = self.records() if records is None else records
        return summarise(records)


def summarise(records) -> list[dict]:
    """:meth:`Sweep.summary` of a list of run records (e.g. read back from a sweep's JSON)."""
    cells: dict[tuple, list[dict]] = {}
    for rec in records:
        cfg = dict(rec["config"])
        key = (rec["dataset"], tuple(sorted((k, str(v)) for k, v in cfg.items())))
        cells.setdefault(key, []).append(rec)
    out = []
    for (dataset, _), recs in cells.items():
        cfg = recs[0]["config"]
        modes = [r["metrics"]["modes_captured"] for r in recs]
        n_modes = recs[0]["metrics"]["n_modes"]
        out.append({
            "dataset": dataset, "loss": cfg["loss"], "lr_d": cfg["lr_d"], "lr_g": cfg["lr_g"],
            "config": cfg, "n_runs": len(recs), "seeds": [r["seed"] for r in recs], "n_modes": n_modes,
            "modes_captured": _clipped(mean_interval(modes), 0, n_modes),
            "high_quality": _clipped(mean_interval([r["metrics"]["high_quality"] for r in recs]), 0, 1),
            "all_modes": share_interval(sum(m == n_modes for m in modes), len(recs)),
            "diverged": sum(r["diverged"] is not None for r in recs),
        })
    return out


def _clipped(stat: dict, lo: float, hi: float) -> dict:
    # The t interval of a bounded quantity can reach past its bounds (3 runs with 0, 0 and 1
    # modes: -1.1 to 1.8); the values outside are impossible, so the interval stops at them.
    stat = dict(stat)
    stat["ci"] = [min(max(v, lo), hi) if v == v else v for v in stat["ci"]]
    return stat
