"""Sweeps: collapse as a measured rate. Many seeds of a few losses trained at once (stacked
models, gan_core.lab.sweep) in a background thread (pages.lab.sweep_runner); the page polls it
with a fragment on a timer and, once it is done, draws one dot per run with each loss's mean and
95 % interval, the share of runs that found every mode, and the runs' final samples."""
from __future__ import annotations

import math
import time

import pandas as pd
import streamlit as st

from gan_core.lab import run_registry
from gan_core.lab.sweep import sweep_runs
from gan_core.lab.toy2d import DATASETS, make_dataset
from gan_core.lab.viz_sweep import sample_grid, sweep_dots
from pages.lab import mode_table_view
from pages.lab.fields import DATASET_LABELS, LOSS_LABELS
from pages.lab.sweep_runner import DEVICE_RUNS, SweepJob, lab_link, sweep_cap
from pages.ui.chrome import next_lesson, page_header, presenter_mode, show_error
from pages.ui.figures import plot

ss = st.session_state
SHORT_TITLE = {"minimax": "GAN", "non-saturating": "NS", "wgan-clip": "WGAN", "wgan-gp": "WGAN-GP",
               "lsgan": "LS", "hinge": "Hinge"}
ITERS_OPTIONS = (100, 200, 500, 1000, 2000, 3000)
DEFAULTS = {"sweep_dataset": "ring8", "sweep_losses": ["minimax", "wgan-gp"], "sweep_seeds": 8, "sweep_iters": 500}
SHORT = {"minimax": "Original (minimax)", "non-saturating": "Non-saturating", "wgan-clip": "WGAN (clip)",
         "wgan-gp": "WGAN-GP", "lsgan": "Least squares", "hinge": "Hinge"}

page_header("Collapse as a rate: many seeds at once",
            "Train the same GAN from many seeds side by side and count how often it collapses: a rate with an "
            "interval, instead of one run's luck.")

st.markdown(r"""
One run in the lab is one draw. Whether the original GAN drops modes depends on its random start (the
weights, the data stream, the noise), so a single run that finds all 8 modes of the ring proves little, and
neither does one that finds 3. Train $n$ seeds of the same setting and each run gives a number $m_i$ of modes
found. Their mean $\bar m = \frac1n\sum_i m_i$ estimates what the setting does *on average*, and its 95 %
interval, with $s$ the runs' standard deviation,
""")
st.latex(r"\bar m \pm t_{0.975,\,n-1}\,\frac{s}{\sqrt n}, \qquad s^2 = \frac{1}{n-1}\sum_i (m_i-\bar m)^2,")
st.markdown(r"""
says how far that estimate may be from the truth. The share of runs that found every mode, $\hat p = k/n$,
gets a Wilson interval, which stays inside $[0, 1]$ even when $k = 0$ or $k = n$. When the intervals of two
settings do not overlap, the difference between them is more than luck; when they overlap, more seeds are
needed to tell. With one seed each you cannot tell a law from luck.
""")

# ----------------------------------------------------------------------- settings
for key, value in DEFAULTS.items():
    ss.setdefault(key, value)
device = "cpu"
others = run_registry.REGISTRY.active() - int(bool(ss.get("sweep_job") and ss["sweep_job"].running))
cap = sweep_cap(device, others, run_registry.REGISTRY.max_runs)
c1, c2, c3, c4 = st.columns([1.2, 2.4, 0.9, 1.1])
dataset = c1.selectbox("Data", list(DATASETS), format_func=DATASET_LABELS.get, key="sweep_dataset")
losses = c2.multiselect("Losses", list(LOSS_LABELS), format_func=SHORT.get, key="sweep_losses")
seeds = c3.number_input("Seeds per loss", 0, 4096, step=1, key="sweep_seeds")
iters = c4.select_slider("Generator steps per run", ITERS_OPTIONS, key="sweep_iters")
st.caption(f"One sweep may train at most {cap} runs on this server now (the device's budget of "
           f"{DEVICE_RUNS[device]} runs, shared with the {max(0, others)} other live run(s)); a sweep takes "
           "one of the lab's run slots while it trains, on one thread. The default (8 seeds of 2 losses, 500 steps) "
           "needed 48 s of CPU time on this project's 2-core machine: under a minute with a core free.")

problems = []
if not losses:
    problems.append("Choose at least one loss.")
if seeds < 1:
    problems.append("Choose at least one seed per loss: a sweep of zero seeds has nothing to measure.")
elif losses and len(losses) * seeds > cap:
    problems.append(f"{len(losses)} losses × {seeds} seeds = {len(losses) * seeds} runs, more than the {cap} this "
                    f"server allows one sweep now. Use at most {max(1, cap // len(losses))} seeds per loss.")
runs = None
if not problems:
    try:
        runs = sweep_runs(dataset, losses, seeds=int(seeds), iters=min(int(iters), run_registry.MAX_STEPS))
    except ValueError as exc:
        problems.append(f"These settings cannot be swept: {exc}.")
for p in problems:
    show_error(p)

job: SweepJob | None = ss.get("sweep_job")
busy = job is not None and job.running
b1, b2 = st.columns([1, 4])
if b1.button("Run the sweep", type="primary", disabled=runs is None or busy, key="sweep_start",
             icon=":material/play_arrow:"):
    job = SweepJob(runs, device=device)
    if job.start():
        ss["sweep_job"], ss["sweep_settings"] = job, {"dataset": dataset, "losses": list(losses)}
        busy = True
    else:
        show_error(f"The server trains its limit of {run_registry.REGISTRY.max_runs} runs for other visitors; "
                   "try again in a minute.")
if busy and b2.button("Stop", key="sweep_stop", icon=":material/stop:"):
    job.stop()


@st.fragment(run_every=0.5)
def progress_panel() -> None:
    j: SweepJob | None = ss.get("sweep_job")
    if j is None:
        return
    j.touch()
    if j.running:
        st.progress(j.done / max(1, j.total), text=f"Training {len(j.runs)} runs: {j.done:,} of {j.total:,} "
                    f"run-steps, {max(0.0, time.monotonic() - j.started):.0f} s")
    elif ss.get("sweep_drawn") is not j:
        ss["sweep_drawn"] = j
        st.rerun()


if busy:
    progress_panel()


def show_result(j: SweepJob) -> None:
    res = j.result
    st.success(f"Done: {len(j.runs)} runs in {j.wall_s:.1f} s.", icon=":material/check_circle:")
    summary, dots = res["summary"], res["dots"]
    cells = [{"label": SHORT[c["loss"]], "loss": c["loss"], **c} for c in summary]
    n_modes = summary[0]["n_modes"]
    by = {c["loss"]: c for c in cells}
    mode_cells = [{"label": c["label"], "mean": c["modes_captured"]["mean"], "ci": c["modes_captured"]["ci"]}
                  for c in cells]
    hq_cells = [{"label": c["label"], "mean": c["high_quality"]["mean"], "ci": c["high_quality"]["ci"]}
                for c in cells]
    mdots = [{"run": d["run"], "label": by[d["loss"]]["label"], "value": d["modes"], "seed": d["seed"]} for d in dots]
    hdots = [{"run": d["run"], "label": by[d["loss"]]["label"], "value": d["hq"], "seed": d["seed"]} for d in dots]
    left, right = st.columns(2)
    with left:
        picked = _dot_chart(sweep_dots(mdots, mode_cells, "Modes captured, one dot per run", f"modes (of {n_modes})",
                                       [-0.3, n_modes + 0.5]), "sweep_modes")
    with right:
        picked = _dot_chart(sweep_dots(hdots, hq_cells, "High-quality samples, one dot per run", "high quality (%)",
                                       [-3, 103], percent=True), "sweep_hq") or picked
    st.caption("Click a dot to open that run in the live lab. Diamonds: each loss's mean; whiskers: its 95 % "
               "interval.")
    if picked is not None:
        d = dots[picked]
        st.markdown(f"**Picked:** {by[d['loss']]['label']}, seed {d['seed']}: {d['modes']} modes, "
                    f"{100 * d['hq']:.1f} % high quality — [open this run in the lab]"
                    f"({lab_link(j.runs[picked].config, d['dataset'], d['seed'])})")
    for c in cells:
        links = " · ".join(f"[seed {d['seed']}]({lab_link(j.runs[d['run']].config, d['dataset'], d['seed'])})"
                           for d in dots if d["loss"] == c["loss"])
        st.markdown(f"**{c['label']}** runs in the lab: {links}")
    st.subheader("Per loss")
    rows = []
    for c in cells:
        m, h, a = c["modes_captured"], c["high_quality"], c["all_modes"]
        rows.append({"Loss": c["label"], "Runs": c["n_runs"], "Modes (mean)": _fmt(m["mean"]),
                     "Modes 95 % interval": _ci(m["ci"]), "High quality (mean %)": _fmt(100 * h["mean"]),
                     "All modes found": f"{a['k']} of {a['n']} ({100 * a['share']:.0f} %)",
                     "Collapsed (missed a mode)": f"{a['n'] - a['k']} of {a['n']} ({100 * (1 - a['share']):.0f} %)",
                     "Share all modes, 95 % interval": f"{100 * a['ci'][0]:.0f}–{100 * a['ci'][1]:.0f} %",
                     "Diverged": c["diverged"]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.subheader("Every run: open it in the live lab")
    table = [{"Loss": by[d["loss"]]["label"], "Seed": d["seed"], "Modes": d["modes"],
              "High quality (%)": round(100 * d["hq"], 1),
              "Open in the lab": lab_link(j.runs[d["run"]].config, d["dataset"], d["seed"])} for d in dots]
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", key="sweep_runs_table",
                 column_config={"Open in the lab": st.column_config.LinkColumn(display_text="open run")})
    st.subheader("Final samples of every run")
    st.caption("Each panel: a run's final samples (orange) over the data's mode centres (blue crosses), titled "
               "loss · seed (GAN: the original minimax loss).")
    mix = make_dataset(dots[0]["dataset"])
    panels = [{"title": f"{SHORT_TITLE[d['loss']]} · {d['seed']}", "samples": s}
              for d, s in zip(dots, res["samples"])]
    plot(sample_grid(panels, mix.centres, mix.extent, cols=8), key="sweep_samples")


def _dot_chart(fig, key: str) -> int | None:
    """Draw a dot chart (larger in presenter mode); the run index of a clicked dot, if any."""
    spec = fig.to_dict()
    layout = spec["layout"]
    if presenter_mode():
        layout["font"] = {"size": 20}
        layout["height"] = int(layout["height"] * 1.3)
        for trace in spec["data"]:
            trace["marker"]["size"] = int(trace["marker"]["size"] * 1.4)
    event = st.plotly_chart(spec, width="stretch", key=key, on_select="rerun", selection_mode="points",
                            config={"displaylogo": False})
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    for p in points:
        run = p.get("customdata")
        if isinstance(run, list):
            run = run[0] if run else None
        if isinstance(run, (int, float)):
            return int(run)
    return None


def _fmt(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{v:.2f}"


def _ci(ci) -> str:
    return "– (one run)" if not all(math.isfinite(v) for v in ci) else f"{ci[0]:.2f} to {ci[1]:.2f}"


if job is not None and not job.running:
    if job.error:
        show_error(job.error[0].upper() + job.error[1:] + ".")
    elif job.result is not None:
        show_result(job)
    else:
        st.info("The sweep was stopped before the end. Run it again to measure.", icon=":material/info:")

mode_table_view.show()

next_lesson(__file__, [
    "A setting's outcome is a distribution over seeds: one run is one draw from it.",
    "The mean over seeds with its 95 % interval, and the share of runs that collapsed, say what a loss does; "
    "any dot opens its own run in the live lab."])
