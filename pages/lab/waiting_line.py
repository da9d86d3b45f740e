"""Waiting instead of refusal: when the server trains its limit of runs, Start puts the visitor in
line (gan_core.lab.run_registry's first-come-first-served line), says their place, and starts
their run by itself when a slot frees; "Leave the line" steps out.

Two hooks in the run bar (pages/lab/controls.py): :func:`join` where Start finds the server full,
and :func:`panel` under the bar.  The panel is a fragment that asks the registry every
``POLL_S`` seconds (which also keeps the place: a tab closed while waiting drops out of line
after the registry's stale time); the registry hands the slot over atomically, so a run starts
once however many reruns overlap.
"""
from __future__ import annotations

import streamlit as st

from gan_core.lab import run_registry

ss = st.session_state
#: How often a waiting page asks whether its turn has come (well under the registry's stale time).
POLL_S = 1.0


def message(place: int, max_runs: int) -> str:
    ahead = "nobody is ahead of you" if place == 1 else f"{place - 1} visitor{'s' if place > 2 else ''} ahead of you"
    return (f"The server is training its limit of {max_runs} runs for other visitors. You are number {place} "
            f"in line ({ahead}): your run starts by itself as soon as a slot frees. Leave the line to try again "
            "later — single steps still work meanwhile.")


def join(run) -> bool:
    """Start ``run`` if a slot is due to this visitor, else take a place in line.  True if it started."""
    place = run_registry.REGISTRY.request(ss["lab_id"])
    if place == 0:
        ss.pop("lab_notice", None)
        run.start()
        return True
    ss.pop("lab_notice", None)
    return False


def leave() -> None:
    run_registry.REGISTRY.leave(ss["lab_id"])


def _poll(current_run) -> None:
    registry = run_registry.REGISTRY
    if registry.place(ss["lab_id"]) is None:
        return
    place = registry.request(ss["lab_id"])
    if place == 0:
        run = current_run()
        if run is not None and not run.running and run.can_train:
            run.start()
        else:
            registry.release(ss["lab_id"])
        st.rerun()  # the whole page: Pause instead of Start, the live charts' timer
    st.warning(message(place, registry.max_runs), icon=":material/hourglass_top:")
    st.button("Leave the line", key="lab_leave_line", on_click=leave, icon=":material/logout:")


def panel(current_run) -> None:
    """The visitor's place in line, asked again every ``POLL_S`` s; nothing when not waiting.

    ``current_run``: the page's function that returns the session's run (built if needed)."""
    if run_registry.REGISTRY.place(ss["lab_id"]) is None:
        return
    st.fragment(run_every=POLL_S)(_poll)(current_run)
