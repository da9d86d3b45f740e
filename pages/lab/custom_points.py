"""The lab's own data: points picked on a plot or typed as "x, y" lines.

:func:`parse_points` is plain Python (tested alone); :func:`custom_points` draws the picker and
the text area.  The text comes from the visitor or from a link, so it is never shown as Markdown:
the one summary message names line numbers, and the offending lines are quoted as plain text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from gan_core.lab import viz_lab
from gan_core.palette import ACCENT
from pages.lab.fields import CUSTOM_TEXT_MAX_CHARS, FIELDS, widget

#: Custom points must lie in the square [-LIMIT, LIMIT]^2: the lab's networks start near the origin
#: and its plots span a few units; a point at 1e300 made the first step's loss infinite, and the run
#: ended in "the discriminator loss became nan, lower the learning rate" (issue 20, item 6).
LIMIT = 10.0
#: How many offending lines are quoted back.
QUOTED_LINES = 5


@dataclass
class ParsedPoints:
    points: list = field(default_factory=list)  # (x, y) tuples, in order, without duplicates
    unreadable: list = field(default_factory=list)  # (line number, text) not two finite numbers
    too_far: list = field(default_factory=list)  # (line number, text) outside the square

    def summary(self) -> str | None:
        """One sentence about every bad line (line numbers only), or None."""
        parts = []
        if self.unreadable:
            parts.append(f"{_lines(self.unreadable)} not two numbers “x, y”")
        if self.too_far:
            parts.append(f"{_lines(self.too_far)} outside the square [−{LIMIT:g}, {LIMIT:g}]² the lab trains on "
                         "(scale your points down: the networks start near the origin and would diverge)")
        if not parts:
            return None
        return " and ".join(parts) + ": fix or remove " + ("it" if len(self.unreadable + self.too_far) == 1 else "them")

    def quoted(self) -> str:
        """The first offending lines, as plain text."""
        bad = sorted(self.unreadable + self.too_far)[:QUOTED_LINES]
        more = len(self.unreadable) + len(self.too_far) - len(bad)
        text = "\n".join(f"line {n}: {line[:60]}{'…' if len(line) > 60 else ''}" for n, line in bad)
        return text + (f"\n… and {more:,} more" if more > 0 else "")


def _lines(items) -> str:
    numbers = [n for n, _ in items]
    shown = ", ".join(str(n) for n in numbers[:8]) + (f" and {len(numbers) - 8:,} more" if len(numbers) > 8 else "")
    return f"line {shown} is" if len(numbers) == 1 else f"{len(numbers):,} lines ({shown}) are"


def parse_points(text: str) -> ParsedPoints:
    """Points from "x, y" lines (commas, semicolons or spaces between the numbers)."""
    out = ParsedPoints()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p for p in line.replace(";", ",").replace(" ", ",").split(",") if p]
        try:
            x, y = (float(v) for v in parts)
        except ValueError:
            out.unreadable.append((n, line.strip()))
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            out.unreadable.append((n, line.strip()))
        elif max(abs(x), abs(y)) > LIMIT:
            out.too_far.append((n, line.strip()))
        else:
            out.points.append((x, y))
    out.points = list(dict.fromkeys(out.points))
    return out


def _picked(event) -> list:
    """The (x, y) of the points selected on the picker (a click, a box or a lasso)."""
    try:
        points = event["selection"]["points"] if isinstance(event, dict) else event.selection.points
        return [(float(p["x"]), float(p["y"])) for p in points]
    except (AttributeError, KeyError, TypeError, ValueError):
        return []


def merge_picked(text: str, picked: list, seen) -> tuple[str, int]:
    """``text`` with the newly picked points (those in ``picked`` but not in ``seen``, the previous
    selection) appended as "x, y" lines, so that they live in the text area and therefore in the
    page's link. Points the text already holds are not repeated; lines that would take the text past
    the text area's CUSTOM_TEXT_MAX_CHARS are left out. Returns the text and how many were left out."""
    have = set(parse_points(text).points)
    lines, left_out = [], 0
    for x, y in picked:
        if (x, y) in seen or (x, y) in have:
            continue
        line = f"{x:g}, {y:g}"
        body = "\n".join([text.rstrip("\n"), *lines, line]) if text.strip() else "\n".join([*lines, line])
        if len(body) > CUSTOM_TEXT_MAX_CHARS:
            left_out += 1
            continue
        lines.append(line)
        have.add((x, y))
    if not lines:
        return text, left_out
    head = text.rstrip("\n") + "\n" if text.strip() else ""
    return head + "\n".join(lines), left_out


def _take_picked(problems: list[str]) -> None:
    """Move a new selection on the picker into the text (before the text area is drawn)."""
    picked = _picked(st.session_state.get("lab_pick"))
    seen = set(st.session_state.get("lab_pick_seen", ()))
    st.session_state["lab_pick_seen"] = picked
    if not set(picked) - seen:
        return
    text, left_out = merge_picked(st.session_state.get("lab_custom_text") or "", picked, seen)
    st.session_state["lab_custom_text"] = text
    if left_out:
        problems.append(f"{left_out:,} picked point(s) left out: the text holds at most {CUSTOM_TEXT_MAX_CHARS:,} "
                        "characters; remove some lines first")


def picker_figure(candidates, chosen):
    """The candidates to click, with the points of the text marked (rings) on top."""
    fig = viz_lab.picker_figure(candidates, (-2.3, 2.3, -2.3, 2.3))
    # Streamlit turns a click into a selection only when the drag mode is not lasso or box (it sets
    # clickmode "event" then, and a plain click on a scatter point added nothing: issue 21 item 8);
    # the lasso and the box stay one click away in the plot's toolbar.
    fig.update_layout(dragmode="pan")
    if chosen:
        xs, ys = zip(*chosen)
        fig.add_scatter(x=xs, y=ys, mode="markers", name="your points", hoverinfo="skip",
                        marker=dict(symbol="circle-open", size=14, line=dict(width=2.5), color=ACCENT))
    return fig


def custom_points(problems: list[str]):
    """The picker and the text area; returns the chosen points (an array) or None, and appends
    what is wrong with them to ``problems``. A click, a box or a lasso on the picker writes the
    points into the text (so the link keeps them); the text's points are marked on the picker."""
    with st.expander("Your own points: click points on the left (lasso or box: in the plot's toolbar), or type "
                     "them on the right", expanded=True):
        _take_picked(problems)
        parsed = parse_points(st.session_state.get("lab_custom_text") or "")
        pick_col, text_col = st.columns([3, 2])
        t = np.linspace(-2.0, 2.0, 17)
        xx, yy = np.meshgrid(t, t)
        candidates = np.stack([xx.ravel(), yy.ravel()], 1)
        with pick_col:
            st.plotly_chart(picker_figure(candidates, parsed.points), width="stretch", key="lab_pick",
                            on_select="rerun", selection_mode=("points", "box", "lasso"),
                            config={"displaylogo": False})
        with text_col:
            text = widget(FIELDS["lab_custom_text"], st, "")
        parsed = parse_points(text or "")
        chosen = parsed.points
        summary = parsed.summary()
        if summary:
            problems.append(summary)
            st.text(parsed.quoted())
        if chosen:
            st.caption(f"{len(chosen)} mode centre(s) chosen.")
            return np.array(chosen)
    problems.append("choose at least one point: click one on the plot or type “x, y”")
    return None
