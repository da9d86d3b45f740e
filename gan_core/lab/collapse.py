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
from gan_core.lab.toy2d import make_dataset

__all__ = ["ON_ONE_MODE", "NEAR_ONE_MODE", "FAR", "trace_row", "trace", "summarise", "textbook", "describe", "description", "RECORD"]

#: A snapshot counts as "on one mode" when at least this share of samples is within 3 std of one centre.
ON_ONE_MODE = 0.5
#: ... and as "near one mode" when at least this share of samples is nearest to one centre (any distance).
NEAR_ONE_MODE = 0.9
#: A snapshot's cloud has drifted off when its samples lie on average farther than this from any centre.
FAR = 1.0


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


def _visits(rows: list[dict]) -> tuple[list[int], int]:
    # The modes the rows sit at (in order of first visit) and the changes from one row to the next.
    visited: list[int] = []
    for r in rows:
        if r["top_mode"] not in visited:
            visited.append(r["top_mode"])
    return visited, int(sum(a["top_mode"] != b["top_mode"] for a, b in zip(rows, rows[1:])))


def summarise(rows: list[dict], start: int = 1) -> dict:
    """Figures of a trace from row ``start`` on (default: after step 0).

    ``on_mode_mean`` / ``on_mode_max``: share of samples on any mode, mean and largest over the rows;
    ``top_share_mean``: mean share on the busiest mode; ``one_mode_share``: share of rows with at
    least :data:`ON_ONE_MODE` of the samples on one mode; ``modes_visited``: the modes those rows sat
    on (in order of first visit); ``hops``: changes of that mode from one such row to the next.
    The same for a cloud *near* one mode (at least :data:`NEAR_ONE_MODE` of the samples nearest to
    one centre, and on average within :data:`FAR` of it): ``near_one_share``, ``near_modes``, ``near_hops``.
    ``mean_dist_mean`` / ``mean_dist_max``: mean distance to the nearest centre, mean and largest over
    the rows; ``far_share``: share of rows whose mean distance exceeds :data:`FAR` (drifted off);
    ``final_modes``: modes captured in the last row.
    """
    rows = rows[start:] or rows
    on_one = [r for r in rows if r["top_share"] >= ON_ONE_MODE]
    near_one = [r for r in rows if r["nearest_share"] >= NEAR_ONE_MODE and r["mean_dist"] <= FAR]
    visited, hops = _visits(on_one)
    near, near_hops = _visits(near_one)
    mean = lambda key: float(np.mean([r[key] for r in rows]))  # noqa: E731
    return {"rows": len(rows), "on_mode_mean": mean("on_mode"), "on_mode_max": max(r["on_mode"] for r in rows),
            "top_share_mean": mean("top_share"), "one_mode_share": len(on_one) / len(rows),
            "modes_visited": visited, "hops": hops, "near_one_share": len(near_one) / len(rows),
            "near_modes": near, "near_hops": near_hops, "mean_dist_mean": mean("mean_dist"),
            "mean_dist_max": max(r["mean_dist"] for r in rows),
            "far_share": sum(r["mean_dist"] > FAR for r in rows) / len(rows),
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


def hops_near_modes(summary: dict) -> bool:
    """Whether the cloud stays near one mode at a time at most snapshots and moves on at least twice."""
    return summary["near_one_share"] >= 0.5 and summary["near_hops"] >= 2


def _seed_clause(seed: int, s: dict) -> str:
    # What one run did, in one clause (see describe()).
    if textbook(s):
        return (f"with seed {seed} the samples sat on one mode at a time in {_pct(s['one_mode_share'])} of the "
                f"snapshots and hopped {s['hops']} times among {len(s['modes_visited'])} modes")
    if s["far_share"] >= 0.3:
        return (f"with seed {seed} the cloud drifted off the ring: in {_pct(s['far_share'])} of the snapshots its "
                f"samples lay on average more than {FAR} from any centre (up to {s['mean_dist_max']:.0f})")
    if hops_near_modes(s):
        return (f"with seed {seed} the samples stayed together in one cloud near one mode at a time (in "
                f"{_pct(s['near_one_share'])} of the snapshots {_pct(NEAR_ONE_MODE)} or more of them were nearest "
                f"the same mode) and the cloud moved on {s['near_hops']} times, near {len(s['near_modes'])} "
                f"different modes, but a sample lay on average {s['mean_dist_mean']:.2f} from its nearest centre")
    return f"with seed {seed} the samples spread between modes, on average {s['mean_dist_mean']:.2f} from the nearest"


def describe(record: dict) -> str:
    """The collapse preset's description, every figure computed from the traces in ``record``
    (collapse_study's JSON): one clause per seed, then the share on a mode and the modes at the end."""
    runs = sorted(record["runs"], key=lambda r: r["seed"])
    sums = [summarise(r["trace"]) for r in runs]
    each = lambda fmt: _join([fmt(s) for s in sums])  # noqa: E731
    mix = make_dataset(record.get("dataset", "ring8"))
    gaps = np.sqrt(((mix.centres[:, None] - mix.centres[None]) ** 2).sum(-1)) + np.eye(mix.n_modes) * 1e9
    clauses = "; ".join(_seed_clause(r["seed"], s) for r, s in zip(runs, sums))
    text = (f"Measured every {record['every']:,} steps over {record['iters']:,}: {clauses}. On average only "
            f"{each(lambda s: _pct(s['on_mode_mean']))} of the samples lay on a mode (within 3 std of a centre; "
            f"at most {each(lambda s: _pct(s['on_mode_max']))} at any snapshot; the modes are {mix.std:.2g} wide "
            f"and {gaps.min():.2f} apart), and the runs ended with {each(lambda s: str(s['final_modes']))} of the "
            f"{mix.n_modes} modes captured.")
    if all(textbook(s) for s in sums):
        return text
    n_hop = sum(hops_near_modes(s) or textbook(s) for s in sums)
    if n_hop:
        where = "in every run" if n_hop == len(sums) else f"in {n_hop} of the {len(sums)} runs"
        return text + (f" So {where} the cloud does hop from mode to mode, as in the textbook picture, but it "
                       "seldom lands *on* one.")
    return text + " So the textbook picture — all samples on one mode, hopping to the next — is not what happens here."


def description(path: Path = RECORD) -> str | None:
    """:func:`describe` of the recorded runs (None when the record is missing or unreadable)."""
    try:
        return describe(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
