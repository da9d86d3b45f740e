"""Helpers for running pages under streamlit.testing.v1.AppTest through the real navigation."""
from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NAN = re.compile(r"\bnan\b", re.IGNORECASE)


def open_page(path: str, timeout: float = 60) -> AppTest:
    """Run app.py, then switch to ``path`` as a visitor clicking the sidebar would."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    at.switch_page(path)
    at.run()
    return at


def visible_text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "latex", "title", "header", "subheader", "error", "warning", "info"):
        parts.extend(str(element.value) for element in getattr(at, kind))
    for metric in at.metric:
        parts.append(f"{metric.label} {metric.value}")
    for frame in [*at.dataframe, *at.table]:
        parts.append(frame.value.to_string())
    return "\n".join(parts)


def assert_clean(at: AppTest) -> None:
    """No exception element, and no NaN anywhere on the page."""
    assert not at.exception, [e.value for e in at.exception]
    text = visible_text(at)
    match = NAN.search(text)
    assert match is None, f"'nan' shown on the page: ...{text[max(0, match.start() - 80): match.end() + 80]}..."
