"""Training lab: train GANs on 2-D mixtures live, one at a time or up to four side by side.

The page is thin: widgets -> a ``gan_core.lab.session.LabSession`` kept in session_state ->
``gan_core.lab.viz_lab`` figures.  Training advances in chunks inside a fragment that reruns on
a timer while a run is going (and redraws several times within one run, see LIVE_LOOP_S); any
click interrupts it, so the page never blocks.
"""
from __future__ import annotations

import math
import os
import time
import uuid
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st
import torch
from streamlit.errors import StreamlitPageNotFoundError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from gan_core.lab import chart_raster, plane_raster, run_registry, timeline_gif, viz_lab

from gan_core.lab.session import (DEFAULT_LAB_DEVICE, LAB_DEVICES, LIVE_POINTS, LabSession, available_lab_devices,
                                  device_help, output_kind)
from gan_core.lab.losses import LOSSES
from gan_core.lab.nets import ACTIVATIONS
from gan_core.lab.toy2d import DATASETS, custom as custom_mixture, make_dataset
from gan_core.lab.config import LATENT_DISTS, ToyConfig, draw_latent, lab_defaults, preset
from pages.ui.chrome import link_to_this_view, next_lesson, page_header, presenter_mode, show_error
from pages.ui.figures import figure_downloads
from pages.ui.widgets import format_value

# ------------------------------------------------------------------------------- constants
#: Seconds between refreshes while training (the fragment's timer): about 4.2 refreshes a second.
#: A refresh only pulls the state of the run training in its child process (gan_core.lab.worker)
#: and draws it, in 20-50 ms, so the timer sets the pace.
REFRESH_S = 0.24
#: Seconds between refreshes of the metric table and curves while training.  The curves are then
#: pictures (gan_core.lab.chart_raster), Plotly figures when paused: redrawing the two Plotly charts
#: cost the browser ~0.3 s of CPU each time, 19 % of a core at one redraw every 3 s (measured).
#: Streamlit queues this fragment's runs behind the live view's loop (LIVE_LOOP_S), so while
#: training they come every 5-7 s.
CHART_REFRESH_S = 5.0
#: Side in pixels of the live picture of one plane (side-by-side planes: three quarters of it), and
#: the width it is shown at.  Drawn at exactly the shown size: Streamlit decodes, shrinks and
#: re-encodes any picture wider than its display width, which cost ~6 ms a frame at 560 px.
LIVE_RASTER_PX = 500
#: While training, one run of the live fragment redraws the plane every REFRESH_S for up to this
#: many seconds (then the fragment's timer starts the next run).  Each fragment *run* costs the
#: browser a pass over the whole page (Streamlit marks it running, then finished, and re-renders
#: the app: ~0.1 s of CPU on 2 cores); an update inside a run only swaps the changed elements.
#: Measured at 4.2 refreshes a second (WGAN-GP, browser on the same 2 cores): the browser's
#: renderer 53-61 % of a core with one run per refresh, 31-33 % with this loop, and the training
#: child 81-86 % against 95-96 %.  Visitors lose nothing: any click interrupts the loop at
#: once (Streamlit stops a running script for a new run), and so does a closed tab.
#: ``GAN_LAB_LIVE_LOOP_S=0``: one refresh per run, as before.
LIVE_LOOP_S = float(os.environ.get("GAN_LAB_LIVE_LOOP_S", "5"))
#: Longest wait of a refresh for new steps (in-process training: the longest training chunk).
TRAIN_BUDGET_S = 0.2
DEVICES = available_lab_devices()
SPEEDS = {"1 step per refresh": 1, "5 steps": 5, "25 steps": 25, "Full speed": None}
LR_OPTIONS = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2]
CLIP_OPTIONS = [0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0]
GP_OPTIONS = [0.0, 0.01, 0.1, 1.0, 10.0, 100.0]
BATCH_OPTIONS = [32, 64, 128, 256, 512, 1024]
LATENT_OPTIONS = [1, 2, 4, 8, 16, 32, 64, 128, 256]
WIDTH_OPTIONS = [8, 16, 32, 64, 128, 256, 512]
DATASET_LABELS = {"ring8": "Ring of 8 Gaussians", "grid25": "Grid of 25 Gaussians", "spiral": "Spiral",
                  "moons": "Two moons", "custom": "Your own points"}
LOSS_LABELS = {"minimax": "Original GAN (minimax, saturating)", "non-saturating": "Non-saturating GAN",
               "wgan-clip": "WGAN, weight clipping", "wgan-gp": "WGAN-GP (gradient penalty)",
               "lsgan": "Least-squares GAN", "hinge": "Hinge GAN"}
LATENT_DIST_LABELS = {"gaussian": "Gaussian N(0, I)", "uniform": "Uniform on [−1, 1]"}
CHARTS = {"losses": "Loss curves", "metrics": "Mode metrics over time", "latents": "Encoder latents (BiGAN)"}


def _collapse_config() -> ToyConfig:
    return preset("collapse")[0]


#: Named configurations for side-by-side slots: label and a factory.
NAMED = {
    "collapse": ("Original GAN, mode-collapse setup", _collapse_config),
    "minimax": ("Original GAN, lab defaults", lambda: lab_defaults("minimax", ss.get("lab_dataset"))),
    "non-saturating": ("Non-saturating GAN", lambda: lab_defaults("non-saturating", ss.get("lab_dataset"))),
    "wgan-clip": ("WGAN, weight clipping", lambda: lab_defaults("wgan-clip", ss.get("lab_dataset"))),
    "wgan-gp": ("WGAN-GP", lambda: lab_defaults("wgan-gp", ss.get("lab_dataset"))),
    "lsgan": ("Least-squares GAN", lambda: lab_defaults("lsgan", ss.get("lab_dataset"))),
    "hinge": ("Hinge GAN", lambda: lab_defaults("hinge", ss.get("lab_dataset"))),
    "yours": ("Your settings (single-run panel)", None),
}
PRESETS = {
    "collapse": ("Mode collapse (original GAN)", ":material/blur_on:"),
    "wgan-clip": ("WGAN with weight clipping", ":material/content_cut:"),
    "wgan-gp": ("WGAN-GP", ":material/straighten:"),
    "compare": ("Compare all", ":material/view_column:"),
}
COMPARE_ALL = ["collapse", "wgan-clip", "wgan-gp"]

ss = st.session_state


# --------------------------------------------------------------------- widget <-> config
def _nearest(options, value):
    return min(options, key=lambda o: abs(math.log(o) - math.log(value)) if o > 0 and value > 0 else abs(o - value))


def config_to_state(cfg: ToyConfig) -> dict:
    """Widget values (keyed as on the page) that reproduce ``cfg``."""
    b1, b2 = cfg.betas if cfg.betas is not None else (0.0, 0.99)
    state = {
        "lab_loss": cfg.loss, "lab_optimizer": cfg.optimizer,
        "lab_lr_d": _nearest(LR_OPTIONS, cfg.lr_d), "lab_lr_g": _nearest(LR_OPTIONS, cfg.lr_g),
        "lab_beta1": float(b1), "lab_beta2": float(b2), "lab_n_critic": int(cfg.n_critic),
        "lab_clip": _nearest(CLIP_OPTIONS, cfg.clip or 0.0), "lab_gp_lambda": _nearest(GP_OPTIONS, cfg.gp_lambda),
        "lab_batch": _nearest(BATCH_OPTIONS, cfg.batch_size), "lab_latent": _nearest(LATENT_OPTIONS, cfg.latent_dim),
        "lab_g_depth": int(cfg.g_depth), "lab_g_width": _nearest(WIDTH_OPTIONS, cfg.g_width),
        "lab_d_depth": int(cfg.d_depth), "lab_d_width": _nearest(WIDTH_OPTIONS, cfg.d_width),
        "lab_activation": cfg.activation, "lab_bigan": bool(cfg.bigan),
        "lab_latent_dist": cfg.latent_dist,
    }
    return state


def state_to_config() -> ToyConfig:
    """The single-run configuration the widgets describe (fields without a widget: the loss's lab defaults)."""
    return replace(
        lab_defaults(ss["lab_loss"], ss.get("lab_dataset")), optimizer=ss["lab_optimizer"], lr_d=float(ss["lab_lr_d"]),
        lr_g=float(ss["lab_lr_g"]), betas=(float(ss["lab_beta1"]), float(ss["lab_beta2"])),
        n_critic=int(ss["lab_n_critic"]), clip=(float(ss["lab_clip"]) or None), gp_lambda=float(ss["lab_gp_lambda"]),
        batch_size=int(ss["lab_batch"]), latent_dim=int(ss["lab_latent"]), g_depth=int(ss["lab_g_depth"]),
        g_width=int(ss["lab_g_width"]), d_depth=int(ss["lab_d_depth"]), d_width=int(ss["lab_d_width"]),
        activation=ss["lab_activation"], bigan=bool(ss["lab_bigan"]), latent_dist=ss.get("lab_latent_dist", "gaussian"),
    ).validate()


def _set_state(values: dict) -> None:
    for key, value in values.items():
        ss[key] = value


def _init_defaults() -> None:
    """First visit: the 'Mode collapse' preset, single-run mode, ring of 8."""
    defaults = {**config_to_state(_collapse_config()), "lab_mode": "single", "lab_dataset": "ring8", "lab_seed": 0,
                "lab_speed": "Full speed", "lab_count": 3, "lab_custom_text": "", "lab_device": DEFAULT_LAB_DEVICE,
                "lab_layers": ["heatmap", "real", "fake", "arrows", "manifold"],
                "lab_charts": ["losses", "metrics", "latents"]}
    for i, name in enumerate(COMPARE_ALL + ["wgan-gp"]):
        defaults[f"lab_slot_{i}"] = name
    for key, value in defaults.items():
        if key not in ss:
            ss[key] = value
    if "lab_id" not in ss:
        _settings_from_link()
        ss["lab_id"] = uuid.uuid4().hex


def _link_choice(key: str, labels: dict[str, str]) -> str | None:
    """The option a link gives for ``key``: by its label, as the page writes links, or by its
    plain name (``lab_dataset=grid25``, typed by hand; the widget itself only reads labels, so the
    choice is made through the session state). None when the link does not give one, or gives an
    unknown one (ignored, as the widget ignores it)."""
    value = st.query_params.get(key)
    if value in labels:
        ss[key] = value
        return value
    return {label: name for name, label in labels.items()}.get(value)


# What choosing a loss or a dataset on the page changes (on_loss_change, on_dataset_change).
_NETWORK_KEYS = ("lab_g_width", "lab_d_width", "lab_g_depth", "lab_d_depth")
_LOSS_KEEPS = ("lab_loss", "lab_batch", "lab_latent", *_NETWORK_KEYS, "lab_activation", "lab_bigan",
               "lab_latent_dist")


def _settings_from_link() -> None:
    """First visit through a link that names a loss or a dataset: the settings that come with that
    choice, where the link does not give them itself. A link copied right after choosing the grid
    holds only ``lab_dataset`` (the network settings, in the closed expander, reach the address bar
    only once shown), and must still open with the grid's wider networks."""
    loss, dataset = _link_choice("lab_loss", LOSS_LABELS), _link_choice("lab_dataset", DATASET_LABELS)
    if loss is None and dataset in (None, "custom"):
        return
    state = config_to_state(lab_defaults(loss or ss["lab_loss"], dataset or ss["lab_dataset"]))
    follows = (set(state) - set(_LOSS_KEEPS) if loss else set()) | (
        set(_NETWORK_KEYS) if dataset not in (None, "custom") else set())
    for key in follows:
        if key not in st.query_params:
            ss[key] = state[key]


# ------------------------------------------------------------------------------ callbacks
def on_loss_change() -> None:
    """A new loss brings its own optimiser settings (the lab defaults, which start from its paper's)."""
    cfg = lab_defaults(ss["lab_loss"], ss.get("lab_dataset"))
    _set_state({k: v for k, v in config_to_state(cfg).items() if k not in _LOSS_KEEPS})


def on_dataset_change() -> None:
    """New data bring their own network size (grid25: 3 x 128 units, see ``toy_train._DATASET_DEFAULTS``)."""
    if ss.get("lab_dataset") == "custom":
        return  # drawn points: keep whatever the visitor set
    cfg = lab_defaults(ss["lab_loss"], ss.get("lab_dataset"))
    state = config_to_state(cfg)
    _set_state({k: state[k] for k in _NETWORK_KEYS})


def load_paper_values() -> None:
    """The optimiser settings exactly as the loss's paper gives them (gan_core.lab.losses.LOSSES)."""
    d = LOSSES[ss["lab_loss"]].defaults
    betas = d.get("betas") or (0.0, 0.99)
    _set_state({"lab_optimizer": d["optimizer"], "lab_lr_d": _nearest(LR_OPTIONS, d["lr_d"]),
                "lab_lr_g": _nearest(LR_OPTIONS, d["lr_g"]), "lab_beta1": float(betas[0]),
                "lab_beta2": float(betas[1]), "lab_n_critic": int(d["n_critic"]),
                "lab_clip": _nearest(CLIP_OPTIONS, d["clip"] or 0.0),
                "lab_gp_lambda": _nearest(GP_OPTIONS, d["gp_lambda"])})


def apply_preset(name: str) -> None:
    """Load a preset's values and start a fresh (paused) run with them."""
    _stop_run()
    ss["lab_dataset"] = "ring8"
    if name == "compare":
        ss["lab_mode"] = "compare"
        ss["lab_count"] = len(COMPARE_ALL)
        for i, slot in enumerate(COMPARE_ALL):
            ss[f"lab_slot_{i}"] = slot
    else:
        ss["lab_mode"] = "single"
        cfg = _collapse_config() if name == "collapse" else lab_defaults(name, "ring8")
        _set_state(config_to_state(cfg))
    ss["lab_preset"] = name
    ss.pop("lab_run", None)  # rebuilt from the new settings on this rerun


def _stop_run() -> None:
    run = ss.get("lab_run")
    if run is not None and run.running:
        run.pause()
    run_registry.REGISTRY.release(ss["lab_id"])


def reset_run() -> None:
    _stop_run()
    ss.pop("lab_run", None)
    ss.pop("lab_notice", None)


def _current_run(build: bool = True):
    """The session's run, rebuilt when the settings changed and nothing was trained yet."""
    setup = ss.get("lab_setup")
    run = ss.get("lab_run")
    if setup is None or isinstance(setup, str):
        return run
    if build and (run is None or (ss.get("lab_run_sig") != setup["sig"] and run.step == 0 and run.d_step == 0
                                  and not run.running)):
        run = LabSession(setup["configs"], setup["labels"], setup["mixture"], seed=setup["seed"],
                         device=setup["device"], max_steps=run_registry.MAX_STEPS, background=True)
        ss["lab_run"], ss["lab_run_sig"] = run, setup["sig"]
    return run


def toggle_run(action: str) -> None:
    """Start or pause, as the button said when it was clicked.

    The button's callback carries the action its label showed, so a click that reaches the server
    late (a busy server, a double click) never flips the run back: a second "Pause" is a no-op.
    """
    run = _current_run()
    if run is None:
        return
    if action == "pause":
        if run.running:
            run.pause()
            run_registry.REGISTRY.release(ss["lab_id"])
        return
    if run.running:
        return
    if not run.can_train:
        ss["lab_notice"] = ("This run has reached the cap of "
                            f"{run_registry.MAX_STEPS:,} generator steps per run" if run.at_cap
                            else "Every configuration of this run diverged") + ": press Reset to start a new one."
        return
    if run_registry.REGISTRY.acquire(ss["lab_id"]):
        ss.pop("lab_notice", None)
        run.start()
    else:
        ss["lab_notice"] = (f"The server is training {run_registry.REGISTRY.max_runs} runs for other visitors right "
                            "now, its limit. Please try again in a minute — single steps still work meanwhile.")


def single_step(which: str) -> None:
    run = _current_run()
    if run is None:
        return
    if run.running:
        run.pause()
        run_registry.REGISTRY.release(ss["lab_id"])
    {"d": run.step_discriminator, "g": run.step_generator, "both": run.step_both}[which]()


# ------------------------------------------------------------------------------ the page
_init_defaults()
page_header(
    "Training lab: GANs on 2-D data",
    "Train GANs live on points in the plane: watch the generator's samples move under the discriminator's "
    "verdict, and the original GAN collapse onto one mode while WGAN-GP covers them all.",
    link=False,
)

# -------------------------------------------------------------- presets and mode
preset_cols = st.columns([1.45, 1.3, 0.8, 0.9])  # wide enough for one line each at 1280 px
for col, (name, (label, icon)) in zip(preset_cols, PRESETS.items()):
    col.button(label, key=f"lab_preset_{name}", on_click=apply_preset, args=(name,), icon=icon, width="stretch",
               type="primary" if ss.get("lab_preset") == name else "secondary", wrap=True,
               help="Loads this preset's settings and a fresh run; then press Start.")

top = st.columns([1.7, 1.3, 0.8, 1.4])
mode = top[0].radio("Mode", ["single", "compare"], key="lab_mode", bind="query-params", horizontal=True,
                    format_func={"single": "Single run", "compare": "Side by side"}.get)
_grid = lab_defaults("wgan-gp", "grid25")
_GRID_HELP = (f"The ring and the grid follow the VEEGAN / PacGAN protocol. The grid's 25 narrow modes need wider "
              f"networks: choosing it loads {_grid.g_depth} × {_grid.g_width} units (and a {_grid.iters:,}-step "
              "learning-rate schedule), so a grid run takes a few minutes rather than seconds.")
dataset = top[1].selectbox("Data", list(DATASETS) + ["custom"], key="lab_dataset", bind="query-params",
                           format_func=DATASET_LABELS.get, on_change=on_dataset_change,
                           help=_GRID_HELP)
seed = int(top[2].number_input("Seed", 0, 9999, step=1, key="lab_seed", bind="query-params",
                               help="Seeds the weights, the data stream and the noise of every configuration."))
with top[3]:
    st.space("small")  # level with the other controls' boxes, below their labels
    link_to_this_view()

# --------------------------------------------------------------------- custom data
points = None
problems: list[str] = []
if dataset == "custom":
    with st.expander("Your own points: click or lasso points on the left, or type them on the right", expanded=True):
        pick_col, text_col = st.columns([3, 2])
        t = np.linspace(-2.0, 2.0, 17)
        xx, yy = np.meshgrid(t, t)
        candidates = np.stack([xx.ravel(), yy.ravel()], 1)
        with pick_col:
            event = st.plotly_chart(viz_lab.picker_figure(candidates, (-2.3, 2.3, -2.3, 2.3)), width="stretch",
                                    key="lab_pick", on_select="rerun", selection_mode=("points", "box", "lasso"),
                                    config={"displaylogo": False})
        chosen = []
        try:
            for p in (event.selection.points if event is not None else []):
                chosen.append((float(p["x"]), float(p["y"])))
        except (AttributeError, KeyError, TypeError):
            chosen = []
        with text_col:
            text = st.text_area("Points, one “x, y” per line", key="lab_custom_text", bind="query-params", height=200,
                                help="Each point becomes the centre of a small Gaussian (std 0.05). Shift-click or "
                                     "lasso on the plot to choose many.")
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            parts = line.replace(";", ",").replace(" ", ",").split(",")
            parts = [p for p in parts if p]
            try:
                x, y = (float(v) for v in parts)
                if not (math.isfinite(x) and math.isfinite(y)):
                    raise ValueError
                chosen.append((x, y))
            except ValueError:
                problems.append(f"line {n} (“{line.strip()}”) is not two numbers “x, y”")
        chosen = list(dict.fromkeys(chosen))  # drop duplicates, keep order
        if chosen:
            points = np.array(chosen)
            st.caption(f"{len(chosen)} mode centre(s) chosen.")
        else:
            problems.append("choose at least one point: click one on the plot or type “x, y”")

# ------------------------------------------------------------------- configurations
labels: list[str] = []
configs: list[ToyConfig] = []
with st.expander("Settings of the single run" + (" (used by the “Your settings” slot)" if mode == "compare" else ""),
                 expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        st.selectbox("Loss", list(LOSSES), key="lab_loss", bind="query-params", format_func=LOSS_LABELS.get,
                     on_change=on_loss_change, help="Changing the loss loads its optimiser settings.")
        st.selectbox("Optimiser (both networks)", ["adam", "rmsprop", "sgd"], key="lab_optimizer", bind="query-params",
                     format_func={"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}.get)
        st.button("Load the paper's exact values", key="lab_paper", on_click=load_paper_values,
                  help="The optimiser settings of the loss's paper. The lab's defaults deviate where the paper's "
                       "values need far more steps than a live demo has (see the source notes below).")
    with c2:
        st.select_slider("Learning rate of D", LR_OPTIONS, key="lab_lr_d", bind="query-params", format_func=lambda v: f"{v:g}")
        st.select_slider("Learning rate of G", LR_OPTIONS, key="lab_lr_g", bind="query-params", format_func=lambda v: f"{v:g}")
        b1, b2 = st.columns(2)
        b1.number_input("β₁", 0.0, 0.99, step=0.05, key="lab_beta1", bind="query-params", format="%.2f",
                        help="Adam's first-moment decay (unused by RMSprop and SGD).")
        b2.number_input("β₂ / α", 0.0, 0.9999, step=0.001, key="lab_beta2", bind="query-params", format="%.4f",
                        help="Adam's second-moment decay; RMSprop's smoothing constant α.")
    with c3:
        st.slider("Critic steps per generator step", 1, 10, key="lab_n_critic", bind="query-params")
        st.select_slider("Weight clip c", CLIP_OPTIONS, key="lab_clip", bind="query-params",
                         format_func=lambda v: "off" if v == 0 else f"{v:g}", help="WGAN's paper: c = 0.01.")
        st.select_slider("Gradient penalty λ", GP_OPTIONS, key="lab_gp_lambda", bind="query-params",
                         format_func=lambda v: "off" if v == 0 else f"{v:g}",
                         help="WGAN-GP's paper: λ = 10 on images; its toy-data code uses 0.1.")
        st.select_slider("Batch size (points)", BATCH_OPTIONS, key="lab_batch", bind="query-params")
    with c4:
        l1, l2 = st.columns(2)
        l1.select_slider("Latent size", LATENT_OPTIONS, key="lab_latent", bind="query-params")
        l2.selectbox("Latent distribution", list(LATENT_DISTS), key="lab_latent_dist", bind="query-params",
                     format_func=LATENT_DIST_LABELS.get,
                     help="Where the generator's input z comes from. GAN Lab offers both; with a uniform prior "
                          "the manifold view covers the whole square [−1, 1]².")
        g1, g2 = st.columns(2)
        g1.slider("G depth", 0, 4, key="lab_g_depth", bind="query-params", help="Hidden layers of the generator.")
        g2.select_slider("G width", WIDTH_OPTIONS, key="lab_g_width", bind="query-params")
        d1, d2 = st.columns(2)
        d1.slider("D depth", 0, 4, key="lab_d_depth", bind="query-params", help="Hidden layers of the discriminator.")
        d2.select_slider("D width", WIDTH_OPTIONS, key="lab_d_width", bind="query-params")
        a1, a2 = st.columns([3, 2])
        a1.selectbox("Activation", list(ACTIVATIONS), key="lab_activation", bind="query-params")
        a2.toggle("BiGAN", key="lab_bigan", bind="query-params", help="Add an encoder E(x) → z; D judges (x, z) pairs.")
        if len(DEVICES) > 1:  # a GPU is present: offer it, but default to the (faster) CPU
            st.segmented_control("Device", DEVICES, key="lab_device", format_func=LAB_DEVICES.get, required=True,
                                 help=device_help())
    spec = LOSSES[ss["lab_loss"]]
    st.caption("Sources: " + "; ".join(f"{k}: {v}" for k, v in spec.sources.items())
               + ". Lab defaults differ where noted in `gan_core/toy_train.py` (e.g. larger learning rates so a "
                 "run shows its result within seconds).")

try:
    single_cfg = state_to_config()
except ValueError as exc:
    single_cfg = None
    problems.append(f"the single-run settings are not valid: {exc}")

if mode == "single":
    if single_cfg is not None:
        configs, labels = [single_cfg], [LOSS_LABELS[single_cfg.loss]]
else:
    count = st.segmented_control("Configurations side by side", [2, 3, 4], key="lab_count", bind="query-params",
                                 required=True) or 3
    slot_cols = st.columns(count)
    for i in range(count):
        name = slot_cols[i].selectbox(f"Configuration {i + 1}", list(NAMED), key=f"lab_slot_{i}", bind="query-params",
                                      format_func=lambda n: NAMED[n][0])
        label, factory = NAMED[name]
        cfg = single_cfg if factory is None else factory()
        if cfg is not None:
            configs.append(cfg)
            labels.append(label if label not in labels else f"{label} ({i + 1})")
    if len({c.arch_key() for c in configs}) > 1:
        nets = "; ".join(f"{lab}: latent {c.latent_dim}, G {c.g_depth}×{c.g_width}, D {c.d_depth}×{c.d_width}"
                         for lab, c in zip(labels, configs))
        st.caption(f"These configurations differ in their networks as well as their losses ({nets}), because each "
                   "preset keeps the setup of the paper it comes from. So a difference you see is not the loss alone: "
                   "for a loss-only comparison, pick slots that share one network — every “lab defaults” slot "
                   "and “Non-saturating”, “WGAN”, “WGAN-GP”, “Least-squares”, “Hinge” do.")

if problems:
    for p in problems:
        show_error(p[0].upper() + p[1:] + ".")
    ss["lab_setup"] = "invalid"
else:
    try:
        mixture = make_dataset(dataset) if dataset != "custom" else custom_mixture(points)
        device = ss.get("lab_device") if ss.get("lab_device") in DEVICES else DEFAULT_LAB_DEVICE
        sig = (tuple(repr(c.to_dict()) for c in configs), tuple(labels), dataset,
               None if points is None else points.round(6).tobytes(), seed, device)
        ss["lab_setup"] = {"configs": configs, "labels": labels, "mixture": mixture, "seed": seed, "sig": sig,
                           "device": device}
    except ValueError as exc:
        show_error(f"These settings cannot be trained: {exc}.")
        ss["lab_setup"] = "invalid"

try:
    run = _current_run()
except ValueError as exc:
    show_error(f"These settings cannot be trained: {exc}.")
    run = None
setup_now = ss.get("lab_setup")
if run is not None and isinstance(setup_now, dict) and ss.get("lab_run_sig") != setup_now["sig"]:
    st.info("The settings changed since this run started. It goes on with its old settings; press **Reset** to "
            "start over with the new ones.", icon=":material/info:")

# ---------------------------------------------------------------------- run bar
running = run is not None and run.running
bar = st.columns([1.1, 1, 1, 1, 1.1, 1.6, 1.1])
bar[0].button("Pause" if running else "Start", key="lab_play", on_click=toggle_run,
              args=("pause" if running else "start",), type="primary",
              icon=":material/pause:" if running else ":material/play_arrow:", width="stretch", disabled=run is None)
bar[1].button("Reset", key="lab_reset", on_click=reset_run, icon=":material/restart_alt:", width="stretch")
bar[2].button("Step D", key="lab_step_d", on_click=single_step, args=("d",), width="stretch", disabled=run is None,
              help="Exactly one discriminator / critic step; the generator stays put.")
bar[3].button("Step G", key="lab_step_g", on_click=single_step, args=("g",), width="stretch", disabled=run is None,
              help="Exactly one generator step; the discriminator stays put.")
bar[4].button("Step both", key="lab_step_both", on_click=single_step, args=("both",), width="stretch",
              disabled=run is None, help="One full iteration: the critic steps, then one generator step.")
bar[5].select_slider("Speed", list(SPEEDS), key="lab_speed", bind="query-params", label_visibility="collapsed",
                     help="Generator steps per refresh (about 4 refreshes a second). Slow speeds let you follow "
                          "single moves; full speed trains as fast as the server allows.")
with bar[6].popover("Show", icon=":material/layers:", width="stretch"):
    layers = st.pills("Plane layers", list(viz_lab.LAYERS), selection_mode="multi", key="lab_layers",
                      bind="query-params", format_func=viz_lab.LAYER_LABELS.get)
    charts = st.pills("Charts", list(CHARTS), selection_mode="multi", key="lab_charts", bind="query-params",
                      format_func=CHARTS.get)
if ss.get("lab_notice"):
    st.warning(ss["lab_notice"], icon=":material/hourglass_top:")


# ------------------------------------------------------------------------ live views
def _metric_row(run: LabSession) -> pd.DataFrame:
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


def _explain(run: LabSession) -> None:
    losses = {c.loss for c in run.configs}
    st.markdown("#### What you are seeing")
    st.markdown(
        "Blue dots are real data, orange dots the generator's samples. The background is the discriminator's "
        "verdict on every point of the plane: **blue = “looks real”**, orange = “looks fake”. Each short black "
        "arrow starts at a generated point and points the way the generator's loss pushes it (lengths are rescaled "
        "for display; the caption gives their true size). The grey mesh is where the generator sends an evenly "
        "spaced grid of latent codes: its folds and stretches are the generator's manifold.")
    if losses & {"minimax", "non-saturating"}:
        st.markdown(
            "**Why the original GAN hops between modes.** The arrows of nearby samples point the same way: the "
            "generator is one smooth function, so it moves its whole cloud towards whichever blue region is "
            "closest. Once the samples sit on a mode, the discriminator learns that this mode is where fakes "
            "live, paints it orange, and the cloud moves on to the next blue region — the dance you see "
            "in the modes-captured curve. Nothing in the loss rewards covering *all* modes at once: with the "
            "discriminator near its optimum the game measures Jensen–Shannon divergence, which saturates at "
            "log 2 when supports barely overlap (lesson “The GAN objective”) and then gives vanishing gradients "
            "(lesson “Vanishing gradients”).")
    if "wgan-gp" in losses:
        st.markdown(
            "**The critic's near-linear slope (WGAN-GP).** The critic is not a classifier: it is a scoring "
            "function whose slope the gradient penalty keeps close to 1. Between the fakes and the data it "
            "becomes an almost straight ramp, so every fake sample gets a push of similar size up the ramp, "
            "even far from the data — and samples spread to every mode instead of chasing one. Its value "
            "difference between data and fakes estimates the Wasserstein distance (lesson “Wasserstein distance”).")
    if "wgan-clip" in losses:
        st.markdown(
            "**What weight clipping does to the critic.** Every weight is clamped to [−c, c] after each step. "
            "Most weights end up pinned at ±c, and a network made of such weights can only draw broad, simple "
            "slopes: look at the heatmap — a few wide bands rather than the shape of the data. Its gradients "
            "are small and blurry, so samples reach the modes slowly and stay smeared (low high-quality %). "
            "The gradient penalty avoids this by constraining the slope itself, only where it matters, "
            "and leaving the weights free.")
    for title, path in (("The GAN objective", "pages/gan_objective.py"), ("Wasserstein distance", "pages/wasserstein.py")):
        try:
            st.page_link(path, label=f"Lesson: {title}", icon=":material/school:")
        except StreamlitPageNotFoundError:
            pass  # the page runs on its own (a single-file test): nothing to link into


def _plane_state(run: LabSession, layers) -> dict:
    """Everything the plane view shows, read from the run in one go (numpy copies and numbers)."""
    return {"views": run.views(arrows="arrows" in layers, manifold="manifold" in layers), "step": run.step,
            "d_step": run.d_step, "speed": run.throughput()["it_per_train_s"], "device": run.device,
            "running": run.running, "max_steps": run.max_steps, "real": run.real_points,
            "extent": run.mixture.extent}


def _draw_plane(state: dict, layers, mode: str) -> None:
    """Status line, the plane(s) and what the heatmap and arrows mean (redrawn every refresh).

    While training, each plane is a server-drawn picture (``gan_core.lab.plane_raster``): it costs the
    browser a few milliseconds where a thousand SVG or WebGL points cost it hundreds, so the view
    keeps up four times a second.  Paused, it is an interactive Plotly figure (hover, zoom)."""
    views, extent = state["views"], state["extent"]
    st.markdown(f"**Step {state['step']:,}** generator steps · {state['d_step']:,} D steps · "
                f"{state['speed']:,.0f} it/s · **{state['device']}** · "
                + (":green[training]" if state["running"] else "paused"),
                help="Generator steps, discriminator (critic) steps, training iterations per second of "
                     "training time, and the device the networks run on.")
    dicts = [vars(v) for v in views]
    single = mode == "single" and len(views) == 1
    if state["running"]:
        size = LIVE_RASTER_PX if single else LIVE_RASTER_PX * 3 // 4
        cols = st.columns(1 if single else (2 if len(views) == 4 else len(views)))
        for i, d in enumerate(dicts):
            picture = plane_raster.encode(plane_raster.plane_image(d, state["real"], extent, layers, size=size))
            with cols[i % len(cols)]:
                # About the size of the paused figure's square plot, so Start and Pause do not make the page jump.
                st.image(picture, caption=None if single else views[i].label,
                         width=LIVE_RASTER_PX if single else "stretch")
    else:
        if single:
            fig = viz_lab.plane_figure(dicts[0], state["real"], extent, layers, height=600)
        else:
            fig = viz_lab.planes_figure(dicts, [v.label for v in views], state["real"], extent, layers)
        st.plotly_chart(fig, width="stretch", key="lab_plane", config={"displaylogo": False})
        _downloads(fig, "lab_plane", f"Training lab: the plane at generator step {state['step']:,}")
    notes = []
    for v in views:
        kind = {"probability": "D's probability that a point is real (0 to 1)",
                "critic": "the critic's score f(x) (unitless; only differences matter)",
                "least-squares": "D's least-squares output (target 1 = real, 0 = fake)"}[v.kind]
        grad = ""
        if "arrows" in layers and v.arrow_vectors is not None:
            norms = np.linalg.norm(v.arrow_vectors, axis=1)
            finite = norms[np.isfinite(norms)]
            if finite.size:
                grad = f"; median push |∇ℓ| = {format_value(float(np.median(finite)), 'loss per data unit')}"
        notes.append(f"{v.label}: heatmap = {kind}{grad}")
        if v.diverged:
            show_error(f"{v.label}: {v.diverged}")
    live = (_legend(layers) + " Pause to hover over points and zoom. ") if state["running"] else ""
    st.caption(live + " · ".join(notes) + f". At most {state['max_steps']:,} generator steps per run.")


def _downloads(fig, key: str, title: str) -> None:
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


def _draw_charts(run: LabSession, charts) -> None:
    """Metric table, loss and metric curves, BiGAN latents (redrawn about once a second)."""
    st.table(_metric_row(run), hide_index=True)
    st.caption(f"Metrics on {run.configs[0].eval_samples:,} generated samples (VEEGAN / PacGAN protocol: a sample is "
               f"high quality within 3 std = {3 * run.mixture.std:g} data units of a mode centre). W1 of two real "
               f"samples with the same estimator: {run.w1_floor:.3f} data units — the floor a perfect generator reaches.")
    n = len(run.members)
    if run.step == 0 and {"losses", "metrics"} & set(charts):
        # Nothing to plot yet; two empty Plotly charts would cost the page ~0.3 s to open.
        st.caption("Loss and metric curves appear here once the run has trained a generator step.")
        charts = [c for c in charts if c not in ("losses", "metrics")]
    both = "losses" in charts and "metrics" in charts
    cols = st.columns([2, 3]) if both else [st.container(), st.container()]
    # While training the curves are pictures drawn here (gan_core.lab.chart_raster): redrawing two Plotly
    # charts costs the browser ~0.3 s of CPU each time, taken from training on a small machine.
    live = run.running
    legend = chart_raster.legend_for(run.labels)
    if "losses" in charts:
        with cols[0]:
            losses = [run.loss_history(i) for i in range(n)]
            if live:
                st.image(plane_raster.encode(chart_raster.curves_image(
                    chart_raster.loss_panels(losses), 1, width=420, panel_height=170, legend=legend), "PNG"),
                    width="stretch")
            else:
                fig = viz_lab.loss_figure(losses, run.labels)
                st.plotly_chart(fig, width="stretch", key="lab_losses", config={"displaylogo": False})
                _downloads(fig, "lab_losses", f"Training lab: losses up to generator step {run.step:,}")
    if "metrics" in charts:
        with cols[1]:
            metrics = [run.metric_history(i) for i in range(n)]
            if live:
                st.image(plane_raster.encode(chart_raster.curves_image(
                    chart_raster.metric_panels(metrics, run.mixture.n_modes), 2, width=600, panel_height=170,
                    legend=legend), "PNG"), width="stretch")
            else:
                fig = viz_lab.metrics_figure(metrics, run.labels, run.mixture.n_modes)
                st.plotly_chart(fig, width="stretch", key="lab_metrics", config={"displaylogo": False})
                _downloads(fig, "lab_metrics", f"Training lab: mode metrics up to generator step {run.step:,}")
    if live and {"losses", "metrics"} & set(charts):
        st.caption("Curves are pictures while training; pause to hover over them and zoom.")
    if "latents" in charts and any(c.bigan for c in run.configs):
        views = run.views(arrows=False, manifold=False)
        bigan = [(v.label, v.encoded) for v in views if v.encoded is not None]
        dist = next(c.latent_dist for c in run.configs if c.bigan)
        prior = draw_latent(LIVE_POINTS, 2, dist, torch.Generator().manual_seed(0)).numpy()
        fig = viz_lab.latent_figure([e for _, e in bigan], [f"{t}: E(x)" for t, _ in bigan], run.real_modes,
                                    prior, prior_name=f"prior: {LATENT_DIST_LABELS[dist]}")
        st.plotly_chart(fig, width="stretch", key="lab_latents", config={"displaylogo": False})
        _downloads(fig, "lab_latents", f"Training lab: BiGAN latents at generator step {run.step:,}")
        st.caption("A BiGAN's encoder should invert the generator: real points of one mode should land "
                   "together, and all codes together should look like the prior (grey).")


@st.fragment(run_every=REFRESH_S if running else None)
def live_plane():
    """Advances the run (when running), then draws the plane; while training, again every
    REFRESH_S for up to LIVE_LOOP_S within this one fragment run.

    A CPU run trains in a forked child process (``LabSession(background=True)``, see
    ``gan_core.lab.worker``): advancing only pulls the child's latest state, so training never
    waits for the drawing.  A thread would not do: both are Python-heavy, and a drawing thread
    beside the training one slowed training by more than the drawing takes (measured: 67 against
    73 iterations per second on 2 cores).  ``scripts/bench_lab.py`` (wgan-gp, 2 cores, the browser
    on the same machine), as a share of the engine's headless throughput:

    * one fragment run per refresh (2026-11-23): 0.79 (phases 0.74-0.83) at 4.22 refreshes a
      second.  The training child was runnable all the time but waited for a core 13-19 % of it
      (/proc schedstat), behind the browser re-rendering the whole page on every run;
    * several refreshes per run (LIVE_LOOP_S), same day: 0.86 (phases 0.79-0.88) at 4.29
      refreshes a second; the child waits 4-5 %."""
    run = ss.get("lab_run")
    if run is None:
        st.info("Fix the settings above to start a run.", icon=":material/info:")
        return
    layers, mode = ss.get("lab_layers") or [], ss.get("lab_mode", "single")
    view = st.empty()
    # Loop only in the timer's runs of this fragment: a run of the whole page must go on to draw
    # what follows (charts, explanations, timeline).
    timer = _fragment_run()
    end = time.monotonic() + (LIVE_LOOP_S if timer else 0.0)
    while True:  # one refresh per pass; paused, or in a run of the whole page, a single pass
        if timer:  # keep the pace across runs too: the timer's next run is queued during a loop
            time.sleep(max(0.0, REFRESH_S - (time.monotonic() - ss.get("lab_last_refresh", 0.0))))
        ss["lab_last_refresh"] = time.monotonic()
        stopped = _refresh(run)
        with view.container():
            _draw_plane(_plane_state(run, layers), layers, mode)
        ss["lab_step"] = run.step
        ss["lab_d_step"] = run.d_step
        if stopped:
            st.rerun()  # a full rerun turns the timers off, updates the buttons and draws the final state
        if not run.running or time.monotonic() + REFRESH_S > end:
            return


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
    # Reached the cap or every member diverged.
    run_registry.REGISTRY.release(ss["lab_id"])
    if run.at_cap:
        ss["lab_notice"] = (f"This run reached the cap of {run.max_steps:,} generator steps per run "
                            "(so that every visitor gets a share of the server). Press Reset for a new one.")
    return True


@st.fragment(run_every=CHART_REFRESH_S if running else None)
def live_charts():
    run = ss.get("lab_run")
    if run is not None:
        _draw_charts(run, ss.get("lab_charts") or [])


if mode == "single":
    plane_col, explain_col = st.columns([3, 2])
    with plane_col:
        live_plane()
    with explain_col:
        if run is not None:
            _explain(run)
    live_charts()
else:
    live_plane()
    live_charts()
    if run is not None:
        _explain(run)

# ---------------------------------------------------------------------------- timeline
st.header("Timeline: replay the run")


# Not a fragment: a fragment's rerun waits for the live view's running loop (Streamlit queues
# fragment runs behind the current one; up to LIVE_LOOP_S), whereas a rerun of the page
# interrupts it, so the slider answers at once while a run trains too.
def timeline():
    run = ss.get("lab_run")
    if run is None or len(run.frames) < 2:
        st.caption("Train for a moment, then scrub through the run here: frames are kept while it trains.")
        return
    frames = run.frames
    # A fixed range: Streamlit resets a slider whose bounds change, and a training run adds frames
    # every refresh, so a slider over frame numbers jumped back to the last frame on every move.
    position = st.slider("Position in the run (%)", 0, 100, 100, key="lab_frame_pos",
                         help=f"0 % is the start, 100 % the latest frame; {len(frames)} frames are kept, "
                              "spread over the whole run.")
    frame = run.frame_at(position)
    views = []
    for i in range(len(run.members)):
        n = frame.heat[i].shape[0]
        x0, x1, y0, y1 = run.mixture.extent
        views.append({"kind": output_kind(run.configs[i].loss), "heat": frame.heat[i],
                      "grid_x": np.linspace(x0, x1, n), "grid_y": np.linspace(y0, y1, n), "fakes": frame.fakes[i],
                      "arrow_points": None, "manifold": None})
    titles = []
    for i, label in enumerate(run.labels):
        met = frame.metrics[i]
        extra = f" — {met['modes_captured']}/{met['n_modes']} modes" if met else ""
        titles.append(f"{label}{extra}")
    st.markdown(f"**{viz_lab.timeline_steps_label(frame.steps)}** of {run.step:,}")
    layers_tl = ("heatmap", "real", "fake")
    if len(views) == 1:
        fig = viz_lab.plane_figure(views[0], run.real_points, run.mixture.extent, layers_tl, title=titles[0], height=480,
                                   uirevision="timeline")
    else:
        fig = viz_lab.planes_figure(views, titles, run.real_points, run.mixture.extent, layers_tl,
                                    uirevision="timeline")
    st.plotly_chart(fig, width="stretch", key="lab_timeline_fig", config={"displaylogo": False})
    _downloads(fig, "lab_timeline_frame", f"Training lab: {viz_lab.timeline_steps_label(frame.steps)}")
    st.caption("Frame metrics are the latest snapshot taken before that frame (metrics are measured about every "
               "second of training).")
    # The frames as they are now (the run may still add some); the GIF is only drawn when asked for.
    kept, kinds = list(frames), [output_kind(c.loss) for c in run.configs]
    st.download_button(
        "Download the timeline as an animated GIF", key="lab_timeline_gif", mime="image/gif", on_click="ignore",
        file_name=f"gan-lab-{run.mixture.name}-step{kept[-1].step}.gif", icon=":material/animated_images:",
        data=lambda: timeline_gif.timeline_gif(kept, run.real_points, run.mixture.extent, kinds, run.labels),
        help=f"{min(len(kept), 120)} frames, made on the server; a few seconds for a side-by-side run.")


timeline()

next_lesson(__file__, [
    "The original GAN in the Unrolled-GAN setup puts its samples on one or two of the eight modes and hops between "
    "them; WGAN-GP covers all eight within a few hundred steps.",
    "A discriminator's probability map is sharp and saturates; a WGAN-GP critic is a smooth ramp whose push on the "
    "fakes never vanishes.",
    "Weight clipping leaves a blurry critic and smeared samples; the gradient penalty does not.",
])
