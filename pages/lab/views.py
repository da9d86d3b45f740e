"""The lab's views: the live plane, the metric table and curves, and the timeline.

While a run trains, a fragment reruns on a timer (REFRESH_S) and redraws the plane several times
within one run (LIVE_LOOP_S); any click interrupts it, so the page never blocks.  A CPU run trains
in a forked child process (``gan_core.lab.worker``): a refresh only pulls the child's latest state
and draws it, so training never waits for the drawing.
"""
from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import streamlit as st
import torch
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gan_core.lab import chart_raster, plane_raster, run_registry, timeline_gif, viz_lab
from gan_core.lab.config import draw_latent
from gan_core.lab.session import LIVE_POINTS, LabSession, output_kind
from pages.lab.controls import cap_notice
from pages.lab.fields import LATENT_DIST_LABELS, SPEEDS
from pages.ui.chrome import presenter_mode, show_error
from pages.ui.figures import figure_downloads
from pages.ui.widgets import format_value

ss = st.session_state
#: Seconds between refreshes while training (the fragment's timer): about 4.2 refreshes a second.
REFRESH_S = 0.24
#: Seconds between refreshes of the loss and metric curves while training (pictures then, from
#: gan_core.lab.chart_raster: two Plotly redraws cost the browser ~0.3 s of CPU each). Streamlit
#: queues this fragment's runs behind the live view's loop, so while training they come every 5-7 s.
CHART_REFRESH_S = 5.0
#: Side in pixels of the live picture of one plane (side by side: three quarters of it), drawn at
#: exactly the shown size (Streamlit re-encodes any picture wider than its display width).
LIVE_RASTER_PX = 500
#: While training, one fragment run redraws the plane every REFRESH_S for up to this many seconds:
#: each fragment *run* costs the browser a pass over the whole page, an update inside a run only
#: the changed elements (measured: the browser's renderer 31-33 % of a core instead of 53-61 %).
#: ``GAN_LAB_LIVE_LOOP_S=0``: one refresh per run.
LIVE_LOOP_S = float(os.environ.get("GAN_LAB_LIVE_LOOP_S", "5"))
#: Longest wait of a refresh for new steps (in-process training: the longest training chunk).
TRAIN_BUDGET_S = 0.2
_KINDS = {"probability": "D's probability that a point is real (0 to 1)",
          "critic": "the critic's score f(x) (unitless; only differences matter)",
          "least-squares": "D's least-squares output (target 1 = real, 0 = fake)"}


def downloads(fig, key: str, title: str) -> None:
    """PNG / SVG of a paused view (not while training: the views change four times a second)."""
    run = ss.get("lab_run")
    if not presenter_mode() and not (run is not None and run.running):
        figure_downloads(fig, key, title)


def _legend(layers) -> str:
    """The live picture's key, in the colours it uses."""
    keys = {"heatmap": ":orange[orange] = looks fake, :blue[blue] = looks real",
            "real": ":blue[●] real samples", "fake": ":orange[●] generated samples",
            "arrows": "black arrows: where G pushes its samples", "manifold": "grey mesh: G's image of a latent grid"}
    parts = [keys[layer] for layer in viz_lab.LAYERS if layer in layers]
    return ("Live picture — " + " · ".join(parts) + ".") if parts else "Live picture (every layer is hidden)."


# ---------------------------------------------------------------------- the plane
def _plane_state(run: LabSession, layers) -> dict:
    """Everything the plane view shows, read from the run in one go (numpy copies and numbers)."""
    return {"views": run.views(arrows="arrows" in layers, manifold="manifold" in layers), "step": run.step,
            "d_step": run.d_step, "speed": run.throughput()["it_per_train_s"], "device": run.device,
            "running": run.running, "max_steps": run.max_steps, "at_cap": run.at_cap, "real": run.real_points,
            "extent": run.mixture.extent}


def _draw_plane(state: dict, layers, mode: str, plane_px: int) -> None:
    """Status line, the plane(s) and what the heatmap and arrows mean (redrawn every refresh).

    While training each plane is a server-drawn picture (``gan_core.lab.plane_raster``), a few
    milliseconds for the browser; paused, an interactive Plotly figure (hover, zoom)."""
    views, extent = state["views"], state["extent"]
    st.markdown(f"**Step {state['step']:,}** generator steps · {state['d_step']:,} D steps · "
                f"{state['speed']:,.0f} it/s · **{state['device']}** · "
                + (":green[training]" if state["running"] else
                   f"**stopped at the cap of {state['max_steps']:,} generator steps per run**" if state["at_cap"]
                   else "paused"),
                help="Generator steps, discriminator (critic) steps, training iterations per second of "
                     "training time, and the device the networks run on.")
    dicts = [vars(v) for v in views]
    single = mode == "single" and len(views) == 1
    if state["running"]:
        # About the size of the paused figure's square plot, so Start and Pause do not make the page jump.
        shown = min(LIVE_RASTER_PX, plane_px - 100)
        size = shown if single else LIVE_RASTER_PX * 3 // 4
        cols = st.columns(1 if single else (2 if len(views) == 4 else len(views)))
        for i, d in enumerate(dicts):
            picture = plane_raster.encode(plane_raster.plane_image(d, state["real"], extent, layers, size=size))
            with cols[i % len(cols)]:
                st.image(picture, caption=None if single else views[i].label, width=shown if single else "stretch")
    else:
        if single:
            fig = viz_lab.plane_figure(dicts[0], state["real"], extent, layers, height=plane_px)
        else:
            fig = viz_lab.planes_figure(dicts, [v.label for v in views], state["real"], extent, layers)
        st.plotly_chart(fig, width="stretch", key="lab_plane", config={"displaylogo": False})
        downloads(fig, "lab_plane", f"Training lab: the plane at generator step {state['step']:,}")
    notes = []
    for v in views:
        grad = ""
        if "arrows" in layers and v.arrow_vectors is not None:
            norms = np.linalg.norm(v.arrow_vectors, axis=1)
            finite = norms[np.isfinite(norms)]
            if finite.size:
                grad = f"; median push |∇ℓ| = {format_value(float(np.median(finite)), 'loss per data unit')}"
        notes.append(f"{v.label}: heatmap = {_KINDS[v.kind]}{grad}")
        if v.diverged:
            show_error(f"{v.label}: {v.diverged}")
    live = (_legend(layers) + " Pause to hover over points and zoom. ") if state["running"] else ""
    st.caption(live + " · ".join(notes) + f". At most {state['max_steps']:,} generator steps per run.")


def _fragment_run() -> bool:
    """Whether Streamlit is running fragments alone (a timer's rerun), not the whole page."""
    ctx = get_script_run_ctx()
    return bool(getattr(ctx, "fragment_ids_this_run", None))


def _refresh(run: LabSession) -> bool:
    """Advance a running run by one refresh; True if it stopped (server full, step cap, diverged)."""
    if not run.running:
        return False
    if not run_registry.REGISTRY.heartbeat(ss["lab_id"]):
        run.pause()
        ss["lab_notice"] = "The server is full: this run was paused. Press Start to try again."
        return True
    run.advance(TRAIN_BUDGET_S, SPEEDS.get(ss.get("lab_speed"), None))
    if run.running:
        return False
    run_registry.REGISTRY.release(ss["lab_id"])  # reached the cap, or every member diverged
    if run.at_cap:
        ss["lab_notice"] = cap_notice(run.max_steps)
    return True


def _live_plane(plane_px: int, table_slot) -> None:
    """Advance the run (when running), then draw the plane and the metric table (``table_slot``,
    a placeholder below: the table keeps pace with the status line instead of the charts' slower
    timer, which lagged 5-7 s); in a timer's run, again every REFRESH_S for up to LIVE_LOOP_S (a
    run of the whole page draws once and goes on)."""
    run = ss.get("lab_run")
    if run is None:
        st.info("Fix the settings above to start a run.", icon=":material/info:")
        return
    layers, mode = ss.get("lab_layers") or [], ss.get("lab_mode", "single")
    view = st.empty()
    timer = _fragment_run()
    end = time.monotonic() + (LIVE_LOOP_S if timer else 0.0)
    while True:  # one refresh per pass; paused, or in a run of the whole page, a single pass
        if timer:  # keep the pace across runs too: the timer's next run is queued during a loop
            time.sleep(max(0.0, REFRESH_S - (time.monotonic() - ss.get("lab_last_refresh", 0.0))))
        ss["lab_last_refresh"] = time.monotonic()
        stopped = _refresh(run)
        with view.container():
            _draw_plane(_plane_state(run, layers), layers, mode, plane_px)
        table_slot.table(metric_row(run), hide_index=True)
        ss["lab_step"], ss["lab_d_step"] = run.step, run.d_step
        if stopped:
            st.rerun()  # a full rerun turns the timers off, updates the buttons and draws the final state
        if not run.running or time.monotonic() + REFRESH_S > end:
            return


def live_plane(running: bool, plane_px: int, table_slot) -> None:
    """The plane (``plane_px``: the paused single figure's height) and the metric table (in
    ``table_slot``), a fragment on a timer while the run trains."""
    st.fragment(run_every=REFRESH_S if running else None)(_live_plane)(plane_px, table_slot)


# ------------------------------------------------------------------- the charts
def metric_row(run: LabSession) -> pd.DataFrame:
    rows = []
    for i, m in enumerate(run.members):
        step, met = run.latest_metrics(i)
        rows.append({
            "configuration": run.labels[i],
            "generator steps": m.step_count,
            "metrics at step": step,
            "modes captured": f"{met['modes_captured']} of {met['n_modes']}",
            "high-quality samples (%)": f"{100 * met['high_quality']:.1f}",  # st.table would print 4 decimals
            "reverse KL (nats)": format_value(met["reverse_kl"], infinite_reason="no high-quality sample"),
            "W1 (data units)": format_value(met["w1"]),
            "status": m.diverged.message() if m.diverged is not None else ("capped" if run.at_cap else "ok"),
        })
    return pd.DataFrame(rows)


def _curves(run: LabSession, which: str, where) -> None:
    """The loss or the metric curves: pictures while training, Plotly figures when paused."""
    n, live = len(run.members), run.running
    if which == "losses":
        series = [run.loss_history(i) for i in range(n)]
        panels, count, width = chart_raster.loss_panels(series), 1, 420
        make = lambda: viz_lab.loss_figure(series, run.labels)  # noqa: E731
        title = f"Training lab: losses up to generator step {run.step:,}"
    else:
        series = [run.metric_history(i) for i in range(n)]
        panels, count, width = chart_raster.metric_panels(series, run.mixture.n_modes), 2, 600
        make = lambda: viz_lab.metrics_figure(series, run.labels, run.mixture.n_modes)  # noqa: E731
        title = f"Training lab: mode metrics up to generator step {run.step:,}"
    with where:
        if live:
            st.image(plane_raster.encode(chart_raster.curves_image(
                panels, count, width=width, panel_height=170, legend=chart_raster.legend_for(run.labels)), "PNG"),
                width="stretch")
        else:
            fig = make()
            st.plotly_chart(fig, width="stretch", key=f"lab_{which}", config={"displaylogo": False})
            downloads(fig, f"lab_{which}", title)


def _latents(run: LabSession) -> None:
    views = run.views(arrows=False, manifold=False)
    bigan = [(v.label, v.encoded) for v in views if v.encoded is not None]
    dist = next(c.latent_dist for c in run.configs if c.bigan)
    prior = draw_latent(LIVE_POINTS, 2, dist, torch.Generator().manual_seed(0)).numpy()
    fig = viz_lab.latent_figure([e for _, e in bigan], [f"{t}: E(x)" for t, _ in bigan], run.real_modes,
                                prior, prior_name=f"prior: {LATENT_DIST_LABELS[dist]}")
    st.plotly_chart(fig, width="stretch", key="lab_latents", config={"displaylogo": False})
    downloads(fig, "lab_latents", f"Training lab: BiGAN latents at generator step {run.step:,}")
    st.caption("A BiGAN's encoder should invert the generator: real points of one mode should land "
               "together, and all codes together should look like the prior (grey).")


def draw_charts(run: LabSession, charts) -> None:
    """Loss and metric curves, BiGAN latents (the metric table is the live plane's)."""
    st.caption(f"Metrics on {run.configs[0].eval_samples:,} generated samples (VEEGAN / PacGAN protocol: a sample is "
               f"high quality within 3 std = {3 * run.mixture.std:g} data units of a mode centre). W1 of two real "
               f"samples with the same estimator: {run.w1_floor:.3f} data units — the floor a perfect generator reaches.")
    if run.step == 0 and {"losses", "metrics"} & set(charts):
        # Nothing to plot yet; two empty Plotly charts would cost the page ~0.3 s to open.
        st.caption("Loss and metric curves appear here once the run has trained a generator step.")
        charts = [c for c in charts if c not in ("losses", "metrics")]
    both = "losses" in charts and "metrics" in charts
    cols = st.columns([2, 3]) if both else [st.container(), st.container()]
    for col, which in zip(cols, ("losses", "metrics")):
        if which in charts:
            _curves(run, which, col)
    if run.running and {"losses", "metrics"} & set(charts):
        st.caption("Curves are pictures while training; pause to hover over them and zoom.")
    if "latents" in charts and any(c.bigan for c in run.configs):
        _latents(run)


def _live_charts() -> None:
    run = ss.get("lab_run")
    if run is not None:
        draw_charts(run, ss.get("lab_charts") or [])


def live_charts(running: bool) -> None:
    """The metric table and curves, a fragment on a slower timer while the run trains."""
    st.fragment(run_every=CHART_REFRESH_S if running else None)(_live_charts)()


# ------------------------------------------------------------------ the timeline
def timeline() -> None:
    """Scrub through the run's kept frames; a GIF of them on request.

    Not a fragment: a fragment's rerun waits for the live view's running loop, whereas a rerun of
    the page interrupts it, so the slider answers at once while a run trains too."""
    run = ss.get("lab_run")
    if run is None or len(run.frames) < 2:
        st.caption("Train for a moment, then scrub through the run here: frames are kept while it trains.")
        return
    frames = run.frames
    # A fixed range: Streamlit resets a slider whose bounds change, and a training run adds frames.
    position = st.slider("Position in the run (%)", 0, 100, 100, key="lab_frame_pos",
                         help=f"0 % is the start, 100 % the latest frame; {len(frames)} frames are kept, "
                              "spread over the whole run.")
    frame = run.frame_at(position)
    x0, x1, y0, y1 = run.mixture.extent
    views = [{"kind": output_kind(run.configs[i].loss), "heat": frame.heat[i],
              "grid_x": np.linspace(x0, x1, frame.heat[i].shape[0]), "grid_y": np.linspace(y0, y1, frame.heat[i].shape[0]),
              "fakes": frame.fakes[i], "arrow_points": None, "manifold": None} for i in range(len(run.members))]
    titles = [label + (f" — {met['modes_captured']}/{met['n_modes']} modes" if (met := frame.metrics[i]) else "")
              for i, label in enumerate(run.labels)]
    st.markdown(f"**{viz_lab.timeline_steps_label(frame.steps)}** of {run.step:,}")
    layers = ("heatmap", "real", "fake")
    if len(views) == 1:
        fig = viz_lab.plane_figure(views[0], run.real_points, run.mixture.extent, layers, title=titles[0], height=480,
                                   uirevision="timeline")
    else:
        fig = viz_lab.planes_figure(views, titles, run.real_points, run.mixture.extent, layers, uirevision="timeline")
    st.plotly_chart(fig, width="stretch", key="lab_timeline_fig", config={"displaylogo": False})
    downloads(fig, "lab_timeline_frame", f"Training lab: {viz_lab.timeline_steps_label(frame.steps)}")
    st.caption("Frame metrics are the latest snapshot taken before that frame (metrics are measured about every "
               "second of training).")
    # The frames as they are now (the run may still add some); the GIF is only drawn when asked for.
    kept, kinds = list(frames), [output_kind(c.loss) for c in run.configs]
    st.download_button(
        "Download the timeline as an animated GIF", key="lab_timeline_gif", mime="image/gif", on_click="ignore",
        file_name=f"gan-lab-{run.mixture.name}-step{kept[-1].step}.gif", icon=":material/animated_images:",
        data=lambda: timeline_gif.timeline_gif(kept, run.real_points, run.mixture.extent, kinds, run.labels),
        help=f"{min(len(kept), 120)} frames, made on the server; a few seconds for a side-by-side run.")
