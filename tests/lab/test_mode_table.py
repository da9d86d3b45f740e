"""The mode table's summary (gan_core.lab.mode_table) against independent computations, and its
place on the Sweeps page beside the literature (issue 19, item 4)."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from gan_core.lab.mode_table import (LITERATURE, baseline_cells, baseline_rows, collapse_cells, literature_for,
                                     load_rows, loss_cells)
from gan_core.lab.toy2d import make_dataset
from pages.lab import mode_table_view

from apptest_helpers import assert_clean, open_page


def _row(loss, seed, modes, hq, dataset="ring8", tag="default", n_modes=8):
    return {"loss": loss, "dataset": dataset, "seed": seed, "iters": 100, "modes": modes, "n_modes": n_modes,
            "hq": hq, "rkl": 0.1 * seed, "w1": 0.2, "wall_s": 1.0, "cpu_s": 1.0, "diverged": None, "tag": tag,
            "trajectory": [[0, 0]]}


ROWS = ([_row("minimax", s, m, h) for s, (m, h) in enumerate([(8, 0.5), (3, 0.9), (8, 0.7), (5, 0.6)])]
        + [_row("wgan-gp", s, 8, 0.6 + 0.01 * s) for s in range(4)]
        + [_row("minimax", s, m, 0.1, tag="collapse") for s, m in enumerate([0, 1, 2, 3])]
        + [_row("wgan-gp", s, 8, 0.6, tag="collapse-wgan-gp") for s in range(4)])


def _wilson(k, n):
    return stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")


def test_means_and_intervals_match_scipy():
    [gan, gp] = loss_cells(ROWS, "ring8")
    modes = np.array([8, 3, 8, 5], dtype=float)
    lo, hi = stats.t.interval(0.95, len(modes) - 1, loc=modes.mean(), scale=stats.sem(modes))
    assert gan["loss"] == "minimax" and gan["n_runs"] == 4
    assert gan["modes"]["mean"] == pytest.approx(6.0)
    assert gan["modes"]["ci"] == pytest.approx([lo, hi])
    assert gan["hq_percent"]["mean"] == pytest.approx(67.5)
    ci = _wilson(2, 4)
    assert gan["all_modes"]["k"] == 2 and gan["all_modes"]["ci"] == pytest.approx([ci.low, ci.high], abs=1e-9)
    assert gp["all_modes"]["k"] == 4 and gp["all_modes"]["ci"][1] == pytest.approx(1.0)
    assert gan["literature"] == ("GAN (VEEGAN Table 1)", 1, 99.3)
    assert loss_cells(ROWS, "grid25") == []


def test_collapse_rates_count_runs_with_at_most_two_modes():
    col, gp = collapse_cells(ROWS)
    assert col["collapsed"]["k"] == 3 and col["collapsed"]["n"] == 4  # 0, 1 and 2 modes; 3 is not collapse
    ci = _wilson(3, 4)
    assert col["collapsed"]["ci"] == pytest.approx([ci.low, ci.high], abs=1e-9)
    assert gp["collapsed"]["k"] == 0 and gp["all_modes"]["k"] == 4


def test_literature_rows():
    assert literature_for("wgan-gp", "grid25") == ("WGAN-GP (GDPP Table 1)", 24.2, 28.7)
    assert literature_for("hinge", "ring8") is None
    assert literature_for("minimax", "two-moons") is None
    assert all(len(v) == 4 for v in LITERATURE.values())


@pytest.mark.parametrize("content", ["not json", "[]", '{"loss": 1}', '[{"loss": "minimax"}]'])
def test_a_damaged_file_is_refused_with_its_name(tmp_path, content):
    path = tmp_path / "mode_table.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="mode_table.json"):
        load_rows(path)
    with pytest.raises(ValueError, match="cannot be read"):
        load_rows(tmp_path / "absent.json")


def test_the_recorded_table_has_ten_seeds_per_cell():
    rows = load_rows(mode_table_view.MODE_TABLE)
    for dataset in ("ring8", "grid25"):
        cells = loss_cells(rows, dataset)
        assert {c["loss"] for c in cells} >= {"minimax", "non-saturating", "wgan-gp"}
        assert all(c["n_runs"] >= 10 for c in cells), [(c["loss"], c["n_runs"]) for c in cells]
    assert all(c["n_runs"] >= 10 for c in collapse_cells(rows))


@pytest.mark.parametrize("dataset", ["ring8", "grid25"])
def test_the_baselines_score_what_closed_forms_predict(dataset):
    """Real points: a 2-D Gaussian puts 1 - exp(-9/2) of its mass within 3 std (a Rayleigh tail).
    Uniform points over the box: a share K pi (3 std)^2 / area falls in the K disks (apart, inside
    the box), and a mode is found with probability 1 - (1 - pi (3 std)^2 / area)^2500."""
    mix = make_dataset(dataset)
    seeds = range(10)
    rows = baseline_rows(dataset, seeds)
    real = [r for r in rows if r["loss"] == "real data"]
    noise = [r for r in rows if r["loss"] == "uniform noise"]
    n, k, radius = 2500, mix.n_modes, 3 * mix.std
    p_real = 1 - math.exp(-4.5)
    assert all(r["modes"] == k for r in real)
    assert abs(np.mean([r["hq"] for r in real]) - p_real) < 4 * math.sqrt(p_real * (1 - p_real) / (n * len(real)))
    x0, x1, y0, y1 = mix.extent
    p_disk = math.pi * radius ** 2 / ((x1 - x0) * (y1 - y0))
    assert abs(np.mean([r["hq"] for r in noise]) - k * p_disk) < 4 * math.sqrt(k * p_disk / (n * len(noise)))
    found = k * (1 - (1 - p_disk) ** n)
    assert abs(np.mean([r["modes"] for r in noise]) - found) < 4 * math.sqrt(k * 0.25 / len(noise))
    # The real data's W1 is the estimator's floor: noise is far above it.
    assert max(r["w1"] for r in real) < min(r["w1"] for r in noise)
    cells = {c["loss"]: c for c in baseline_cells(dataset, seeds)}
    assert cells["real data"]["all_modes"]["k"] == 10 and cells["uniform noise"]["all_modes"]["k"] == 0


def test_the_sweeps_page_shows_the_recorded_table_beside_the_literature():
    at = open_page("pages/sweeps.py", timeout=120)
    assert_clean(at)
    rows = json.loads(mode_table_view.MODE_TABLE.read_text())
    tables = [d.value for d in at.dataframe]
    ring = next(t for t in tables if "Published: modes / HQ %" in t.columns and (t["Steps"] == "3,000").any())
    gan = ring[ring["Loss"] == "Original (minimax)"].iloc[0]
    modes = [r["modes"] for r in rows if r["tag"] == "default" and r["dataset"] == "ring8" and r["loss"] == "minimax"]
    assert gan["Runs"] == len(modes)
    assert gan["Modes found: mean (95 % interval)"].startswith(f"{np.mean(modes):.1f} (")
    assert gan["Published: modes / HQ %"] == "1 / 99.3"
    every = sum(m == 8 for m in modes)
    assert gan["Found every mode (95 % interval)"].startswith(f"{every} of {len(modes)}")
    collapse = [r["modes"] for r in rows if r["tag"] == "collapse"]
    text = " ".join(m.value for m in at.markdown)
    assert f"in {sum(m <= 2 for m in collapse)} of its {len(collapse)} runs" in text
    # The baselines sit in every table, scored on the table's own seeds.
    seeds = sorted({r["seed"] for r in rows if r["tag"] == "default" and r["dataset"] == "ring8"})
    cells = {c["loss"]: c for c in baseline_cells("ring8", seeds)}
    noise = ring[ring["Loss"] == "Baseline: uniform noise"].iloc[0]
    assert noise["High quality %: mean (95 % interval)"].startswith(f"{cells['uniform noise']['hq_percent']['mean']:.1f} (")
    real = ring[ring["Loss"] == "Baseline: real data"].iloc[0]
    assert real["Found every mode (95 % interval)"].startswith(f"{len(seeds)} of {len(seeds)}")
    grid_noise = baseline_cells("grid25", seeds)[1]
    assert f"noise still \"finds\" {grid_noise['modes']['mean']:.0f} of the 25 modes" in text


def test_the_page_says_so_when_the_table_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(mode_table_view, "MODE_TABLE", tmp_path / "mode_table.json")
    at = open_page("pages/sweeps.py", timeout=120)
    assert_clean(at)
    assert any("not available" in i.value for i in at.info)
    assert not at.button(key="sweep_start").disabled  # the sweeps themselves still work


def test_mean_text_clips_the_interval_to_what_is_possible():
    from gan_core.lab.mode_table import mean_text
    from gan_core.lab.records import mean_interval
    lo, hi = stats.t.interval(0.95, 3, loc=6.0, scale=stats.sem([8, 3, 8, 5]))
    assert mean_text(mean_interval([8, 3, 8, 5]), "{:.2f}") == f"6.00 [{lo:.2f}, {hi:.2f}]"
    assert mean_text(mean_interval([8, 3, 8, 5]), "{:.1f}", 0, 8, between="{} ({} to {})") == f"6.0 ({lo:.1f} to 8.0)"
    assert mean_text(mean_interval([7]), "{:.1f}") == "7.0"
    assert mean_text(mean_interval([]), "{:.1f}", empty="–") == "–"
