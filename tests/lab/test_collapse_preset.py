"""The mode-collapse preset: the trace's measures, its summary, and the claim the preset's text makes."""
import json
from pathlib import Path

import numpy as np
import pytest

from gan_core.lab import collapse
from gan_core.lab.collapse import summarise, trace, trace_row
from gan_core.lab.toy2d import ring8

RECORD = Path(__file__).resolve().parents[2] / "docs" / "collapse_record.json"


def test_trace_row_against_a_hand_count():
    mix = ring8()
    rng = np.random.default_rng(0)
    on_two = mix.centres[2] + 0.01 * rng.standard_normal((60, 2)).clip(-2, 2)   # within 3 std of mode 2
    near_two = mix.centres[2] + np.array([0.1, 0.0])                          # nearest to mode 2, not on it
    on_five = mix.centres[5] + np.zeros((10, 2))
    between = np.zeros((20, 2)) + 0.5 * (mix.centres[0] + mix.centres[1])     # half-way: nearest 0 or 1
    pts = np.vstack([on_two, np.repeat(near_two[None], 10, 0), on_five, between])
    row = trace_row(300, pts, mix.centres, mix.std)
    n = len(pts)
    d = np.sqrt(((pts[:, None] - mix.centres[None]) ** 2).sum(-1))
    nearest = d.argmin(1)
    assert row["step"] == 300 and row["top_mode"] == 2
    assert row["on_mode"] == pytest.approx((d.min(1) <= 0.03).mean()) == pytest.approx(70 / n)
    assert row["top_share"] == pytest.approx(60 / n)
    assert row["nearest_share"] == pytest.approx((nearest == 2).mean()) == pytest.approx(70 / n)
    assert row["mean_dist"] == pytest.approx(d.min(1).mean())
    assert row["modes_captured"] == 2


def _row(step, top, share, on=None, near=None):
    return {"step": step, "top_mode": top, "top_share": share, "on_mode": share if on is None else on,
            "nearest_share": share if near is None else near, "mean_dist": 0.1, "modes_captured": 1}


def test_summary_counts_hops_between_rows_on_one_mode():
    rows = [_row(0, 0, 0.0), _row(100, 3, 0.9), _row(200, 3, 0.8), _row(300, 6, 0.2),
            _row(400, 6, 0.7), _row(500, 3, 0.6), _row(600, 1, 0.1, on=0.3)]
    s = summarise(rows)
    assert s["rows"] == 6  # step 0 left out
    assert s["modes_visited"] == [3, 6]
    assert s["hops"] == 2  # 3 -> 6 -> 3 (the row at 300 is not on one mode)
    assert s["one_mode_share"] == pytest.approx(4 / 6)
    assert s["on_mode_max"] == pytest.approx(0.9)
    assert s["top_share_mean"] == pytest.approx((0.9 + 0.8 + 0.2 + 0.7 + 0.6 + 0.1) / 6)
    assert collapse.ON_ONE_MODE == 0.5 and collapse.NEAR_ONE_MODE == 0.9


def test_summary_counts_moves_of_a_cloud_near_one_mode():
    # Nothing on a mode, but the cloud nearest one mode at a time: 2 -> 5 -> 5 -> (spread) -> 7.
    rows = [_row(0, 0, 0.0, near=0.3), _row(100, 2, 0.0, near=1.0), _row(200, 5, 0.0, near=0.95),
            _row(300, 5, 0.0, near=0.92), _row(400, 1, 0.0, near=0.5), _row(500, 7, 0.0, near=0.99)]
    s = summarise(rows)
    assert s["one_mode_share"] == 0 and s["hops"] == 0 and s["modes_visited"] == []
    assert s["near_modes"] == [2, 5, 7] and s["near_hops"] == 2 and s["near_one_share"] == pytest.approx(4 / 5)
    assert collapse.hops_near_modes(s) and not collapse.textbook(s)


def test_trace_rejects_bad_lengths():
    from gan_core.lab.config import preset
    with pytest.raises(ValueError, match="every"):
        trace(preset("collapse")[0], "ring8", 0, 10, every=0)


def _record(rows_by_seed):
    return {"every": 100, "iters": 5000, "dataset": "ring8",
            "runs": [{"seed": seed, "trace": rows} for seed, rows in rows_by_seed.items()]}


def test_description_states_the_figures_of_the_recorded_traces():
    between = [_row(0, 0, 0.0, near=0.3)] + [_row(100 * i, i % 8, 0.0, on=0.02, near=0.4) for i in range(1, 6)]
    between[2]["on_mode"] = 0.31
    far = [dict(r) for r in between]
    for r, d in zip(far[1:], (5.0, 300.0, 2.0, 0.5, 0.4)):
        r["mean_dist"] = d
    text = collapse.describe(_record({1: far, 0: between}))
    assert text.startswith("Measured every 100 steps over 5,000: with seed 0 the samples spread between modes, "
                           "on average 0.10 from the nearest; with seed 1 the cloud drifted off the ring: in 60 % "
                           "of the snapshots its samples lay on average more than 1.0 from any centre (up to 300).")
    assert "only 7.8 % and 7.8 % of the samples" in text and "at most 31 % and 31 %" in text
    assert "0.01 wide and 0.77 apart" in text and "ended with 1 and 1 of the 8 modes" in text
    assert text.endswith("is not what happens here.")
    near = [_row(0, 0, 0.0)] + [_row(100 * i, i // 2, 0.01, near=0.95) for i in range(1, 7)]
    moving = collapse.describe(_record({0: near, 1: between}))
    assert ("with seed 0 the samples stayed together in one cloud near one mode at a time (in 100 % of the "
            "snapshots 90 % or more of them were nearest the same mode) and the cloud moved on 3 times, near 4 "
            "different modes") in moving
    assert moving.endswith("So in 1 of the 2 runs the cloud does hop from mode to mode, as in the textbook picture, "
                           "but it seldom lands *on* one.")
    on = [_row(0, 0, 0.0)] + [_row(100 * i, i // 2, 0.8) for i in range(1, 7)]
    hopping = collapse.describe(_record({0: on}))
    assert "sat on one mode at a time in 100 % of the snapshots and hopped 3 times among 4 modes" in hopping
    assert "seldom" not in hopping and "not what happens" not in hopping


def test_the_shipped_record_is_what_the_preset_does():
    # The first rows of the recorded trace are reproduced by a short run of the preset as it is
    # now (no learning-rate schedule: the first 1,000 steps do not depend on the run's length),
    # and the text built from the record says what the short run shows.
    from gan_core.lab.config import preset, preset_description
    record = json.loads(RECORD.read_text())
    cfg, dataset, _ = preset("collapse")
    assert cfg.lr_final_frac == 1.0
    run = next(r for r in record["runs"] if r["seed"] == 0)
    steps = 1000
    rows = trace(cfg, dataset, 0, steps, every=record["every"])
    for got, want in zip(rows, run["trace"]):
        assert got["step"] == want["step"] and got["top_mode"] == want["top_mode"]
        for key in ("on_mode", "top_share", "nearest_share", "mean_dist"):
            assert got[key] == pytest.approx(want[key], abs=2e-3), (got["step"], key)
    assert len(rows) == steps // record["every"] + 1
    text = preset_description("collapse")
    assert text == collapse.describe(record)
    short = summarise(rows)
    if "seldom lands *on* one" in text or "is not what happens here" in text:
        assert not collapse.textbook(short) and short["on_mode_mean"] < 0.1
    else:
        assert collapse.textbook(short)


def test_the_lab_page_shows_the_measured_description_with_the_original_loss():
    from gan_core.lab.config import preset_description
    from pages.lab import texts
    measured = preset_description("collapse")
    assert measured
    assert any(measured in p for p in texts.explanations({"minimax"}))
    assert not any(measured in p for p in texts.explanations({"wgan-gp"}))
    assert "you see in the modes-captured curve" not in " ".join(texts.explanations({"minimax"}))
