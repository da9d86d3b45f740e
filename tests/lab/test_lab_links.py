"""The lab's links and typed text: every view round-trips through its link, hostile links never
crash the page, and text from a link is never rendered as Markdown (issue 20, items 2, 3, 5-7)."""
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gan_core.lab.config import lab_defaults
from pages.lab.custom_points import LIMIT, parse_points
from pages.lab.fields import CUSTOM_TEXT_MAX_CHARS, FIELDS, FIRST_VISIT, state_to_config, widget_defaults

from apptest_helpers import assert_clean

#: The page, run on its own (``LAB_PAGE_FILE`` lets the same tests run against another version).
PAGE_FILE = os.environ.get("LAB_PAGE_FILE", str(Path(__file__).resolve().parents[2] / "pages" / "gan_lab.py"))


def _open(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE_FILE, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


KINDS = ("selectbox", "radio", "select_slider", "slider", "number_input", "toggle", "button_group", "text_area",
         "multiselect")


def _widgets(at: AppTest) -> dict:
    """The page's bound widgets as drawn in this run, by key."""
    return {e.key: (kind, e) for kind in KINDS for e in at.get(kind) if getattr(e, "key", None) in FIELDS}


def _link(at: AppTest) -> dict:
    """The link the browser holds for ``at``'s widgets, by Streamlit's rule: a bound widget's value is
    in the query string unless it equals the widget's default as sent to the browser (its proto)."""
    link = {}
    for key, (kind, e) in _widgets(at).items():
        p, options = e.proto, list(FIELDS[key].options)
        if kind in ("selectbox", "radio"):
            if options.index(e.value) != p.default:
                link[key] = p.options[options.index(e.value)]
        elif kind == "select_slider":
            if options.index(e.value) != int(p.default[0]):
                link[key] = p.options[options.index(e.value)]
        elif kind == "slider":
            if e.value != p.default[0]:
                link[key] = str(e.value)
        elif kind in ("number_input", "text_area"):
            if e.value != p.default:
                link[key] = str(e.value)
        elif kind == "toggle":
            if e.value != p.default:
                link[key] = "true" if e.value else "false"
        elif kind == "multiselect":
            chosen = [options.index(v) for v in e.value]
            if chosen != list(p.default):
                link[key] = [p.options[i] for i in chosen]
        else:  # button_group: pills (several) or a segmented control (one)
            chosen = [options.index(v) for v in (e.value if isinstance(e.value, list) else [e.value])]
            if chosen != list(p.default):
                labels = [p.options[i].content for i in chosen]
                link[key] = labels if isinstance(e.value, list) else labels[0]
    return link


def _reopen(at: AppTest) -> AppTest:
    """A new visitor opening the link that ``at``'s address bar holds."""
    return _open(_link(at))


def _values(at: AppTest) -> dict:
    return {key: e.value for key, (_, e) in _widgets(at).items()}


# ------------------------------------------------------------------ round trips
# Each value is a widget's first option or minimum: Streamlit leaves it out of the link when it
# equals the widget's default, and before the fix the widget's default was that first option.
FIRST_OPTIONS = {"lab_speed": "1 step per refresh", "lab_batch": 32, "lab_g_depth": 0, "lab_beta1": 0.0,
                 "lab_latent": 1, "lab_lr_d": 1e-05, "lab_g_width": 8}


def test_values_equal_to_a_widgets_first_option_or_minimum_survive_the_link():
    at = _open()
    for key, value in FIRST_OPTIONS.items():
        at.session_state[key] = value
    at.run()
    assert {k: at.session_state[k] for k in FIRST_OPTIONS} == FIRST_OPTIONS
    back = _reopen(at)
    assert {k: back.session_state[k] for k in FIRST_OPTIONS} == FIRST_OPTIONS
    assert _values(back) == _values(at)
    assert back.session_state["lab_run"].configs[0] == at.session_state["lab_run"].configs[0]


@pytest.mark.parametrize("end", [0, -1])
def test_every_field_at_its_first_option_or_at_its_last_survives_the_link(end):
    at = _open({"lab_mode": "Side by side", "lab_dataset": "Your own points"})
    state = {"lab_custom_text": "0, 0\n1, 1"}
    for f in FIELDS.values():
        if f.kind in ("selectbox", "radio", "select_slider", "segmented", "slider", "number"):
            state[f.key] = f.options[end]
        elif f.kind == "multiselect":
            state[f.key] = [f.options[end]]
        elif f.kind == "toggle":
            state[f.key] = bool(end)
    state.update({"lab_mode": "compare", "lab_dataset": "custom"})  # every widget drawn
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert set(_widgets(at)) == set(FIELDS) - {f"lab_slot_{i}" for i in range(state["lab_count"], 4)}
    back = _reopen(at)
    assert _values(back) == _values(at)
    drawn = {k: v for k, v in state.items() if k in _widgets(at)}
    assert {k: back.session_state[k] for k in drawn} == drawn


def test_a_links_loss_brings_its_settings_but_not_over_a_value_the_link_keeps():
    # With the WGAN-GP loss its n_critic default (not 1) comes with the link; a visitor who set 1,
    # the slider's minimum, must get 1 back.
    at = _open({"lab_loss": "WGAN-GP (gradient penalty)"})
    assert at.session_state["lab_n_critic"] == lab_defaults("wgan-gp", "ring8").n_critic != 1
    at.slider(key="lab_n_critic").set_value(1).run()
    back = _reopen(at)
    assert back.session_state["lab_n_critic"] == 1 and _values(back) == _values(at)
    assert back.session_state["lab_loss"] == "wgan-gp"


def test_each_widgets_default_is_what_a_link_without_its_value_reopens():
    # The pure rule behind the round trips: a link that gives only a loss and a dataset opens every
    # widget at widget_defaults(loss, dataset).
    for loss, dataset in (("wgan-gp", "grid25"), ("hinge", "ring8"), ("lsgan", "custom")):
        at = _open({"lab_loss": loss, "lab_dataset": dataset})
        want = {k: v for k, v in widget_defaults(loss, dataset).items() if k not in ("lab_loss", "lab_dataset")}
        assert {k: at.session_state[k] for k in want} == want, (loss, dataset)


def test_the_field_table_maps_a_configuration_both_ways():
    for loss in ("minimax", "wgan-gp", "wgan-clip", "lsgan"):
        cfg = lab_defaults(loss, "ring8")
        state = {**FIRST_VISIT, **{f.key: f.from_config(cfg) for f in FIELDS.values() if f.config}}
        assert state_to_config(state, "ring8") == cfg


# ------------------------------------------------------------------ hostile numbers
@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "1e400", "9" * 309, "nan", "-5", "1.5", "abc"])
def test_a_seed_that_is_no_seed_is_ignored_with_a_note_not_a_traceback(value):
    at = _open({"lab_seed": value})
    assert at.session_state["lab_seed"] == 0 and at.session_state["lab_run"] is not None
    assert "lab_seed" not in at.query_params  # a reload does not repeat it
    notes = " ".join(t.value for t in at.text)
    assert "lab_seed" in notes and "was ignored" in notes
    assert_clean(at)


def test_every_bound_numeric_input_is_guarded():
    query = {"lab_n_critic": "1e400", "lab_g_depth": "Infinity", "lab_d_depth": "-inf", "lab_beta1": "inf",
             "lab_beta2": "1e999", "lab_seed": "12"}
    at = _open(query)
    ss = at.session_state
    assert (ss["lab_n_critic"], ss["lab_g_depth"], ss["lab_d_depth"]) == (
        FIRST_VISIT["lab_n_critic"], FIRST_VISIT["lab_g_depth"], FIRST_VISIT["lab_d_depth"])
    assert (ss["lab_beta1"], ss["lab_beta2"], ss["lab_seed"]) == (FIRST_VISIT["lab_beta1"], FIRST_VISIT["lab_beta2"], 12)
    assert_clean(at)


# ------------------------------------------------------------------ custom text
def test_custom_text_from_a_link_is_shown_as_plain_text_never_markdown():
    evil = "[Session expired, log in](https://evil.example/login)\n![x](https://evil.example/beacon.png)\n0, 0"
    at = _open({"lab_dataset": "custom", "lab_custom_text": evil})
    rendered = [e.value for kind in ("markdown", "error", "warning", "info", "caption", "success")
                for e in getattr(at, kind)]
    assert not any("evil.example" in str(v) for v in rendered), rendered
    plain = " ".join(t.value for t in at.text)
    assert "https://evil.example/login" in plain  # quoted as it was typed, as plain text
    assert any("lines (1, 2)" in e.value for e in at.error)
    assert_clean(at)


def test_many_bad_lines_give_one_message_and_the_text_area_has_a_limit():
    at = _open({"lab_dataset": "custom"})
    area = at.text_area(key="lab_custom_text")
    assert area.max_chars == CUSTOM_TEXT_MAX_CHARS
    area.input("\n".join(["oops"] * 600 + ["0, 0"])[:CUSTOM_TEXT_MAX_CHARS]).run()
    assert len(at.error) == 1 and "600 lines" in at.error[0].value
    assert len(at.text) == 1 and at.text[0].value.count("\n") <= 6  # the first few lines, quoted


def test_points_far_outside_the_plane_are_named_as_the_cause():
    at = _open({"lab_dataset": "custom", "lab_custom_text": "1e300, 0\n0, 0\n1, 1"})
    errors = " ".join(e.value for e in at.error)
    assert "Line 1 is outside" in errors and f"{LIMIT:g}" in errors
    assert at.session_state["lab_setup"] == "invalid"  # no run that would end in "loss became nan"
    assert "1e300, 0" in " ".join(t.value for t in at.text)


def test_parse_points_sorts_lines_into_points_unreadable_and_too_far():
    parsed = parse_points("0, 0\n\n1.5;1\n 2 -1 \noops\nnan, 1\n11, 0\n0, -1e300\n0, 0")
    assert parsed.points == [(0.0, 0.0), (1.5, 1.0), (2.0, -1.0)]
    assert [n for n, _ in parsed.unreadable] == [5, 6] and [n for n, _ in parsed.too_far] == [7, 8]
    assert parsed.summary().startswith("2 lines (5, 6) are not two numbers")
    assert parse_points("0, 0").summary() is None
