"""Walk every widget of every page through its options in a seeded random order: no traceback, ever.

Issue 21 item 1: a sequence of widget changes (CycleGAN: model, then gallery image) reached a
ValueError. This test opens each page of app.py's navigation under AppTest and makes ``BUDGET``
random interactions, each one on a widget drawn from those on screen *now* (widgets appear and
disappear as settings change), with a value drawn from the widget's own options or range.

Values are sent as the browser sends them (the formatted option strings, raw numbers), built here
as ``WidgetState`` protos rather than through AppTest's setters, which format Python values with the
page's ``format_func`` and so cannot send what a browser sends. The browser also keeps, for a keyed
widget whose options changed under it, the label it showed before, unless the server pushed a new
value (``set_value`` in the widget's proto); it sends that label back with the next interaction.
The walk does the same. That is the CycleGAN crash's path (the direction radio kept the digits
model's label after a switch to the emoji model), and this walk finds it on the page before the fix.
"""
from __future__ import annotations

import random
import zlib

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from apptest_helpers import open_page
from pages.ui.chrome import LESSONS

BUDGET = 25  # interactions per page, at least; more where a page has more widgets (each gets a turn)
PAGES = ["pages/home.py", *[lesson.path for lesson in LESSONS], "pages/glossary.py"]
# Buttons are clicked once per page at most (some start long work: a live training loop, a critic
# fit), so the budget goes to the settings that shape what the page shows.
TEXTS = ["", "0", "x", "1e400", "-inf", "nan", "1,2\n3,4", "**bold** [link](http://example.com)", "é" * 300]
KINDS = ("selectbox", "radio", "select_slider", "button_group", "multiselect", "slider", "number_input",
         "checkbox", "toggle", "button", "text_input", "text_area")


def _name(widget) -> str:
    return getattr(widget, "key", None) or widget.id


def _send(widget, fill) -> None:
    """Make the next run send what ``fill(state)`` writes into this widget's WidgetState."""

    class Sent(type(widget)):
        @property
        def _widget_state(self):
            state = WidgetState()
            state.id = self.id
            fill(state)
            return state

    widget.__class__ = Sent


def _numbers(rng: random.Random, low: float, high: float, step: float, integer: bool) -> float:
    """The ends and a random point of the range on the widget's step grid."""
    if high <= low or step <= 0:
        return low
    pick = rng.choice(["low", "high", "grid", "grid"])
    if pick == "low":
        return low
    if pick == "high":
        return high
    steps = int(round((high - low) / step))
    value = low + step * rng.randint(0, max(steps, 0))
    return float(min(high, round(value) if integer else value))


def _send_labels(widget, kind: str, chosen: list[str]) -> None:
    if kind in ("selectbox", "radio"):
        _send(widget, lambda s: setattr(s, "string_value", chosen[0]))
    else:
        _send(widget, lambda s: s.string_array_value.data.extend(chosen))


def _shown_labels(at) -> dict[str, tuple[str, list[str], str]]:
    """For each keyed single-choice widget: (kind, its options, the label the browser will send)."""
    shown = {}
    for kind in ("selectbox", "radio", "select_slider"):
        for widget in getattr(at, kind):
            key = getattr(widget, "key", None)
            try:
                state = widget._widget_state
            except Exception:  # AppTest cannot format a value the options do not hold: skip it
                continue
            labels = [state.string_value] if kind != "select_slider" else list(state.string_array_value.data)
            if key and len(labels) == 1:
                shown[key] = (kind, list(widget.options), labels[0])
    return shown


def _stale_after_run(before: dict, at) -> dict[str, tuple[str, str]]:
    """Widgets whose options no longer hold the label the browser holds (they changed under it),
    while the server pushed no new value: the browser keeps that label and sends it again."""
    stale = {}
    for kind in ("selectbox", "radio", "select_slider"):
        for widget in getattr(at, kind):
            key = getattr(widget, "key", None)
            if key in before:
                label = before[key][2]
                if label not in widget.options and not widget.proto.set_value:
                    stale[key] = (kind, label)
    return stale


def _interact(widget, kind: str, rng: random.Random) -> str:
    """Change ``widget`` the way a visitor could; returns what was done, for the failure message."""
    name = _name(widget)
    if kind in ("selectbox", "radio", "select_slider", "button_group", "multiselect"):
        options = list(widget.options)
        if not options:
            return f"{name}: no options"
        elif kind == "multiselect" or (kind == "button_group" and widget.proto.click_mode == 0):
            chosen = rng.sample(options, rng.randint(0, len(options)))
        elif kind == "select_slider" and len(widget.proto.default) == 2:  # a range
            chosen = sorted(rng.sample(options, 2) if len(options) > 1 else options * 2, key=options.index)
        else:
            chosen = [rng.choice(options)]
        _send_labels(widget, kind, chosen)
        return f"{name} <- {chosen}"
    if kind == "slider":
        proto = widget.proto
        integer = proto.data_type == proto.DataType.INT
        n_values = len(proto.default) or 1
        values = sorted(_numbers(rng, proto.min, proto.max, proto.step or 1, integer) for _ in range(n_values))
        _send(widget, lambda s: s.double_array_value.data.extend(values))
        return f"{name} <- {values}"
    if kind == "number_input":
        proto = widget.proto
        integer = proto.data_type == proto.DataType.INT
        low = proto.min if proto.has_min else -1e6
        high = proto.max if proto.has_max else 1e6
        value = _numbers(rng, low, high, proto.step or 1, integer)
        if integer:
            _send(widget, lambda s: setattr(s, "int_value", int(value)))
        else:
            _send(widget, lambda s: setattr(s, "double_value", value))
        return f"{name} <- {value}"
    if kind in ("checkbox", "toggle"):
        value = not widget.value
        widget.set_value(value)
        return f"{name} <- {value}"
    if kind == "button":
        widget.click()
        return f"{name} clicked"
    text = rng.choice(TEXTS)
    widget.set_value(text)
    return f"{name} <- {text[:20]!r}"


def _on_screen(at) -> list[tuple[str, object]]:
    found = []
    for kind in KINDS:
        for widget in getattr(at, kind):
            if not getattr(widget, "disabled", False):
                found.append((kind, widget))
    return found


@pytest.mark.parametrize("path", PAGES)
def test_random_walk_over_every_widget_never_reaches_a_traceback(path):
    rng = random.Random(zlib.crc32(path.encode()))  # seeded per page: a failure replays exactly
    at = open_page(path, timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    stale: dict[str, tuple[str, str]] = {}
    clicked: set[str] = set()
    done: list[str] = []
    steps = 0
    touched: set[str] = set()
    budget = max(BUDGET, len(_on_screen(at)) + 10)
    for _ in range(budget):
        candidates = [(k, w) for k, w in _on_screen(at) if not (k == "button" and _name(w) in clicked)]
        if not candidates:
            break
        fresh = [(k, w) for k, w in candidates if _name(w) not in touched]  # every widget gets a turn first
        kind, widget = rng.choice(fresh or candidates)
        touched.add(_name(widget))
        if kind == "button":
            clicked.add(_name(widget))
        done.append(_interact(widget, kind, rng))
        steps += 1
        for key, (stale_kind, label) in stale.items():  # what the browser still holds
            if key != _name(widget):
                _send_labels(getattr(at, stale_kind)(key=key), stale_kind, [label])
                done.append(f"(browser resends {key} <- {label!r})")
        before = _shown_labels(at)
        at.run()
        stale = _stale_after_run(before, at)
        assert not at.exception, (path, done, [e.value for e in at.exception])
    assert steps == budget or not done, (path, done)  # only a page without widgets walks nothing
    untouched = {_name(w) for _, w in _on_screen(at)} - touched - clicked
    assert not untouched or steps == budget, untouched
