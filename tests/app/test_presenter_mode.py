"""Presenter navigation under AppTest: the guided path's neighbours, Previous/Next links at the bottom
(and in the presenter's bar at the top), and "Reset this lesson"."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from apptest_helpers import APP, assert_clean, open_page
from pages.ui.chrome import HOME, LESSONS, neighbours

OBJECTIVE = "pages/gan_objective.py"


def _labels(at) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def test_neighbours_follow_the_guided_path_from_the_start_page_and_back_to_it():
    path = [HOME, *LESSONS]
    for i, lesson in enumerate(path):
        previous, following = neighbours(lesson.url_path)
        assert previous is (path[i - 1] if i else None)
        assert following is (path[i + 1] if i + 1 < len(path) else HOME)
    assert neighbours("glossary") == (None, HOME)


def test_a_lesson_ends_with_previous_and_next_links():
    at = open_page(OBJECTIVE)
    assert_clean(at)
    labels = _labels(at)
    assert labels[-2:] == [f"Previous: {LESSONS[0].title}", f"Next: {LESSONS[2].title} →"]
    at = open_page(LESSONS[0].path)
    assert _labels(at)[-2:] == ["Start here", f"Next: {LESSONS[1].title} →"]


def test_presenter_mode_puts_previous_and_next_at_the_top_too():
    at = open_page(OBJECTIVE)
    at.session_state["present"] = True
    at.run()
    assert_clean(at)
    labels = _labels(at)
    first, last = f"Previous: {LESSONS[0].title}", f"Next: {LESSONS[2].title} →"
    assert labels[:2] == [first, last] and labels[-2:] == [first, last]
    assert at.button(key="gan_reset") and at.button(key="leave_presenter")


def _theta(at) -> float:
    return at.slider(key="theta").value


def test_reset_puts_every_control_of_the_lesson_back():
    at = open_page(OBJECTIVE)
    default = _theta(at)
    family = at.selectbox(key="gen_family").value
    at.slider(key="theta").set_value(0.5).run()
    at.selectbox(key="gen_family").set_value("uniform").run()
    assert _theta(at) == 0.5 and at.selectbox(key="gen_family").value == "uniform"
    at.button(key="gan_reset").click().run()
    assert_clean(at)
    assert _theta(at) == default and at.selectbox(key="gen_family").value == family


def test_reset_clears_values_that_came_with_a_link():
    default = _theta(open_page(OBJECTIVE))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["theta"] = "0.5"  # as a link brings it
    at.run()
    at.switch_page(OBJECTIVE).run()
    assert _theta(at) == 0.5
    at.button(key="gan_reset").click().run()
    assert_clean(at)
    assert _theta(at) == default
    assert "theta" not in at.query_params


def test_reset_in_presenter_mode_keeps_presenter_mode():
    at = open_page(OBJECTIVE)
    at.slider(key="theta").set_value(0.5).run()
    at.session_state["present"] = True
    at.run()
    at.button(key="gan_reset").click().run()
    assert_clean(at)
    assert at.session_state["present"] is True and _theta(at) != 0.5
    assert at.button(key="leave_presenter")


def test_the_reset_knows_the_pages_widgets_from_streamlits_own_record():
    # pages.ui.presenter reads the ids Streamlit registered in the run; a keyed widget's id ends with its
    # key. If a Streamlit upgrade changes either, this fails (and reset falls back to the address bar).
    at = open_page(OBJECTIVE)
    url_path, keys = at.session_state["_gan_page_widgets"]
    assert url_path == "gan-objective"
    assert "theta" in keys and "present" not in keys and "gan_reset" not in keys
