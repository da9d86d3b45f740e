"""The custom-points picker (issue 21 item 8): a click (or box / lasso) on the picker writes the
point into the text area, so the page's link keeps it; typed points are marked on the picker."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pages.lab.custom_points import merge_picked, parse_points
from pages.lab.fields import CUSTOM_TEXT_MAX_CHARS

from apptest_helpers import assert_clean
from test_lab_links import PAGE_FILE


def _select(*points) -> dict:
    """What the picker's session state holds after a click (one point) or a lasso (several)."""
    return {"selection": {"points": [{"x": x, "y": y} for x, y in points], "point_indices": list(range(len(points))),
                          "box": [], "lasso": []}}


@pytest.fixture()
def lab() -> AppTest:
    at = AppTest.from_file(PAGE_FILE, default_timeout=180)
    at.run()
    at.selectbox(key="lab_dataset").set_value("custom").run()
    return at


def _picker_marks(at: AppTest) -> list:
    """The points marked on the picker (its second trace), as (x, y) pairs."""
    chart = next(c for c in at.get("plotly_chart") if "lab_pick" in (c.proto.id or ""))
    traces = json.loads(chart.proto.spec)["data"]
    marks = [t for t in traces if t.get("name") == "your points"]
    return [] if not marks else list(zip(marks[0]["x"], marks[0]["y"]))


def test_merge_appends_new_picks_once_and_keeps_typed_lines():
    text, left = merge_picked("1, 1\n", [(0.5, -1.0), (1.0, 1.0)], set())
    assert left == 0 and text == "1, 1\n0.5, -1"
    again, _ = merge_picked(text, [(0.5, -1.0), (1.0, 1.0)], {(0.5, -1.0), (1.0, 1.0)})
    assert again == text  # the same selection on the next rerun adds nothing
    assert merge_picked("", [(-2.0, 0.25)], set())[0] == "-2, 0.25"


def test_merge_stops_at_the_text_areas_limit():
    full = "\n".join("1, 1" for _ in range(CUSTOM_TEXT_MAX_CHARS // 5))  # just under the limit
    text, left = merge_picked(full, [(-1.75, -1.75), (1.75, 1.75)], set())
    assert len(text) <= CUSTOM_TEXT_MAX_CHARS and left >= 1


def test_a_click_on_the_picker_becomes_a_line_of_the_text_and_the_data(lab):
    lab.session_state["lab_pick"] = _select((0.5, -1.0))
    lab.run()
    assert lab.text_area(key="lab_custom_text").value == "0.5, -1"
    assert not lab.error
    assert np.allclose(lab.session_state["lab_run"].mixture.centres, [[0.5, -1.0]])
    # a lasso adding two more keeps the first; the same selection on the next rerun adds nothing
    lab.session_state["lab_pick"] = _select((0.5, -1.0), (1.25, 1.5), (-2.0, 2.0))
    lab.run()
    lab.run()
    assert parse_points(lab.text_area(key="lab_custom_text").value).points == [(0.5, -1.0), (1.25, 1.5), (-2.0, 2.0)]
    assert_clean(lab)


def test_a_deleted_picked_line_stays_deleted(lab):
    lab.session_state["lab_pick"] = _select((0.5, -1.0), (1.0, 1.0))
    lab.run()
    lab.text_area(key="lab_custom_text").input("1, 1").run()  # the selection on the plot is still there
    assert lab.text_area(key="lab_custom_text").value == "1, 1"
    assert_clean(lab)


def test_typed_points_are_marked_on_the_picker(lab):
    assert _picker_marks(lab) == []
    lab.text_area(key="lab_custom_text").input("0, 0\n1.5, 1\noops").run()
    lab.run()  # the marks are drawn from the text as it stood when the picker was drawn
    assert _picker_marks(lab) == [(0, 0), (1.5, 1)]
