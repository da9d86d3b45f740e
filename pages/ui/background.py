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


# ------------------------------------------------------------- the panel, written once
def training_panel(prefix: str, setup, *, button_label: str, changed_message: str, build, show, idle,
                   building: str = "Building the network…") -> None:
    """A Train button and the live view of a background training, in a fragment polling every 0.7 s.

    ``build()`` makes the trainer (in the script thread: that is where torch is first imported);
    a :class:`gan_core.lessons.critic1d.TrainingThread` then advances it while the fragment only
    looks.  ``idle()`` draws the panel before any training for these settings, ``show(trainer)``
    its view during and after one (figures best drawn only once ``trainer.done``: redrawing them
    at every poll starved the training thread on a busy machine).  Session keys: those of
    :func:`start_training`, under ``prefix``; the button's key is ``<prefix>_train``.
    """
    from pages.ui.chrome import show_error

    running = training_state(prefix, setup, changed_message)

    @st.fragment(run_every=0.7 if running else None)
    def panel():
        # Inside the fragment: a click reruns only this panel, not the whole page.
        st.button(button_label, on_click=start_training, args=(prefix, setup), key=f"{prefix}_train",
                  icon=":material/play_arrow:", type="primary")
        if st.session_state.get(f"{prefix}_setup") != setup:
            idle()
            return
        trainer, worker = _trainer_and_thread(prefix, build, building)
        if worker is not None and worker.error:
            show_error(f"Training stopped: {worker.error}. Try other settings.")
        seconds = f" — {worker.seconds:.1f} s" if worker is not None else ""
        st.progress(trainer.progress, text=f"step {trainer.step_count} of {trainer.total_steps}{seconds}")
        show(trainer)
        if trainer.done and st.session_state.get(f"{prefix}_running"):
            st.session_state[f"{prefix}_running"] = False
            if running:
                st.rerun()  # the timer was set by a full-page run; another one switches it off
        elif not trainer.done and not (worker is not None and worker.error):
            poll_again()

    panel()


def _trainer_and_thread(prefix: str, build, building: str):
    """The session's trainer and its thread, both made at the first look after Train was pressed."""
    from gan_core.lessons.critic1d import TrainingThread

    trainer = st.session_state.get(f"{prefix}_trainer")
    if trainer is None:
        with st.spinner(building):
            trainer = build()
        st.session_state[f"{prefix}_trainer"] = trainer
        # training proceeds in its own thread; the fragment only looks at it every 0.7 s
        st.session_state[f"{prefix}_thread"] = TrainingThread(trainer)
    return trainer, st.session_state.get(f"{prefix}_thread")
