"""What a finished run reports: its JSON record (the CLI's ``--json``), and statistics over many runs.

* :func:`run_record`: one run as the single-run CLI writes it (config, dataset, seed, metrics,
  timings, divergence, snapshot metrics).  A sweep's ``runs`` are the same records.
* :func:`mean_interval`: mean, spread (sample standard deviation) and a 95 % confidence
  interval for the mean (Student's t with n - 1 degrees of freedom).
* :func:`share_interval`: a share of successes k / n with its 95 % Wilson score interval
  (which stays inside [0, 1] and is sensible at k = 0 or k = n, unlike the normal approximation).
* :func:`finite_or_none`: strict JSON has no NaN or infinity; undefined values become null.
"""
from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import torch
from scipy import stats

__all__ = ["run_record", "mean_interval", "share_interval", "finite_or_none", "Z95"]

#: Two-sided 95 % quantile of the standard normal distribution.
Z95 = float(stats.norm.ppf(0.975))


def run_record(tr, *, iters_requested: int, wall_s: float, preset: str | None = None) -> dict:
    """The JSON record of the run behind :class:`gan_core.lab.trainer.Trainer` ``tr``, taken now."""
    snap = tr.snapshot()
    return {
        "config": tr.config.to_dict(), "dataset": tr.dataset.name, "seed": tr.seed, "preset": preset,
        "iters_requested": iters_requested, "iters_done": tr.step_count,
        "metrics": dict(snap.metrics),
        "wall_s": wall_s, "train_s": tr.train_seconds, "device": str(tr.device),
        "iters_per_s": tr.step_count / tr.train_seconds if tr.train_seconds > 0 else None,
        "torch_threads": torch.get_num_threads(),
        "diverged": asdict(tr.diverged) if tr.diverged else None,
        "snapshots": [{"step": s.step, **{k: v for k, v in s.metrics.items() if k != "histogram"}}
                      for s in tr.snapshots],
    }


def mean_interval(values, level: float = 0.95) -> dict:
    """``{"n", "mean", "std", "ci": [lo, hi]}`` of the finite ``values``.

    ``std`` is the sample standard deviation (n - 1 in the denominator); ``ci`` is
    ``mean +- t_{(1+level)/2, n-1} std / sqrt(n)``.  With one value the spread and the interval
    are undefined (NaN); with none, everything but n is.
    """
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return {"n": 0, "mean": math.nan, "std": math.nan, "ci": [math.nan, math.nan]}
    mean = float(x.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "std": math.nan, "ci": [math.nan, math.nan]}
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf((1 + level) / 2, n - 1)) * std / math.sqrt(n)
    return {"n": n, "mean": mean, "std": std, "ci": [mean - half, mean + half]}


def share_interval(k: int, n: int, z: float = Z95) -> dict:
    """``{"k", "n", "share", "ci": [lo, hi]}``: the share k / n and its Wilson score interval."""
    if n <= 0:
        return {"k": int(k), "n": int(n), "share": math.nan, "ci": [math.nan, math.nan]}
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return {"k": int(k), "n": int(n), "share": p, "ci": [max(0.0, centre - half), min(1.0, centre + half)]}


def finite_or_none(obj):
    """``obj`` with every NaN or infinite float (at any depth) replaced by None, numpy scalars as Python's."""
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_none(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
