"""The glossary page: reachable from the navigation, every entry links to lessons that exist, filtering works,
and it stays off the guided path."""
from __future__ import annotations

from pathlib import Path

from apptest_helpers import assert_clean, open_page
from pages.ui.chrome import LESSONS

PAGE = "pages/glossary.py"
LESSON_FILES = {Path(lesson.path).stem: lesson for lesson in LESSONS}


def _links(at):
    return [link.proto for link in at.get("page_link")]


def test_glossary_renders_symbols_with_links_to_their_lessons():
    at = open_page(PAGE)
    assert_clean(at)
    assert at.title[0].value == "Glossary of symbols"
    symbols = " ".join(m.value for m in at.markdown)
    for latex in (r"D_{KL}(P\,\|\,Q)", r"W_1(P,Q)", r"V(G,D)", r"n_{critic}", r"p_{data}", r"f^*(t)", "D^*"):
        assert f"${latex}" in symbols, latex
    links = _links(at)
    targets = {link.page for link in links}  # the linked page's name: its file's stem
    # Every lesson is linked from at least one symbol, and only real pages are linked.
    assert set(LESSON_FILES) <= targets
    assert targets <= set(LESSON_FILES) | {"home"}
    labels = {link.label for link in links}
    assert "The GAN objective" in labels and "Wasserstein distance" in labels
    assert len(at.get("graphviz_chart")) == 1


def test_filter_narrows_the_list_and_says_when_nothing_matches():
    at = open_page(PAGE)
    everything = len(_links(at))
    at.text_input(key="glossary_filter").set_value("critic").run()
    assert_clean(at)
    narrowed = [m.value for m in at.markdown if m.value.startswith("**")]
    assert narrowed and all("critic" in text.lower() for text in narrowed)
    assert 0 < len(_links(at)) < everything
    at.text_input(key="glossary_filter").set_value("no such symbol").run()
    assert_clean(at)
    assert at.info and "No symbol matches" in at.info[0].value


def test_glossary_is_in_the_navigation_but_not_on_the_guided_path():
    assert all(Path(lesson.path).name != "glossary.py" for lesson in LESSONS)
    app = (Path(__file__).resolve().parents[2] / "app.py").read_text()
    assert '"pages/glossary.py"' in app and '"Reference"' in app
    # The glossary closes with the way back to the start, not with a lesson's "Next" link.
    at = open_page(PAGE)
    last = _links(at)[-1]
    assert last.page == "home" and last.label == "Back to the start"


HOSTILE = "[Session expired, log in](https://evil.example/l) ![b](https://evil.example/b.png) :red[x] $x$"


def test_a_filter_from_a_link_is_echoed_as_written_never_as_markdown():
    """A link can set the filter: the 'no match' message shows that text inside a code span (the one
    Markdown construct that prints its content literally), so no link is drawn and no image fetched."""
    at = open_page(PAGE)
    at.text_input(key="glossary_filter").set_value(HOSTILE).run()
    assert_clean(at)
    message = at.info[0].value
    assert f"`{HOSTILE}`" in message
    outside = message.replace(f"`{HOSTILE}`", "")
    assert "evil.example" not in outside and "](" not in outside
    # Nothing else on the page repeats it.
    assert not [m.value for m in at.markdown if "evil.example" in m.value]
