"""Where a collapsing generator's samples sit over a run: on one mode, hopping, or between modes.

The textbook picture of mode collapse on a ring of Gaussians (Metz et al. 2017, fig. 1) is a
generator that puts nearly all its samples on *one* mode, then, as the discriminator catches
up, moves them to another.  :func:`trace` measures a run against that picture every few
steps, on a fixed set of latent codes:

``on_mode``
    share of samples within 3 std of a mode centre (the VEEGAN / PacGAN "high quality" test);
``top_mode``, ``nearest_share``
    the mode most samples are nearest to (where the cloud is), and that share;
``top_share``
    share of samples within 3 std of ``top_mode`` (the cloud *on* that mode);
``mean_dist``
    mean distance of a sample to its nearest centre, in data units (ring8: neighbours are
    0.77 apart, a mode's std is 0.01).

:func:`summarise` condenses a trace into the figures the preset's description quotes.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from gan_core.lab import metrics as _metrics

__all__ = ["ON_ONE_MODE", "trace_row", "trace", "summarise", "textbook", "describe", "description", "RECORD"]

#: A snapshot counts as "on one mode" when at least this share of samples is within 3 std of one centre.
ON_ONE_MODE = 0.5


def trace_row(step: int, samples: np.ndarray, centres: np.ndarray, std: float) -> dict:
    """The measures above for one set of ``samples`` (n, 2) at generator step ``step``."""
    idx, dist = _metrics.nearest_centre(samples, centres)
    ok = idx >= 0
    n = max(len(samples), 1)
    near = np.bincount(idx[ok], minlength=len(centres))
    top = int(np.argmax(near))
    on = ok & (dist <= 3 * std)
    return {"step": int(step), "on_mode": float(on.sum() / n), "top_mode": top,
            "nearest_share": float(near[top] / n), "top_share": float((on & (idx == top)).sum() / n),
            "mean_dist": float(dist[ok].mean()) if ok.any() else float("nan"),
            "modes_captured": int((np.bincount(idx[on], minlength=len(centres)) > 0).sum())}


def trace(config, dataset: str, seed: int, iters: int, every: int = 100, n: int = 2500,
          device: str = "cpu") -> list[dict]:
    """Train ``config`` on ``dataset`` with ``seed`` for ``iters`` generator steps; a :func:`trace_row`
    at step 0 and every ``every`` steps, on ``n`` samples from fixed latents."""
    from gan_core.lab.trainer import Trainer

    if int(every) < 1 or int(iters) < 0:
        raise ValueError("every must be at least 1 and iters at least 0")
    tr = Trainer(replace(config, snapshot_every=0, iters=max(int(iters), 1)), dataset, seed=seed, device=device)
    centres, std = tr.dataset.centres, tr.dataset.std
    rows = [trace_row(0, tr.sample(n, seed=seed), centres, std)]
    while tr.step_count < iters and tr.diverged is None:
        tr.train(min(int(every), int(iters) - tr.step_count))
        rows.append(trace_row(tr.step_count, tr.sample(n, seed=seed), centres, std))
    return rows


def summarise(rows: list[dict], start: int = 1) -> dict:
    """Figures of a trace from row ``start`` on (default: after step 0).

    ``on_mode_mean`` / ``on_mode_max``: share of samples on any mode, mean and largest over the rows;
    ``top_share_mean``: mean share on the busiest mode; ``one_mode_share``: share of rows with at
    least :data:`ON_ONE_MODE` of the samples on one mode; ``modes_visited``: the modes those rows sat
    on (in order of first visit); ``hops``: changes of that mode from one such row to the next;
    ``mean_dist_mean``: mean distance to the nearest centre; ``final_modes``: modes captured in the
    last row.
    """
    rows = rows[start:] or rows
    on_one = [r for r in rows if r["top_share"] >= ON_ONE_MODE]
    visited: list[int] = []
    for r in on_one:
        if r["top_mode"] not in visited:
            visited.append(r["top_mode"])
    hops = sum(a["top_mode"] != b["top_mode"] for a, b in zip(on_one, on_one[1:]))
    mean = lambda key: float(np.mean([r[key] for r in rows]))  # noqa: E731
    return {"rows": len(rows), "on_mode_mean": mean("on_mode"), "on_mode_max": max(r["on_mode"] for r in rows),
            "top_share_mean": mean("top_share"), "one_mode_share": len(on_one) / len(rows),
            "modes_visited": visited, "hops": int(hops), "mean_dist_mean": mean("mean_dist"),
            "final_modes": rows[-1]["modes_captured"]}


#: The measured runs of the collapse preset (written by scripts/collapse_study.py).
RECORD = Path(__file__).resolve().parents[2] / "docs" / "collapse_record.json"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %" if x < 0.1 else f"{100 * x:.0f} %"


def textbook(summary: dict) -> bool:
    """Whether a run looks like the textbook picture: on one mode at most snapshots, hopping at least twice."""
    return summary["one_mode_share"] >= 0.5 and summary["hops"] >= 2


def describe(record: dict) -> str:
    """The collapse preset's description, every figure computed from ``record`` (collapse_study's JSON)."""
    runs = sorted(record["runs"], key=lambda r: r["seed"])
    sums = [r["summary"] for r in runs]
    seeds = _join([str(r["seed"]) for r in runs])
    head = (f"Measured every {record['every']:,} steps over {record['iters']:,} (seeds {seeds}): ")
    on_mode = _join([_pct(s["on_mode_mean"]) for s in sums])
    dist = _join([f"{s['mean_dist_mean']:.2f}" for s in sums])
    if all(textbook(s) for s in sums):
        return head + (
            f"the samples sat on one mode at a time in {_join([_pct(s['one_mode_share']) for s in sums])} of the "
            f"snapshots and hopped {_join([str(s['hops']) for s in sums])} times between modes "
            f"({_join([str(len(s['modes_visited'])) for s in sums])} different modes); on average {on_mode} of the "
            "samples were on a mode.")
    lines = [head + (
        "this is not the textbook picture of a generator that puts all its samples on one mode and hops to the "
        f"next. On average only {on_mode} of the samples lie on a mode (within 3 std of a centre; at most "
        f"{_join([_pct(s['on_mode_max']) for s in sums])} at any snapshot), and a sample lies on average "
        f"{dist} from its nearest centre, while neighbouring "
        "modes are 0.77 apart and 0.01 wide: the generator's cloud drifts near the ring, mostly between modes, "
        f"and ends with {_join([str(s['final_modes']) for s in sums])} of the 8 modes captured.")]
    sat = [s for s in sums if s["one_mode_share"] > 0]
    if sat:
        lines.append(
            f"It sat on one mode (half its samples or more) in {_join([_pct(s['one_mode_share']) for s in sums])} "
            "of the snapshots.")
    return " ".join(lines)


def description(path: Path = RECORD) -> str | None:
    """:func:`describe` of the recorded runs (None when the record is missing or unreadable)."""
    try:
        return describe(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
