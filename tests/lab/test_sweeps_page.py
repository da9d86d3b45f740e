"""The Sweep panel (pages/sweeps.py, issue 19 item 3): it renders, a tiny sweep finishes in the
background and shows its summary (numbers checked against an independent computation), every run
links to the lab with its seed and settings, and bad settings get a clear message."""
import time
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from scipy import stats

from gan_core.lab.config import lab_defaults
from gan_core.lab.sweep import sweep_runs
from pages.lab.fields import FIELDS, state_to_config
from pages.lab.sweep_runner import SweepJob, lab_link, lab_query, sweep_cap
from gan_core.lab.run_registry import RunRegistry
from gan_core.lab.viz_sweep import dot_offsets, sweep_dots

from apptest_helpers import assert_clean, open_page, visible_text


def _page():
    at = open_page("pages/sweeps.py", timeout=120)
    assert_clean(at)
    return at


def _errors(at) -> str:
    return " ".join(e.value for e in at.error)


def test_page_renders_with_defaults():
    at = _page()
    text = visible_text(at)
    assert "Collapse as a rate" in text
    assert at.number_input(key="sweep_seeds").value == 8
    assert not at.error


@pytest.mark.parametrize("change, message", [
    (lambda at: at.number_input(key="sweep_seeds").set_value(0), "at least one seed"),
    (lambda at: at.multiselect(key="sweep_losses").set_value([]), "at least one loss"),
    (lambda at: at.number_input(key="sweep_seeds").set_value(4000), "more than the"),
])
def test_bad_settings_get_a_message(change, message):
    at = _page()
    change(at)
    at.run()
    assert not at.exception
    assert message in _errors(at)
    assert at.button(key="sweep_start").disabled


def test_tiny_sweep_finishes_and_shows_its_summary():
    at = _page()
    at.multiselect(key="sweep_losses").set_value(["minimax"])
    at.number_input(key="sweep_seeds").set_value(2)
    at.select_slider(key="sweep_iters").set_value(100)
    at.run()
    at.button(key="sweep_start").click()
    at.run()
    deadline = time.time() + 240
    while time.time() < deadline and not any("Done: 2 runs" in s.value for s in at.success):
        time.sleep(1.0)
        at.run()
    assert_clean(at)
    assert any("Done: 2 runs" in s.value for s in at.success), visible_text(at)[-2000:]
    job = at.session_state["sweep_job"]
    dots = job.result["dots"]
    modes = [d["modes"] for d in dots]
    # independent: mean and t interval of the two runs' mode counts
    mean = float(np.mean(modes))
    half = stats.t.ppf(0.975, 1) * np.std(modes, ddof=1) / np.sqrt(2)
    summary_df = at.dataframe[0].value
    assert summary_df["Modes (mean)"][0] == f"{mean:.2f}"
    if half > 0:
        lo, hi = max(0.0, mean - half), min(8.0, mean + half)
        assert summary_df["Modes 95 % interval"][0] == f"{lo:.2f} to {hi:.2f}"
    hq = [d["hq"] for d in dots]
    assert summary_df["High quality (mean %)"][0] == f"{100 * np.mean(hq):.2f}"
    k = sum(m == 8 for m in modes)
    assert summary_df["Collapsed (missed a mode)"][0].startswith(f"{2 - k} of 2")
    assert summary_df["All modes found"][0].startswith(f"{k} of 2")
    runs_df = at.dataframe[1].value
    assert list(runs_df["Seed"]) == [0, 1]
    q = parse_qs(urlparse(runs_df["Open in the lab"][1]).query)
    assert q["lab_seed"] == ["1"] and q["lab_loss"] == ["Original GAN (minimax, saturating)"]


def test_link_reopens_the_exact_settings():
    """Every setting of the link, read back through the lab's own field table, gives the run's config."""
    for loss in ("minimax", "wgan-gp", "hinge"):
        cfg = lab_defaults(loss, "ring8")
        q = lab_query(cfg, "ring8", 7)
        state = {}
        for f in FIELDS.values():
            if f.config:
                raw = q[f.key]
                if f.kind in ("selectbox", "select_slider"):
                    state[f.key] = next(o for o in f.options if f.format(o) == raw)
                elif f.kind == "toggle":
                    state[f.key] = raw == "true"
                else:
                    state[f.key] = type(f.options[0])(float(raw))
        assert state_to_config(state, "ring8").to_dict() == cfg.to_dict()
        assert q["lab_seed"] == "7" and lab_link(cfg, "ring8", 7).startswith("/gan-lab?")


def test_cap_shares_the_device():
    assert sweep_cap("cpu", 0, 4) == 48
    assert sweep_cap("cpu", 1, 4) == 24
    assert sweep_cap("cpu", 10, 4) == 12  # never below an even share among the slots
    assert sweep_cap("cuda", 0, 4) == 512


def test_job_takes_a_slot_and_gives_it_back():
    reg = RunRegistry(max_runs=1)
    assert reg.acquire("someone")
    job = SweepJob(sweep_runs("ring8", ["minimax"], seeds=1, iters=20), registry=reg)
    assert not job.start()  # the server is full: nothing starts
    reg.release("someone")
    job = SweepJob(sweep_runs("ring8", ["minimax"], seeds=1, iters=20), registry=reg)
    assert job.start()
    assert reg.active() == 1
    job._thread.join(120)
    assert job.result is not None and reg.active() == 0


def test_presenter_mode_renders():
    from apptest_helpers import APP
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["present"] = "true"
    at.run()
    at.switch_page("pages/sweeps.py")
    at.run()
    assert_clean(at)
    assert at.button(key="sweep_start")


def test_dot_offsets_put_equal_values_side_by_side():
    off = dot_offsets([8, 8, 8, 3])
    assert np.allclose(off, [-0.07, 0.0, 0.07, 0.0])
    wide = dot_offsets([1] * 100)
    assert np.isclose(wide.max() - wide.min(), 0.72) and np.isclose(wide.mean(), 0.0)


def test_each_dot_carries_its_run_and_the_mean_its_interval():
    dots = [{"run": i, "label": "A" if i < 3 else "B", "value": v, "seed": i % 3} for i, v in enumerate([8, 3, 7, 8, 8, 8])]
    cells = [{"label": "A", "mean": 6.0, "ci": [0.0, 12.0]}, {"label": "B", "mean": 8.0, "ci": [8.0, 8.0]}]
    fig = sweep_dots(dots, cells, "t", "modes")
    runs = [list(t.customdata) for t in fig.data if t.customdata is not None]
    assert runs == [[0, 1, 2], [3, 4, 5]]
    means = [t for t in fig.data if t.customdata is None]
    assert [t.y[0] for t in means] == [6.0, 8.0]
    assert list(means[0].error_y.array) == [6.0] and list(means[0].error_y.arrayminus) == [6.0]
    assert all(t.marker.size >= 16 for t in fig.data)  # readable on a projector


@pytest.mark.parametrize("loss, dataset", [("wgan-gp", "ring8"), ("hinge", "grid25")])
def test_the_lab_page_opened_from_a_run_link_holds_that_run(loss, dataset):
    """The real lab page, opened with a run's query string, trains that run's configuration and seed."""
    from pathlib import Path
    from streamlit.testing.v1 import AppTest
    cfg = sweep_runs(dataset, [loss], seeds=[5], iters=500)[0].config
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "pages" / "gan_lab.py"), default_timeout=120)
    for key, value in lab_query(cfg, dataset, 5).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    state = {k: at.session_state[k] for k in FIELDS if k in at.session_state}
    assert state["lab_seed"] == 5 and state["lab_dataset"] == dataset
    opened = state_to_config(state, dataset).to_dict()
    expected = cfg.to_dict()
    expected.pop("iters"), opened.pop("iters")  # the lab trains until stopped (or its step cap)
    assert opened == expected
