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
    assert "by step 1,000" in first and "5,000 steps" in first and "most of its samples" in first
    many = [_record("collapse", "minimax", s, s % 3, 0.1 * (s % 2), [[0, 0]]) for s in range(10)] + records[3:]
    assert "0.9 (from 0 to 2) of its 8 modes" in texts.summary_sentences(many)[0]
    assert "2.0 % of them on a mode, against 60 %" in clip


def test_the_pages_summary_matches_the_recorded_mode_table():
    records = json.loads(texts.MODE_TABLE.read_text())
    collapse = sorted((r for r in records if r["tag"] == "collapse" and r["dataset"] == "ring8"),
                      key=lambda r: r["seed"])
    shown = _lab_text({})
    modes = [r["modes"] for r in collapse]  # independently: the table's own figures
    if len(modes) <= 3:
        listed = ", ".join(str(m) for m in modes[:-1]) + f" and {modes[-1]}"
        assert f"{listed} of its 8 modes captured" in shown
    else:
        assert f"{sum(modes) / len(modes):.1f} (from {min(modes)} to {max(modes)}) of its 8 modes" in shown
    assert ("most of its samples sit on no mode" in shown) == (sum(r["hq"] < 0.5 for r in collapse) > len(modes) / 2)
    assert "one or two of the eight modes" not in shown


def test_a_run_that_reaches_the_step_cap_says_so(monkeypatch):
    # Issue 21, item 7: a run stopped at the cap "with no word of why".
    from gan_core.lab import run_registry

    from apptest_helpers import open_page

    monkeypatch.setattr(run_registry, "MAX_STEPS", 3)
    at = open_page("pages/gan_lab.py", timeout=180)
    at.button(key="lab_preset_wgan-gp").click().run()  # a fresh run, built with the cap of 3
    at.button(key="lab_play").click().run()
    for _ in range(30):
        if not at.session_state["lab_run"].running:
            break
        at.run()
    run = at.session_state["lab_run"]
    assert run.at_cap and run.step == 3
    at.run()
    status = " ".join(m.value for m in at.markdown)
    assert "stopped at the cap of 3 generator steps per run" in status
    assert any("cap of 3 generator steps" in w.value for w in at.warning)
    assert_clean(at)
