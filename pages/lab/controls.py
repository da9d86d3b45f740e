"""The lab's controls: first-visit state, presets, settings, side-by-side slots, the run bar, and
the callbacks of its buttons.  Every bound widget is drawn from the field table
(:mod:`pages.lab.fields`), with the default a link would reopen it with."""
from __future__ import annotations

import uuid

import streamlit as st

from gan_core.lab import run_registry
from gan_core.lab.config import ToyConfig, lab_defaults
from gan_core.lab.losses import LOSSES
from gan_core.lab.session import (DEFAULT_LAB_DEVICE, LAB_DEVICES, LabSession, available_lab_devices,
                                  device_help)
from pages.lab.fields import (COMPARE_ALL, DATASET_LABELS, FIELDS, FIRST_VISIT, LOSS_KEEPS, LOSS_LABELS, NAMED,
                              NETWORK_KEYS, collapse_config, config_to_state, paper_state, widget, widget_defaults)
from pages.query_guard import NumberParam, guard_numbers
from pages.lab import waiting_line

ss = st.session_state
PRESETS = {
    "collapse": ("Mode collapse (original GAN)", ":material/blur_on:"),
    "wgan-clip": ("WGAN with weight clipping", ":material/content_cut:"),
    "wgan-gp": ("WGAN-GP", ":material/straighten:"),
    "compare": ("Compare all", ":material/view_column:"),
}
#: Every bound numeric input of the lab, for the link guard (pages.query_guard).
NUMBER_PARAMS = [NumberParam(f.key, *f.bounds, integer=isinstance(f.bounds[0], int))
                 for f in FIELDS.values() if f.bounds]


# ------------------------------------------------------------------------ state
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


def init_state() -> list[str]:
    """Every widget's value on the first visit: the link's, else what comes with the link's loss
    and dataset (:func:`pages.lab.fields.widget_defaults`). Returns what the link guard ignored."""
    notes = guard_numbers(NUMBER_PARAMS)
    first = "lab_id" not in ss
    loss = (_link_choice("lab_loss", LOSS_LABELS) if first else None) or FIRST_VISIT["lab_loss"]
    dataset = (_link_choice("lab_dataset", DATASET_LABELS) if first else None) or FIRST_VISIT["lab_dataset"]
    for key, value in {**widget_defaults(loss, dataset), "lab_device": DEFAULT_LAB_DEVICE}.items():
        if key not in ss:
            ss[key] = value
    if first:
        ss["lab_id"] = uuid.uuid4().hex
    return notes


def device() -> str:
    """The device chosen for the run (the CPU unless a present GPU is chosen)."""
    return ss.get("lab_device") if ss.get("lab_device") in available_lab_devices() else DEFAULT_LAB_DEVICE


def defaults() -> dict:
    """The widgets' defaults for the loss and dataset chosen now."""
    return widget_defaults(ss["lab_loss"], ss["lab_dataset"])


def _set_state(values: dict) -> None:
    for key, value in values.items():
        ss[key] = value


# -------------------------------------------------------------------- callbacks
def on_loss_change() -> None:
    """A new loss brings its own optimiser settings (the lab defaults, which start from its paper's)."""
    cfg = lab_defaults(ss["lab_loss"], ss.get("lab_dataset"))
    _set_state({k: v for k, v in config_to_state(cfg).items() if k not in LOSS_KEEPS})


def on_dataset_change() -> None:
    """New data bring their own network size (grid25: 3 x 128 units, see the lab's dataset defaults)."""
    if ss.get("lab_dataset") == "custom":
        return  # drawn points: keep whatever the visitor set
    state = config_to_state(lab_defaults(ss["lab_loss"], ss.get("lab_dataset")))
    _set_state({k: state[k] for k in NETWORK_KEYS})


def load_paper_values() -> None:
    _set_state(paper_state(ss["lab_loss"]))


def apply_preset(name: str) -> None:
    """Load a preset's values and start a fresh (paused) run with them."""
    stop_run()
    ss["lab_dataset"] = "ring8"
    if name == "compare":
        ss["lab_mode"], ss["lab_count"] = "compare", len(COMPARE_ALL)
        _set_state({f"lab_slot_{i}": slot for i, slot in enumerate(COMPARE_ALL)})
    else:
        ss["lab_mode"] = "single"
        _set_state(config_to_state(collapse_config() if name == "collapse" else lab_defaults(name, "ring8")))
    ss["lab_preset"] = name
    ss.pop("lab_run", None)  # rebuilt from the new settings on this rerun


def stop_run() -> None:
    run = ss.get("lab_run")
    if run is not None and run.running:
        run.pause()
    run_registry.REGISTRY.release(ss["lab_id"])


def reset_run() -> None:
    stop_run()
    ss.pop("lab_run", None)
    ss.pop("lab_notice", None)


def current_run(build: bool = True):
    """The session's run, rebuilt when the settings changed and nothing was trained yet."""
    setup, run = ss.get("lab_setup"), ss.get("lab_run")
    if setup is None or isinstance(setup, str):
        return run
    if build and (run is None or (ss.get("lab_run_sig") != setup["sig"] and run.step == 0 and run.d_step == 0
                                  and not run.running)):
        run = LabSession(setup["configs"], setup["labels"], setup["mixture"], seed=setup["seed"],
                         device=setup["device"], max_steps=run_registry.MAX_STEPS, background=True)
        ss["lab_run"], ss["lab_run_sig"] = run, setup["sig"]
    return run


def cap_notice(max_steps: int) -> str:
    return (f"This run reached the cap of {max_steps:,} generator steps per run (so that every visitor gets a share "
            "of the server). Press Reset for a new one.")


def toggle_run(action: str) -> None:
    """Start or pause, as the button said when it was clicked.

    The button's callback carries the action its label showed, so a click that reaches the server
    late (a busy server, a double click) never flips the run back: a second "Pause" is a no-op."""
    run = current_run()
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
        ss["lab_notice"] = cap_notice(run.max_steps) if run.at_cap else (
            "Every configuration of this run diverged: press Reset to start a new one.")
        return
    waiting_line.join(run)  # starts it, or takes a place in line when the server is full (issue 17)


def single_step(which: str) -> None:
    run = current_run()
    if run is None:
        return
    if run.running:
        run.pause()
        run_registry.REGISTRY.release(ss["lab_id"])
    {"d": run.step_discriminator, "g": run.step_generator, "both": run.step_both}[which]()


# ---------------------------------------------------------------------- widgets
def _bigan_switched() -> None:
    """Switching BiGAN on brings its joint discriminator's width (it judges (x, z) pairs: 128 units
    reach 8/8 ring modes and 63-83 % high quality, 64 units under 50 %; docs/bigan.md)."""
    if ss.get("lab_bigan"):
        ss["lab_d_width"] = lab_defaults(ss["lab_loss"], None, bigan=True).d_width


def preset_buttons(narrow: bool = False) -> None:
    """The preset buttons: one row, or two rows of two in a narrow column."""
    if narrow:
        cols = [c for _ in range(2) for c in st.columns(2)]
    else:
        cols = st.columns([1.45, 1.3, 0.8, 0.9])  # wide enough for one line each at 1280 px
    for col, (name, (label, icon)) in zip(cols, PRESETS.items()):
        col.button(label, key=f"lab_preset_{name}", on_click=apply_preset, args=(name,), icon=icon, width="stretch",
                   type="primary" if ss.get("lab_preset") == name else "secondary", wrap=True,
                   help="Loads this preset's settings and a fresh run; then press Start.")


def top_controls(link, narrow: bool = False) -> tuple[str, str, int]:
    """Mode, data, seed and the permalink (``link``: the page's link popover). Returns them."""
    grid = lab_defaults("wgan-gp", "grid25")
    # in a narrow column the mode and the data get a row each (the data's names are cut in half a row)
    top = [st.container(), st.container(), *st.columns([1, 1.2])] if narrow else st.columns([1.7, 1.3, 0.8, 1.4])
    mode = widget(FIELDS["lab_mode"], top[0], FIRST_VISIT["lab_mode"])
    dataset = widget(FIELDS["lab_dataset"], top[1], FIRST_VISIT["lab_dataset"], on_change=on_dataset_change, help=(
        f"The ring and the grid follow the VEEGAN / PacGAN protocol. The grid's 25 narrow modes need wider networks: "
        f"choosing it loads {grid.g_depth} × {grid.g_width} units (and a {grid.iters:,}-step learning-rate "
        "schedule), so a grid run takes a few minutes rather than seconds."))
    seed = int(widget(FIELDS["lab_seed"], top[2], FIRST_VISIT["lab_seed"]))
    with top[3]:
        st.space("small")  # level with the other controls' boxes, below their labels
        link()
    return mode, dataset, seed


def settings_panel(mode: str, narrow: bool = False) -> None:
    """The single run's settings, every one drawn from the field table: in two rows of two columns
    (four in a row cut the drop-downs' values at 1280 px, issue 21 item 6), in one column when the
    controls sit in a narrow column (presenter mode)."""
    title = "Settings of the single run" + (" (used by the “Your settings” slot)" if mode == "compare" else "")
    with st.expander(title, expanded=False):
        c1, c2, c3, c4 = [st.container()] * 4 if narrow else [c for _ in range(2) for c in st.columns(2)]
        widget(FIELDS["lab_loss"], c1, FIRST_VISIT["lab_loss"], on_change=on_loss_change)
        d = defaults()  # after the loss: its settings are the defaults of those below
        widget(FIELDS["lab_optimizer"], c1, d["lab_optimizer"])
        c1.button("Load the paper's exact values", key="lab_paper", on_click=load_paper_values,
                  help="The optimiser settings of the loss's paper. The lab's defaults deviate where the paper's "
                       "values need far more steps than a live demo has (see the source notes below).")
        for key in ("lab_lr_d", "lab_lr_g"):
            widget(FIELDS[key], c2, d[key])
        b1, b2 = c2.columns(2)
        widget(FIELDS["lab_beta1"], b1, d["lab_beta1"])
        widget(FIELDS["lab_beta2"], b2, d["lab_beta2"])
        for key in ("lab_n_critic", "lab_clip", "lab_gp_lambda", "lab_batch"):
            widget(FIELDS[key], c3, d[key])
        for left, right, ratio in (("lab_latent", "lab_latent_dist", 1), ("lab_g_depth", "lab_g_width", 1),
                                   ("lab_d_depth", "lab_d_width", 1), ("lab_activation", "lab_bigan", 1.5)):
            a, b = (c4, c4) if narrow and right == "lab_latent_dist" else c4.columns([ratio, 1])
            widget(FIELDS[left], a, d[left])
            widget(FIELDS[right], b, d[right], **({"on_change": _bigan_switched} if right == "lab_bigan" else {}))
        devices = available_lab_devices()
        if len(devices) > 1:  # a GPU is present: offer it, but default to the (faster) CPU
            c4.segmented_control("Device", devices, key="lab_device", format_func=LAB_DEVICES.get, required=True,
                                 help=device_help())
        st.caption("Sources: " + "; ".join(f"{k}: {v}" for k, v in LOSSES[ss["lab_loss"]].sources.items())
                   + ". Lab defaults differ where noted in `gan_core/lab/config.py` (e.g. larger learning rates so a "
                     "run shows its result within seconds).")


def compare_slots(single_cfg: ToyConfig | None, dataset: str) -> tuple[list, list]:
    """The side-by-side slots: their configurations and labels."""
    count = widget(FIELDS["lab_count"], st, FIRST_VISIT["lab_count"]) or 3
    cols = st.columns(count)
    configs, labels = [], []
    for i in range(count):
        name = widget(FIELDS[f"lab_slot_{i}"], cols[i], FIRST_VISIT[f"lab_slot_{i}"])
        label, factory = NAMED[name]
        cfg = single_cfg if factory is None else factory(dataset)
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
    return configs, labels


def run_bar(run, running: bool, narrow: bool = False) -> None:
    """Start / Pause, Reset, single steps, speed and the layers shown (in three rows in a narrow
    column: Start and Reset; the single steps; the speed and the layers)."""
    if narrow:
        bar = [*st.columns(2), *st.columns(3), *st.columns([2, 1], vertical_alignment="bottom")]
    else:
        bar = st.columns([1.1, 1, 1, 1, 1.1, 1.6, 1.1])
    bar[0].button("Pause" if running else "Start", key="lab_play", on_click=toggle_run,
                  args=("pause" if running else "start",), type="primary",
                  icon=":material/pause:" if running else ":material/play_arrow:", width="stretch", disabled=run is None)
    bar[1].button("Reset", key="lab_reset", on_click=reset_run, icon=":material/restart_alt:", width="stretch")
    for col, (which, label, text) in zip(bar[2:5], (
            ("d", "Step D", "Exactly one discriminator / critic step; the generator stays put."),
            ("g", "Step G", "Exactly one generator step; the discriminator stays put."),
            ("both", "Step both", "One full iteration: the critic steps, then one generator step."))):
        col.button(label, key=f"lab_step_{which}", on_click=single_step, args=(which,), width="stretch",
                   disabled=run is None, help=text)
    widget(FIELDS["lab_speed"], bar[5], FIRST_VISIT["lab_speed"])
    with bar[6].popover("Show", icon=":material/layers:", width="stretch"):
        widget(FIELDS["lab_layers"], st, FIRST_VISIT["lab_layers"])
        widget(FIELDS["lab_charts"], st, FIRST_VISIT["lab_charts"])
    if ss.get("lab_notice"):
        st.warning(ss["lab_notice"], icon=":material/hourglass_top:")
    waiting_line.panel(current_run)
