"""The background-training protocol of the lessons that train a small network while the page stays
responsive (f-divergences, Wasserstein)."""
from __future__ import annotations

import time

import streamlit as st
from streamlit.errors import StreamlitAPIException


# ------------------------------------------------------------------ live training state
# A page that trains a small network in a background thread keeps four session keys under one
# prefix: <prefix>_thread, <prefix>_trainer, <prefix>_setup (the settings it trains for) and
# <prefix>_running.  The thread never calls Streamlit; a fragment polls it.
def _clear_training(prefix: str, setup=None, running: bool = False) -> None:
    old = st.session_state.get(f"{prefix}_thread")
    if old is not None:
        old.cancel()
    st.session_state[f"{prefix}_thread"] = None
    st.session_state[f"{prefix}_trainer"] = None
    st.session_state[f"{prefix}_setup"] = setup
    st.session_state[f"{prefix}_running"] = running


def start_training(prefix: str, setup) -> None:
    """Button callback: only flags here; the fragment builds the network (and imports torch)."""
    _clear_training(prefix, setup, running=True)


def training_state(prefix: str, setup, changed_message: str) -> bool:
    """Drop a run made for other settings (saying so); return whether a run is in progress."""
    if st.session_state.get(f"{prefix}_setup") not in (None, setup):
        _clear_training(prefix)
        st.info(changed_message)
    return bool(st.session_state.get(f"{prefix}_running"))


def poll_again(seconds: float = 0.5) -> None:
    """Look at the training thread again shortly by rerunning only this fragment.

    During a full-page run Streamlit refuses a fragment-scoped rerun; the fragment's
    ``run_every`` timer (set whenever a full run sees training in progress) polls instead.
    """
    time.sleep(seconds)
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        pass
