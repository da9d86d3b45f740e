"""The mode table: per-run records of many seeds summarised as rates with intervals, beside the
literature's numbers.

``scripts/mode_table.py`` trains the runs (one sweep) and writes the per-run rows to
``docs/mode_table.json``; this module turns those rows into the summary that both the markdown
table (``docs/mode_table.md``) and the Sweeps page show, so the two can never disagree.

A row (one run) is a dict with ``loss``, ``dataset``, ``seed``, ``iters``, ``modes``, ``n_modes``,
``hq`` (a share in [0, 1]), ``rkl``, ``w1``, ``wall_s``, ``cpu_s``, ``diverged`` (None or a message)
and ``tag``: ``"default"`` for the lab's default settings, ``"collapse"`` for the collapse preset,
``"collapse-wgan-gp"`` for the WGAN-GP runs beside it.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from gan_core.lab import toy2d
from gan_core.lab.losses import LOSSES
from gan_core.lab.metrics import PROTOCOL_SAMPLES, mode_stats, wasserstein1
from gan_core.lab.records import mean_interval, share_interval

__all__ = ["LITERATURE", "LIT_FOR", "COLLAPSED_AT_MOST", "BASELINES", "load_rows", "loss_cells", "collapse_cells",
           "baseline_rows", "baseline_cells", "table_seeds", "literature_for", "mean_text"]

#: Published mode coverage, (ring modes, ring HQ %, grid modes, grid HQ %), 2500 samples and a
#: 3-std quality radius.  GAN and Unrolled GAN: VEEGAN (Srivastava et al. 2017, Table 1);
#: WGAN-GP: GDPP (Elfeki et al. 2019, Table 1); PacGAN4: Lin et al. 2018, Table 2; VEEGAN: its
#: own Table 1.
LITERATURE = {
    "GAN (VEEGAN Table 1)": (1, 99.3, 3.3, 0.5),
    "Unrolled GAN (VEEGAN Table 1)": (7.6, 35.6, 23.6, 16.0),
    "VEEGAN (VEEGAN Table 1)": (8, 52.9, 24.6, 40.0),
    "WGAN-GP (GDPP Table 1)": (6.8, 59.6, 24.2, 28.7),
    "PacGAN4 (PacGAN Table 2)": (7.8, 95.9, 24.8, 93.6),
}
#: Which literature row sits beside which of the lab's losses.
LIT_FOR = {"minimax": "GAN (VEEGAN Table 1)", "non-saturating": "GAN (VEEGAN Table 1)",
           "wgan-gp": "WGAN-GP (GDPP Table 1)"}
#: The two trivial generators each loss is read against, with the same protocol and seeds: the real
#: mixture itself (what a perfect generator scores: 3 std around a 2-D Gaussian's centre hold
#: 1 - exp(-9/2) = 98.9 % of its samples) and points drawn uniformly over the lab's plotting box
#: (no learning at all: on grid25 it still "finds" about 17 of the 25 modes, which is why modes
#: found says little without high quality %).
BASELINES = ("real data", "uniform noise")
#: A run of the collapse preset counts as collapsed when it found at most this many of ring8's modes.
COLLAPSED_AT_MOST = 2


def load_rows(path: Path) -> list[dict]:
    """The per-run rows of a mode-table JSON file; ValueError (with the reason) when it is not one."""
    try:
        rows = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{Path(path).name} cannot be read: {exc}") from exc
    need = {"loss", "dataset", "seed", "modes", "n_modes", "hq", "tag"}
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and need <= r.keys() for r in rows):
        raise ValueError(f"{Path(path).name} is not a list of mode-table runs")
    return rows


def literature_for(loss: str, dataset: str) -> tuple[str, float, float] | None:
    """``(source, modes, hq_percent)`` the literature reports for ``loss`` on ``dataset``, if any."""
    name = LIT_FOR.get(loss)
    if name is None or dataset not in ("ring8", "grid25"):
        return None
    ring_m, ring_hq, grid_m, grid_hq = LITERATURE[name]
    return (name, ring_m, ring_hq) if dataset == "ring8" else (name, grid_m, grid_hq)


def _finite(rows, key):
    return [r[key] for r in rows if r.get(key) is not None and math.isfinite(r[key])]


def _cell(runs: list[dict]) -> dict:
    n_modes = runs[0]["n_modes"]
    return {
        "n_runs": len(runs), "n_modes": n_modes, "iters": runs[0].get("iters"),
        "seeds": sorted(r["seed"] for r in runs),
        "modes": mean_interval([r["modes"] for r in runs]),
        "hq_percent": mean_interval([100 * r["hq"] for r in runs]),
        "rkl": mean_interval(_finite(runs, "rkl")), "rkl_infinite": len(runs) - len(_finite(runs, "rkl")),
        "w1": mean_interval(_finite(runs, "w1")),
        "all_modes": share_interval(sum(r["modes"] == n_modes for r in runs), len(runs)),
        "diverged": sum(bool(r.get("diverged")) for r in runs),
        "wall_s": sum(r.get("wall_s", 0.0) for r in runs) / len(runs),
        "cpu_s": sum(r.get("cpu_s", 0.0) for r in runs) / len(runs),
    }


def loss_cells(rows: list[dict], dataset: str) -> list[dict]:
    """One summary per loss (in the lab's order) of the default-settings runs on ``dataset``:
    ``loss``, ``n_runs``, ``modes`` / ``hq_percent`` / ``rkl`` / ``w1`` (mean, std and 95 % t
    interval), ``all_modes`` (share of runs that found every mode, Wilson interval), ``diverged``,
    mean ``wall_s`` / ``cpu_s`` per run, and ``literature`` (see :func:`literature_for`)."""
    cells = []
    for loss in LOSSES:
        runs = [r for r in rows if r["loss"] == loss and r["dataset"] == dataset and r.get("tag") == "default"]
        if runs:
            cells.append({"loss": loss, **_cell(runs), "literature": literature_for(loss, dataset)})
    return cells


def table_seeds(rows: list[dict], dataset: str) -> tuple[int, ...]:
    """The seeds of the default-settings runs on ``dataset``: the seeds the baselines are scored on."""
    return tuple(sorted({r["seed"] for r in rows if r["dataset"] == dataset and r.get("tag") == "default"}))


def baseline_rows(dataset: str, seeds) -> list[dict]:
    """Per seed, the rows the two :data:`BASELINES` would have in the table for ``dataset``
    (``loss`` is the baseline's name, ``tag`` ``"baseline"``, ``iters`` 0): 2,500 points of the real
    mixture, and 2,500 uniform over its plotting box (``Mixture.extent``), scored like a trained
    generator (modes, high quality, reverse KL; W1 against another 2,500 real points)."""
    mix = toy2d.make_dataset(dataset)
    x0, x1, y0, y1 = mix.extent
    n = PROTOCOL_SAMPLES
    rows = []
    for seed in seeds:
        rng = np.random.default_rng([int(seed), 2])
        reference = mix.sample(n, rng)
        points = {"real data": mix.sample(n, rng),
                  "uniform noise": np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])}
        for name in BASELINES:
            ms = mode_stats(points[name], mix.centres, mix.std)
            rows.append({"loss": name, "dataset": dataset, "seed": int(seed), "iters": 0,
                         "modes": ms.modes_captured, "n_modes": ms.n_modes, "hq": ms.high_quality,
                         "rkl": ms.reverse_kl, "w1": wasserstein1(points[name], reference, n=500, rng=0),
                         "diverged": None, "wall_s": 0.0, "cpu_s": 0.0, "tag": "baseline"})
    return rows


def baseline_cells(dataset: str, seeds) -> list[dict]:
    """:func:`loss_cells`' summary for the two :data:`BASELINES` on ``dataset`` over ``seeds``."""
    rows = baseline_rows(dataset, seeds)
    return [{"loss": name, **_cell([r for r in rows if r["loss"] == name]), "literature": None}
            for name in BASELINES]


def collapse_cells(rows: list[dict]) -> list[dict]:
    """The collapse preset's runs and the WGAN-GP runs beside them, each with the share of runs that
    collapsed (at most :data:`COLLAPSED_AT_MOST` modes) and the share that found every mode."""
    cells = []
    for tag, name in (("collapse", "minimax (collapse preset)"), ("collapse-wgan-gp", "wgan-gp (lab defaults)")):
        runs = [r for r in rows if r.get("tag") == tag]
        if runs:
            cells.append({"tag": tag, "name": name, **_cell(runs),
                          "collapsed": share_interval(sum(r["modes"] <= COLLAPSED_AT_MOST for r in runs), len(runs))})
    return cells


def mean_text(st: dict, fmt: str, lo: float = -math.inf, hi: float = math.inf,
              between: str = "{} [{}, {}]", empty: str = "n/a") -> str:
    """A ``mean_interval`` dict as text: the mean and its 95 % interval clipped to [lo, hi] (what is
    possible: no negative counts, no share over 100 %), ``between`` placing mean, low and high; the
    mean alone for one run or an interval that is not finite, ``empty`` for no runs."""
    if st["n"] == 0:
        return empty
    if st["n"] == 1 or not all(math.isfinite(v) for v in st["ci"]):
        return fmt.format(st["mean"])
    a, b = (min(max(v, lo), hi) for v in st["ci"])
    return between.format(fmt.format(st["mean"]), fmt.format(a), fmt.format(b))
