"""The measured mode table on the Sweeps page, beside the literature's numbers (issue 19, item 4).

Its numbers come from ``docs/mode_table.json`` (per-run rows written by ``scripts/mode_table.py``)
through :mod:`gan_core.lab.mode_table`, the same summary the markdown table in ``docs/`` is built
from.  A missing or damaged file gets a message; the rest of the page keeps working.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import streamlit as st

from gan_core.lab.mode_table import (COLLAPSED_AT_MOST, baseline_cells, collapse_cells, load_rows, loss_cells,
                                     mean_text, table_seeds)
from pages.lab.fields import DATASET_LABELS

MODE_TABLE = Path(__file__).resolve().parents[2] / "docs" / "mode_table.json"
NAMES = {"minimax": "Original (minimax)", "non-saturating": "Non-saturating", "wgan-clip": "WGAN (clip)",
         "wgan-gp": "WGAN-GP", "lsgan": "Least squares", "hinge": "Hinge",
         "real data": "Baseline: real data", "uniform noise": "Baseline: uniform noise"}
#: What each baseline row stands for, in its Source cell.
BASELINE_SOURCES = {"real data": "the mixture itself: a perfect generator",
                    "uniform noise": "points uniform over the plot: no learning"}


@st.cache_data(show_spinner=False, max_entries=4)
def _baselines(dataset: str, seeds: tuple[int, ...]) -> list[dict]:
    return baseline_cells(dataset, seeds)


def interval(st_: dict, fmt: str, lo: float = -math.inf, hi: float = math.inf) -> str:
    """``mean (lo to hi)``: :func:`gan_core.lab.mode_table.mean_text` in the page's words."""
    return mean_text(st_, fmt, lo, hi, between="{} ({} to {})", empty="–")


def share(st_: dict) -> str:
    """``k of n (p %; lo-hi %)`` of a ``share_interval`` dict."""
    return (f"{st_['k']} of {st_['n']} ({100 * st_['share']:.0f} %; "
            f"{100 * st_['ci'][0]:.0f}–{100 * st_['ci'][1]:.0f} %)")


def table_rows(rows: list[dict], dataset: str, baselines: list[dict] = ()) -> list[dict]:
    """The displayed rows for ``dataset``: the lab's measurement beside the published one, then the
    ``baselines`` (cells of :func:`gan_core.lab.mode_table.baseline_cells`) scored the same way."""
    out = []
    for c in [*loss_cells(rows, dataset), *baselines]:
        lit = c["literature"]
        out.append({
            "Loss": NAMES.get(c["loss"], c["loss"]), "Runs": c["n_runs"], "Steps": f"{c['iters']:,}" if c["iters"] else "–",
            "Modes found: mean (95 % interval)": interval(c["modes"], "{:.1f}", 0, c["n_modes"]),
            "Found every mode (95 % interval)": share(c["all_modes"]),
            "High quality %: mean (95 % interval)": interval(c["hq_percent"], "{:.1f}", 0, 100),
            "Published: modes / HQ %": f"{lit[1]:g} / {lit[2]:g}" if lit else "–",
            "Source": lit[0] if lit else BASELINE_SOURCES.get(c["loss"], ""),
        })
    return out


def baseline_sentence(baselines: dict[str, list[dict]]) -> str | None:
    """What the two baseline rows say, from their numbers: ``baselines`` maps a dataset to its cells."""
    grid = {c["loss"]: c for c in baselines.get("grid25", [])}
    if not grid:
        return None
    real, noise = grid["real data"], grid["uniform noise"]
    return (f"The last two rows of each table score two generators nobody trained, in the same way: the real mixture "
            f"(what a perfect generator reaches: {real['hq_percent']['mean']:.1f} % high quality, because 3 standard "
            f"deviations around a 2-D Gaussian's centre hold $1 - e^{{-9/2}}$ of its points) and uniform noise over the "
            f"plot. On the grid, noise still \"finds\" {noise['modes']['mean']:.0f} of the {noise['n_modes']} modes, "
            f"with {noise['hq_percent']['mean']:.1f} % high quality: modes found means something only next to "
            "high quality %.")


def collapse_sentence(rows: list[dict]) -> str | None:
    """The collapse preset's claim as rates with their intervals, or None without those runs."""
    cells = {c["tag"]: c for c in collapse_cells(rows)}
    col, gp = cells.get("collapse"), cells.get("collapse-wgan-gp")
    if col is None:
        return None
    c, a = col["collapsed"], col["all_modes"]
    text = (f"**The collapse preset as a rate.** The original GAN in the Unrolled-GAN paper's ring setup found at "
            f"most {COLLAPSED_AT_MOST} of the 8 modes in {c['k']} of its {c['n']} runs ({100 * c['share']:.0f} %, 95 % interval "
            f"{100 * c['ci'][0]:.0f}–{100 * c['ci'][1]:.0f} %), and every mode in {a['k']} of them.")
    if gp is not None:
        g, ga = gp["collapsed"], gp["all_modes"]
        text += (f" WGAN-GP on the same data and seeds collapsed in {g['k']} of {g['n']} "
                 f"({100 * g['ci'][0]:.0f}–{100 * g['ci'][1]:.0f} %) and found every mode in {ga['k']} of "
                 f"{ga['n']} ({100 * ga['ci'][0]:.0f}–{100 * ga['ci'][1]:.0f} %).")
    return text


def show(path: Path | None = None) -> None:
    st.subheader("Measured with more seeds, beside the papers")
    try:
        rows = load_rows(path or MODE_TABLE)
    except ValueError as exc:
        st.info(f"The recorded mode table is not available ({exc}); `python scripts/mode_table.py` rebuilds it. "
                "The sweeps above work without it.", icon=":material/info:")
        return
    seeds = sorted({r["seed"] for r in rows if r.get("tag") == "default"})
    st.markdown(
        f"Every loss at the lab's default settings and its full number of steps, {len(seeds)} seeds each, "
        "measured once by `scripts/mode_table.py` with the protocol of the VEEGAN and PacGAN papers (2,500 "
        "samples; a sample is high quality within 3 standard deviations of a mode). Beside it, what the papers "
        "report for the closest method. Their networks, optimisers and training lengths differ from the lab's, "
        "so compare orders of magnitude, not decimals; the intervals say how much the lab's own means could move "
        "with other seeds.")
    sentence = collapse_sentence(rows)
    if sentence:
        st.markdown(sentence)
    datasets = [d for d in ("ring8", "grid25") if any(r["dataset"] == d and r.get("tag") == "default" for r in rows)]
    baselines = {d: _baselines(d, table_seeds(rows, d)) for d in datasets}
    sentence = baseline_sentence(baselines)
    if sentence:
        st.markdown(sentence)
    for tab, dataset in zip(st.tabs([DATASET_LABELS.get(d, d) for d in datasets]), datasets):
        with tab:
            st.dataframe(pd.DataFrame(table_rows(rows, dataset, baselines[dataset])), hide_index=True, width="stretch")
    st.caption("Sources: VEEGAN (Srivastava et al. 2017, Table 1) for the original GAN; GDPP (Elfeki et al. 2019, "
               "Table 1) for WGAN-GP. The full table, with reverse KL, W1 and times, is `docs/mode_table.md`.")
