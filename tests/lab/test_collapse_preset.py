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


def _row(step, top, share, on=None):
    return {"step": step, "top_mode": top, "top_share": share, "on_mode": share if on is None else on,
            "nearest_share": share, "mean_dist": 0.1, "modes_captured": 1}


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
    assert collapse.ON_ONE_MODE == 0.5


def test_trace_rejects_bad_lengths():
    from gan_core.lab.config import preset
    with pytest.raises(ValueError, match="every"):
        trace(preset("collapse")[0], "ring8", 0, 10, every=0)
