"""Training lab: train GANs on 2-D mixtures live, one at a time or up to four side by side.

The page reads top to bottom: widgets (``pages.lab.controls``, every bound widget drawn from the
field table in ``pages.lab.fields``) -> a ``gan_core.lab.session.LabSession`` kept in
session_state -> views (``pages.lab.views``).  Training runs in a child process and the plane is
a fragment on a timer, so the page never blocks.
"""
from __future__ import annotations

import streamlit as st

from gan_core.lab.toy2d import custom as custom_mixture, make_dataset
from pages.lab import controls, layout, save_load, texts, views
from pages.lab.custom_points import custom_points
from pages.lab.fields import LOSS_LABELS, state_to_config
from pages.query_guard import show_notes
from pages.ui.chrome import link_to_this_view, next_lesson, page_header, presenter_mode, show_error

ss = st.session_state

link_notes = controls.init_state()
page_header(
    "Training lab: GANs on 2-D data",
    "Train GANs live on points in the plane: watch the generator's samples move under the discriminator's "
    "verdict, and the original GAN collapse onto one mode while WGAN-GP covers them all.",
    link=False,
)
show_notes(link_notes)

# ----------------------------------------------------------- what to train
area = layout.areas(presenter_mode(), single=ss["lab_mode"] == "single")
with area.controls:
    controls.preset_buttons(area.narrow)
    mode, dataset, seed = controls.top_controls(link_to_this_view, area.narrow)
    problems: list[str] = []
    points = custom_points(problems) if dataset == "custom" else None
    controls.settings_panel(mode, area.narrow)
    try:
        single_cfg = state_to_config(ss, ss.get("lab_dataset"))
    except ValueError as exc:
        single_cfg = None
        problems.append(f"the single-run settings are not valid: {exc}")
    if mode == "single":
        configs, labels = ([single_cfg], [LOSS_LABELS[single_cfg.loss]]) if single_cfg is not None else ([], [])
    else:
        configs, labels = controls.compare_slots(single_cfg, ss.get("lab_dataset"))

    # ------------------------------------------------------- the run
    if problems:
        for p in problems:
            show_error(p[0].upper() + p[1:] + ".")
        ss["lab_setup"] = "invalid"
    else:
        try:
            mixture = make_dataset(dataset) if dataset != "custom" else custom_mixture(points)
            sig = (tuple(repr(c.to_dict()) for c in configs), tuple(labels), dataset,
                   None if points is None else points.round(6).tobytes(), seed, controls.device())
            ss["lab_setup"] = {"configs": configs, "labels": labels, "mixture": mixture, "seed": seed, "sig": sig,
                               "device": controls.device()}
        except ValueError as exc:
            show_error(f"These settings cannot be trained: {exc}.")
            ss["lab_setup"] = "invalid"
    try:
        run = controls.current_run()
    except ValueError as exc:
        show_error(f"These settings cannot be trained: {exc}.")
        run = None
    setup_now = ss.get("lab_setup")
    if run is not None and isinstance(setup_now, dict) and ss.get("lab_run_sig") != setup_now["sig"]:
        st.info("The settings changed since this run started. It goes on with its old settings; press **Reset** to "
                "start over with the new ones.", icon=":material/info:")
running = run is not None and run.running
with area.bar:
    controls.run_bar(run, running, area.narrow)

# ----------------------------------------------------------- what it does
table_slot = area.charts.empty()  # the metric table, kept in step with the plane by its fragment
with area.plane:
    views.live_plane(running, area.plane_px, table_slot)
with area.charts:
    views.live_charts(running)
with area.explain:
    if run is not None:
        texts.explain({c.loss for c in run.configs})

st.header("Timeline: replay the run")
views.timeline()
save_load.panel()

next_lesson(__file__, texts.summary())
