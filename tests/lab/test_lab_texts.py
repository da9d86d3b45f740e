"""The lab's explanations: the right theory for each loss, and a summary computed from the
measured mode table (issue 20, items 11 and 12)."""
import json
import os
from pathlib import Path

from pages.lab import texts

from apptest_helpers import assert_clean, visible_text


def _lab_text(query: dict) -> str:
    from streamlit.testing.v1 import AppTest

    page = os.environ.get("LAB_PAGE_FILE", str(Path(__file__).resolve().parents[2] / "pages" / "gan_lab.py"))
    at = AppTest.from_file(page, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert_clean(at)
    return visible_text(at)


def test_the_non_saturating_loss_is_not_said_to_measure_js_or_to_vanish():
    shown = _lab_text({"lab_loss": "non-saturating"})
    assert r"\mathrm{KL}(Q" in shown and "Arjovsky & Bottou 2017" in shown and "does *not*" in shown
    assert "vanishing gradients" not in shown.replace("Vanishing gradients", "")  # only the lesson's name
    assert "Jensen–Shannon divergence, which saturates" not in shown


def test_the_saturating_loss_keeps_its_jensen_shannon_explanation():
    paragraphs = " ".join(texts.explanations({"minimax"}))
    assert r"2\,\mathrm{JSD}(P\,\|\,Q) - \log 4" in paragraphs and "vanishes" in paragraphs
    assert r"\mathrm{KL}(Q" not in paragraphs
    both = texts.explanations({"minimax", "non-saturating"})
    assert texts.MINIMAX in both and texts.NON_SATURATING in both


def _record(tag, loss, seed, modes, hq, trajectory, n_modes=8, iters=5000):
    return {"tag": tag, "loss": loss, "dataset": "ring8", "seed": seed, "modes": modes, "n_modes": n_modes,
            "hq": hq, "iters": iters, "trajectory": trajectory}


def test_the_summary_is_computed_from_the_records_not_typed():
    records = [_record("collapse", "minimax", s, m, hq, [[0, 0], [5000, m]]) for s, m, hq in
               ((0, 3, 0.25), (1, 4, 0.5), (2, 5, 0.05))]
    records += [_record("collapse-wgan-gp", "wgan-gp", s, 8, 0.7, [[0, 0], [500, 7], [1000, 8]], iters=1500)
                for s in range(3)]
    records += [_record("default", "wgan-clip", 0, 5, 0.02, [[0, 0]]), _record("default", "wgan-gp", 0, 8, 0.6, [[0, 0]])]
    first, _, clip = texts.summary_sentences(records)
    assert "3, 4 and 5 of its 8 modes" in first and "25 %, 50 % and 5.0 %" in first
    assert "by step 1,000" in first and "5,000 steps" in first
    assert "2.0 % of them on a mode, against 60 %" in clip


def test_the_pages_summary_matches_the_recorded_mode_table():
    records = json.loads(texts.MODE_TABLE.read_text())
    collapse = sorted((r for r in records if r["tag"] == "collapse" and r["dataset"] == "ring8"),
                      key=lambda r: r["seed"])
    shown = _lab_text({})
    modes = [str(r["modes"]) for r in collapse]  # independently: the table's own figures
    assert f"{', '.join(modes[:-1])} and {modes[-1]} of its 8 modes captured" in shown
    assert "one or two of the eight modes" not in shown
