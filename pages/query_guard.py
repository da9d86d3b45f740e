"""Numbers in a link checked before the widgets that read them exist.

A bound ``st.number_input`` or ``st.slider`` (``bind="query-params"``) reads its value from the
link when it is first drawn.  Streamlit (1.67) converts an integer widget's parameter with
``int(float(text))`` before its range check and catches only ValueError, TypeError and
IndexError: ``?lab_seed=inf`` (also ``-inf``, ``Infinity``, ``1e400``, a 309-digit integer) raised
OverflowError with a traceback, and the bad value stayed in the address, so a reload repeated it.

:func:`guard_numbers` is called by a page before it draws its widgets, with the bounds of each
bound numeric input.  A parameter that is not a finite number within the bounds (a whole number
for an integer input) is removed from the link and from the values the widgets are seeded with;
the widget then opens at its default, and the page can tell the visitor what was ignored (in plain
text: the value comes from the link).  Any page can use it (the lab and the DCGAN page do).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.state.session_state_proxy import get_session_state

#: The longest parameter value quoted back to the visitor.
QUOTE_CHARS = 40


@dataclass(frozen=True)
class NumberParam:
    """A bound numeric input: its query parameter, bounds, and whether it takes whole numbers."""

    name: str
    low: float
    high: float
    integer: bool = True

    def problem(self, text: str) -> str | None:
        """Why ``text`` is not a value of this input (None when it is)."""
        kind = "a whole number" if self.integer else "a number"
        why = f"is not {kind} from {self.low:g} to {self.high:g}"
        if len(text) > 64:  # a 309-digit integer, or worse: no number of ours is that long
            return why
        try:
            value = float(text)
        except (TypeError, ValueError):
            return why
        if not math.isfinite(value) or not self.low <= value <= self.high:
            return why
        if self.integer and value != math.floor(value):
            return why
        return None


def quote(text: str) -> str:
    """A value from the link, shortened for a message (shown as plain text, never Markdown)."""
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def guard_numbers(params) -> list[str]:
    """Drop every parameter of ``params`` (NumberParam) whose value a widget could not take.

    Returns one sentence per dropped parameter (plain text, quoting the value shortened). Call it
    before the widgets are drawn: the widgets are seeded from the link on their first run."""
    notes = []
    with get_session_state().query_params() as qp:
        for spec in params:
            values = qp.get_all(spec.name) or qp._initial_query_params.get(spec.name) or []
            if not values:
                continue
            bad = next((v for v in values if spec.problem(v) is not None), None)
            if bad is None:
                continue
            notes.append(f"The link's {spec.name}={quote(bad)} was ignored: it {spec.problem(bad)}.")
            # The widgets are seeded from the initial parameters; the address bar follows the current ones.
            qp._initial_query_params.pop(spec.name, None)
            if qp.has_param(spec.name):
                qp.remove_param(spec.name)
    return notes


def show_notes(notes: list[str]) -> None:
    """The sentences of :func:`guard_numbers` in one box: a heading, then the sentences as plain
    text (they quote the link, which anyone can write: never rendered as Markdown)."""
    if notes:
        with st.container(border=True):
            st.markdown(":material/link_off: **Part of the link was ignored**")
            st.text("\n".join(notes))
