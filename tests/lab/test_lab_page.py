"""The training lab: its state machine (plain Python), its figures, and the page under AppTest."""
import math
import re
import time

import numpy as np
import pytest

from gan_core.lab import run_registry, viz_lab
from gan_core.lab.session import LIVE_POINTS, LabSession, output_kind, to_display
from gan_core.lab.config import lab_defaults, preset

from apptest_helpers import assert_clean, open_page

PAGE = "pages/gan_lab.py"


def tiny(loss="non-saturating", **kw):
    """A configuration small enough for a test: 1 x 8 networks, batch 32, 200 evaluation samples."""
    base = dict(g_depth=1, g_width=8, d_depth=1, d_width=8, batch_size=32, eval_samples=200)
    base.update(kw)
    return lab_defaults(loss, **base)


# ------------------------------------------------------------------ the state machine
def test_advance_trains_while_running_and_stops_at_the_step_cap():
    s = LabSession([tiny()], ["ns"], "ring8", seed=0, device="cpu", max_steps=7)
    s.start()
    assert s.running
    s.advance(budget_s=5.0, max_iters=4)
    assert s.step == 4 and s.running
    s.advance(budget_s=5.0)
    assert s.step == 7  # the cap, not one more
    assert not s.running and s.at_cap
    assert s.advance(5.0) == 0 and s.step == 7
    s.start()
    assert not s.running  # a capped run cannot be restarted


def test_single_steps_move_only_their_network():
    s = LabSession([tiny("wgan-gp")], ["gp"], "ring8", seed=0, device="cpu")
    s.step_discriminator()
    assert (s.d_step, s.step) == (1, 0)
    s.step_generator()
    assert (s.d_step, s.step) == (1, 1)
    s.step_both()  # n_critic critic steps, then one generator step
    assert (s.d_step, s.step) == (1 + s.configs[0].n_critic, 2)


def test_lockstep_members_advance_together():
    s = LabSession([tiny("non-saturating"), tiny("wgan-gp")], ["ns", "gp"], "ring8", seed=0, device="cpu")
    s.start()
    s.advance(5.0, max_iters=3)
    assert [m.step_count for m in s.members] == [3, 3]
    assert [m.d_step_count for m in s.members] == [3 * c.n_critic for c in s.configs] == [3, 9]


def test_metric_table_values_match_an_independent_count_of_modes():
    s = LabSession([tiny()], ["ns"], "ring8", seed=0, device="cpu")
    s.start()
    s.advance(5.0, max_iters=20)
    s.pause()  # takes a metric snapshot at the current step
    step, met = s.latest_metrics(0)
    assert step == s.step == 20
    pts = s.members[0].snapshots[-1].samples.astype(np.float64)
    centres, std = s.mixture.centres, s.mixture.std
    # Independent count: distance to every centre, nearest one, 3-std radius.
    d = np.sqrt(((pts[:, None, :] - centres[None]) ** 2).sum(-1))
    near, dist = d.argmin(1), d.min(1)
    hq = dist <= 3 * std
    assert met["modes_captured"] == len(set(near[hq].tolist()))
    assert met["high_quality"] == pytest.approx(hq.mean())
    hist = np.bincount(near[hq], minlength=len(centres)).astype(float)
    if hist.sum() > 0:
        p = hist / hist.sum()
        rkl = sum(pk * math.log(pk * len(centres)) for pk in p if pk > 0)
        assert met["reverse_kl"] == pytest.approx(rkl)


def test_timeline_keeps_at_most_max_frames_spread_over_the_run():
    s = LabSession([tiny()], ["ns"], "ring8", seed=0, device="cpu", max_frames=6)
    s.start()
    for _ in range(15):
        s.advance(5.0, max_iters=1)
    steps = [f.step for f in s.frames]
    assert len(steps) <= 6
    assert steps[0] == 0 and steps[-1] == 15
    assert steps == sorted(steps)


def test_a_position_in_the_run_picks_the_frame_that_far_along():
    s = LabSession([tiny()], dataset="ring8", seed=0, device="cpu", max_frames=200)
    s.start()
    for _ in range(4):
        s.advance(0.05, max_iters=2)
    frames = s.frames
    assert len(frames) == 5  # the frame at step 0 and one per advance
    # Independently: 5 frames sit at 0, 25, 50, 75 and 100 % of the run.
    for position, k in ((0, 0), (12, 0), (13, 1), (25, 1), (50, 2), (99, 4), (100, 4), (-20, 0), (150, 4)):
        assert s.frame_at(position) is frames[k], position


def test_views_carry_every_layer_with_the_right_shapes():
    s = LabSession([tiny(latent_dim=2, bigan=True)], ["bigan"], "ring8", seed=0, device="cpu")
    (v,) = s.views()
    assert v.fakes.shape == (LIVE_POINTS, 2)
    assert v.heat.shape == (60, 60) and v.grid_x.shape == (60,)
    # 256 arrows, or fewer when the configuration keeps fewer evaluation latents (200 here).
    assert v.arrow_points.shape == (200, 2) and v.arrow_vectors.shape == (200, 2)
    assert v.manifold.shape == (21 * 21, 2)
    assert v.encoded.shape == (LIVE_POINTS, 2)
    assert np.all((v.heat >= 0) & (v.heat <= 1))  # a logit discriminator is shown as a probability


def test_discriminator_heatmap_is_the_sigmoid_of_its_logit_even_for_huge_logits():
    raw = np.array([-800.0, -3.0, 0.0, 2.0, 800.0])
    shown = to_display("minimax", raw)
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-raw))
    assert np.allclose(shown, expected) and np.all(np.isfinite(shown))
    assert np.array_equal(to_display("wgan-gp", raw), raw)  # a critic's score is shown as it is
    assert output_kind("wgan-clip") == "critic" and output_kind("lsgan") == "least-squares"


def test_a_bad_lab_setup_is_a_clear_error():
    with pytest.raises(ValueError, match="1 to 4"):
        LabSession([tiny()] * 5, None, "ring8")
    with pytest.raises(ValueError, match="custom"):
        LabSession([tiny()], None, "custom")


# ------------------------------------------------------------------------ links
def _open_lab_with(query: dict):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../../pages/gan_lab.py", default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at, at.session_state["lab_run"].configs[0]


@pytest.mark.parametrize("name", ["Grid of 25 Gaussians", "grid25"])  # as the page writes it; typed by hand
def test_a_link_naming_the_grid_opens_with_the_grids_networks(name):
    at, cfg = _open_lab_with({"lab_dataset": name})
    grid = lab_defaults("minimax", "grid25")
    assert at.session_state["lab_dataset"] == "grid25"
    assert (cfg.g_depth, cfg.g_width, cfg.d_depth, cfg.d_width) == (grid.g_depth, grid.g_width, grid.d_depth,
                                                                    grid.d_width)
    assert (grid.g_depth, grid.d_depth) != (lab_defaults("minimax", "ring8").g_depth, 1)  # a real difference


def test_settings_a_link_gives_win_over_those_that_come_with_its_choice():
    _, cfg = _open_lab_with({"lab_dataset": "grid25", "lab_g_width": "64"})
    assert cfg.g_width == 64 and cfg.g_depth == lab_defaults("minimax", "grid25").g_depth


def test_a_link_naming_a_loss_opens_with_that_losss_optimiser_settings():
    at, cfg = _open_lab_with({"lab_loss": "wgan-gp"})
    ref = lab_defaults("wgan-gp", "ring8")
    assert cfg.loss == "wgan-gp"
    assert (cfg.n_critic, cfg.gp_lambda, cfg.lr_d, cfg.betas) == (ref.n_critic, ref.gp_lambda, ref.lr_d, ref.betas)


def test_unknown_choices_in_a_link_are_ignored():
    at, cfg = _open_lab_with({"lab_dataset": "nonsense", "lab_loss": "x"})
    assert at.session_state["lab_dataset"] == "ring8" and cfg.loss == "minimax"
    assert_clean(at)


# ------------------------------------------------------------------------ figures
def test_the_95th_percentile_arrow_spans_the_chosen_fraction_of_the_plot():
    vec = np.zeros((100, 2))
    vec[:, 0] = np.arange(1, 101)  # lengths 1..100
    k = viz_lab.arrow_scale(vec, (-2.0, 2.0, -2.0, 2.0), fraction=0.1)
    assert np.percentile(np.linalg.norm(vec, axis=1), 95) * k == pytest.approx(0.4)
    assert viz_lab.arrow_scale(np.zeros((5, 2)), (0, 1, 0, 1)) == 0.0


def test_arrowheads_are_two_barbs_at_equal_angles_a_fixed_fraction_back_from_the_tip():
    rng = np.random.default_rng(0)
    starts, tips = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    left, right = viz_lab.arrow_heads(starts, tips, fraction=0.3, angle_deg=25.0)
    shaft = starts - tips
    for barb in (left, right):
        v = barb - tips
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 0.3 * np.linalg.norm(shaft, axis=1))
        cos = (v * shaft).sum(1) / np.linalg.norm(v, axis=1) / np.linalg.norm(shaft, axis=1)
        np.testing.assert_allclose(cos, math.cos(math.radians(25.0)))
    # one barb on each side of the shaft: opposite signs of the 2-D cross product
    cross = lambda a: shaft[:, 0] * a[:, 1] - shaft[:, 1] * a[:, 0]  # noqa: E731
    assert np.all(cross(left - tips) * cross(right - tips) < 0)


def test_the_paused_plane_draws_its_arrows_in_one_trace_and_at_most_300_real_points():
    rng = np.random.default_rng(1)
    view = {"kind": "probability", "heat": rng.random((8, 8)), "grid_x": np.linspace(-2, 2, 8),
            "grid_y": np.linspace(-2, 2, 8), "fakes": rng.normal(size=(600, 2)),
            "arrow_points": rng.normal(size=(256, 2)), "arrow_vectors": rng.normal(size=(256, 2)),
            "manifold": None, "manifold_side": 0}
    fig = viz_lab.plane_figure(view, rng.normal(size=(LIVE_POINTS, 2)), (-2.0, 2.0, -2.0, 2.0))
    by_name = {t.name: t for t in fig.data}
    assert len(by_name["real samples"].x) == min(LIVE_POINTS, viz_lab.PLANE_REAL_POINTS)
    assert len(by_name["generated samples"].x) == 600
    arrows = [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    assert len(arrows) == 1 and len(arrows[0].x) == 3 * 3 * 256  # shaft and two barbs, NaN-separated
    assert sorted(t.name for t in fig.data if t.type == "scatter") == [  # no trace of tip markers
        "generated samples", "real samples", "where G pushes its samples"]


def test_critic_colours_are_centred_on_the_mean_score():
    lo, hi = viz_lab.heat_range("critic", np.array([1.0, 2.0, 6.0]))
    assert (lo + hi) / 2 == pytest.approx(3.0) and hi == pytest.approx(6.0)
    assert viz_lab.heat_range("probability", np.array([0.2, 0.3])) == (0.0, 1.0)


def test_plane_figure_draws_each_chosen_layer():
    s = LabSession([tiny(latent_dim=2)], ["ns"], "ring8", seed=0, device="cpu")
    view = vars(s.views()[0])
    full = viz_lab.plane_figure(view, s.real_points, s.mixture.extent)
    names = [t.name for t in full.data]
    assert "real samples" in names and "generated samples" in names and "G's image of a latent grid" in names
    assert full.data[0].type == "heatmap"
    only_fake = viz_lab.plane_figure(view, s.real_points, s.mixture.extent, layers=("fake",))
    assert [t.name for t in only_fake.data] == ["generated samples"]
    grid = viz_lab.planes_figure([view] * 4, list("abcd"), s.real_points, s.mixture.extent)
    assert grid.layout.xaxis4.matches == "x"  # shared axes: zoom one, zoom all


# ------------------------------------------------------------------------ the page
@pytest.fixture(scope="module")
def lab():
    at = open_page(PAGE, timeout=180)
    assert_clean(at)
    return at


def test_page_opens_on_the_mode_collapse_preset(lab):
    cfg = preset("collapse")[0]
    assert lab.session_state["lab_loss"] == "minimax"
    assert lab.session_state["lab_latent"] == cfg.latent_dim == 256
    assert lab.session_state["lab_lr_d"] == cfg.lr_d
    assert lab.session_state["lab_step"] == 0


def test_start_advances_the_step_counter_across_reruns_and_pause_stops_it(lab):
    lab.button(key="lab_play").click().run()
    first = lab.session_state["lab_step"]
    lab.run()
    second = lab.session_state["lab_step"]
    lab.run()
    third = lab.session_state["lab_step"]
    assert 0 < first < second < third
    assert f"Step {third:,}" in " ".join(m.value for m in lab.markdown)
    # While training the plane and the curves are pictures drawn on the server (cheap for the browser) ...
    assert len(lab.get("image")) == 3
    timeline = [c for c in lab.get("plotly_chart") if getattr(c, "key", None) == "lab_timeline_fig"]
    assert len(lab.get("plotly_chart")) == len(timeline)
    lab.button(key="lab_play").click().run()
    paused = lab.session_state["lab_step"]
    lab.run()
    lab.run()
    assert lab.session_state["lab_step"] == paused
    # ... and paused they are interactive figures again: the plane, the losses, the metrics.
    assert len(lab.get("image")) == 0
    assert len(lab.get("plotly_chart")) == 3 + len(timeline)
    assert_clean(lab)


def test_a_run_of_the_whole_page_makes_one_refresh_even_while_training(monkeypatch):
    # The live view loops for LIVE_LOOP_S only in its timer's runs (fragment runs, in the browser);
    # a run of the whole page (a click: Start, a preset, the timeline) must draw what follows it.
    monkeypatch.setenv("GAN_LAB_LIVE_LOOP_S", "30")
    at = open_page(PAGE, timeout=180)
    at.button(key="lab_play").click().run()
    run = at.session_state["lab_run"]
    frames, step = len(run.frames), run.step
    t0 = time.perf_counter()
    at.run()
    took = time.perf_counter() - t0
    assert took < 10 and len(run.frames) == frames + 1, (took, len(run.frames) - frames)
    assert run.running and run.step > step and at.session_state["lab_step"] == run.step
    assert any(h.value == "Timeline: replay the run" for h in at.header)  # the page went on after the view
    at.button(key="lab_play").click().run()
    assert_clean(at)


def test_the_timeline_keeps_its_position_while_a_run_adds_frames():
    at = open_page(PAGE, timeout=180)
    at.button(key="lab_play").click().run()
    at.run()
    at.slider(key="lab_frame_pos").set_value(0).run()  # the run goes on: every run adds a frame
    run = at.session_state["lab_run"]
    for _ in range(2):
        frames = len(run.frames)
        at.run()
        assert len(run.frames) > frames and at.slider(key="lab_frame_pos").value == 0
        shown = " ".join(m.value for m in at.markdown)
        assert f"**{viz_lab.timeline_steps_label(run.frames[0].steps)}** of {run.step:,}" in shown
    at.slider(key="lab_frame_pos").set_value(100).run()
    assert f"**{viz_lab.timeline_steps_label(run.frames[-1].steps)}**" in " ".join(m.value for m in at.markdown)
    at.button(key="lab_play").click().run()
    assert_clean(at)


def test_each_single_step_button_advances_only_its_network(lab):
    g0, d0 = lab.session_state["lab_step"], lab.session_state["lab_d_step"]
    lab.button(key="lab_step_d").click().run()
    assert (lab.session_state["lab_step"], lab.session_state["lab_d_step"]) == (g0, d0 + 1)
    lab.button(key="lab_step_g").click().run()
    assert (lab.session_state["lab_step"], lab.session_state["lab_d_step"]) == (g0 + 1, d0 + 1)
    lab.button(key="lab_step_both").click().run()  # minimax: one critic step per generator step
    assert (lab.session_state["lab_step"], lab.session_state["lab_d_step"]) == (g0 + 2, d0 + 2)
    assert_clean(lab)


@pytest.mark.parametrize("name, loss", [("wgan-gp", "wgan-gp"), ("wgan-clip", "wgan-clip")])
def test_presets_load_their_values(lab, name, loss):
    lab.button(key=f"lab_preset_{name}").click().run()
    cfg = lab_defaults(loss, "ring8")
    ss = lab.session_state
    assert ss["lab_loss"] == loss and ss["lab_optimizer"] == cfg.optimizer
    assert (ss["lab_lr_d"], ss["lab_lr_g"], ss["lab_n_critic"]) == (cfg.lr_d, cfg.lr_g, cfg.n_critic)
    assert ss["lab_clip"] == (cfg.clip or 0.0) and ss["lab_gp_lambda"] == cfg.gp_lambda
    run = ss["lab_run"]
    assert run.step == 0 and run.configs[0].loss == loss  # a fresh run with those settings
    assert_clean(lab)


def test_compare_all_trains_every_configuration_in_lockstep(lab):
    lab.button(key="lab_preset_compare").click().run()
    run = lab.session_state["lab_run"]
    assert [c.loss for c in run.configs] == ["minimax", "wgan-clip", "wgan-gp"]
    lab.button(key="lab_play").click().run()
    lab.run()
    steps = [m.step_count for m in lab.session_state["lab_run"].members]
    assert steps[0] > 0 and len(set(steps)) == 1
    table = lab.table[0].value
    assert list(table["configuration"]) == run.labels
    assert all(re.fullmatch(r"\d+\.\d", v) for v in table["high-quality samples (%)"])  # one decimal, as shown
    lab.button(key="lab_play").click().run()
    assert_clean(lab)


def test_a_full_server_says_so_politely_and_does_not_train(lab):
    lab.button(key="lab_preset_wgan-gp").click().run()
    saved = run_registry.REGISTRY
    run_registry.REGISTRY = run_registry.RunRegistry(max_runs=1)
    try:
        run_registry.REGISTRY.acquire("somebody-else")
        lab.button(key="lab_play").click().run()
        assert not lab.session_state["lab_run"].running
        assert any("try again" in w.value for w in lab.warning)
    finally:
        run_registry.REGISTRY = saved
    assert_clean(lab)


def test_custom_points_become_the_data_and_bad_lines_get_a_message(lab):
    lab.selectbox(key="lab_dataset").set_value("custom").run()
    assert any("at least one point" in e.value for e in lab.error)
    lab.text_area(key="lab_custom_text").input("0, 0\n1.5, 1\noops").run()
    assert any("line 3" in e.value.lower() for e in lab.error)
    lab.text_area(key="lab_custom_text").input("0, 0\n1.5, 1").run()
    assert not lab.error
    run = lab.session_state["lab_run"]
    assert np.allclose(run.mixture.centres, [[0, 0], [1.5, 1]])
    assert_clean(lab)


def test_compare_all_says_that_its_networks_differ_and_the_latent_prior_is_a_setting(lab):
    lab.button(key="lab_preset_compare").click().run()
    notes = " ".join(c.value for c in lab.caption)
    assert "differ in their networks" in notes and "latent 256" in notes and "latent 2," in notes
    lab.radio(key="lab_mode").set_value("single").run()
    lab.selectbox(key="lab_latent_dist").set_value("uniform").run()
    assert lab.session_state["lab_run"].configs[0].latent_dist == "uniform"
    assert_clean(lab)


def test_the_grid_brings_its_wider_networks_and_longer_horizon(lab):
    lab.button(key="lab_preset_wgan-gp").click().run()
    lab.selectbox(key="lab_dataset").set_value("grid25").run()
    ss = lab.session_state
    assert (ss["lab_g_width"], ss["lab_d_width"]) == (128, 128)
    cfg = ss["lab_run"].configs[0]
    assert (cfg.g_width, cfg.d_width, cfg.iters) == (128, 128, 6000)  # iters: the decay horizon
    assert ss["lab_run"].mixture.n_modes == 25
    lab.selectbox(key="lab_dataset").set_value("ring8").run()
    assert (ss["lab_g_width"], ss["lab_d_width"]) == (64, 64)
    assert ss["lab_run"].configs[0].iters == 1500
    assert_clean(lab)


def test_the_data_help_states_the_grid_defaults_it_loads(lab):
    grid = lab_defaults("wgan-gp", "grid25")
    text = lab.selectbox(key="lab_dataset").help
    assert f"{grid.g_depth} × {grid.g_width} units" in text and f"{grid.iters:,}-step" in text


def test_the_lab_trains_on_the_cpu_unless_a_gpu_is_chosen(monkeypatch):
    """With a GPU present the lab offers it, but starts on the CPU (measured faster for these networks)."""
    import torch

    import json

    from gan_core.lab.session import BENCH_DEVICE_RECORD, device_help

    at = open_page(PAGE, timeout=180)
    assert not at.get("button_group") or all(w.key != "lab_device" for w in at.get("button_group"))
    assert at.session_state["lab_run"].device == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    at = open_page(PAGE, timeout=180)
    control = [w for w in at.get("button_group") if w.key == "lab_device"]
    assert len(control) == 1 and control[0].value == "cpu"
    rows = json.loads(BENCH_DEVICE_RECORD.read_text())["rows"]  # the benchmark's own record
    cpu, gpu = rows["ring8 minimax"]["cpu"], rows["ring8 minimax"]["cuda"]
    assert f"{round(cpu)} vs {round(gpu)}" in control[0].help and control[0].help == device_help()
    assert cpu > gpu
    assert at.session_state["lab_run"].device == "cpu"
    assert_clean(at)


def test_device_help_gives_the_reason_alone_when_the_benchmark_record_is_missing(tmp_path):
    from gan_core.lab.session import device_help

    (tmp_path / "broken.json").write_text("{not json")
    for record in (tmp_path / "missing.json", tmp_path / "broken.json"):
        text = device_help(record)
        assert "tiny operations" in text and " vs " not in text


def test_switching_bigan_on_brings_its_joint_discriminators_width():
    """The BiGAN toggle alone left D at the page's 64 units, a setting measured under 50 % high
    quality (docs/bigan.md); switching it on brings the BiGAN default of 128."""
    at, cfg = _open_lab_with({"lab_loss": "non-saturating", "lab_d_width": "64"})  # e.g. the lab's ring defaults
    assert cfg.d_width == 64 and not cfg.bigan
    at.toggle(key="lab_bigan").set_value(True).run()
    assert not at.exception
    assert at.session_state["lab_d_width"] == lab_defaults("non-saturating", None, bigan=True).d_width == 128
