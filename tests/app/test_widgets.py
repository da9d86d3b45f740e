"""pages.ui.widgets: text from a visitor shown literally."""
import re

import pytest

from pages.ui.widgets import literal


def _code_span_content(markdown: str) -> str:
    """CommonMark's reading of a text that is one code span: the fence is the opening run of backticks,
    the span ends at the next run of exactly that length, one space is stripped from each side when
    both ends have one."""
    fence = re.match(r"`+", markdown).group(0)
    rest = markdown[len(fence):]
    closing = [m for m in re.finditer(r"`+", rest) if len(m.group(0)) == len(fence)]
    assert closing, markdown
    end = closing[0]
    assert end.end() == len(rest), f"the span closes early: {markdown!r}"
    content = rest[:end.start()]
    if len(content) > 1 and content[0] == content[-1] == " " and content.strip():
        content = content[1:-1]
    return content


@pytest.mark.parametrize("text", [
    "[log in](https://evil.example)", "![x](https://evil.example/b.png)", "a`b", "``tick``", "`", "x ``` y",
    ":red[alert] :material/home:", "$\\frac{1}{0}$", "<img src=x onerror=alert(1)>", "**bold**",
])
def test_literal_is_one_code_span_holding_the_text(text):
    assert _code_span_content(literal(text)) == text


def test_literal_puts_everything_on_one_line_and_nothing_for_nothing():
    assert literal("a\n\nb") == "`a b`"
    assert literal("   ") == ""
