"""The lab's "Save or load this run" panel: download the run as one file, upload it later to go on.

The file format and every check live in :mod:`gan_core.lab.archive`; this module only draws the
widgets.  Preparing the file pauses the run (so the file holds one consistent moment); a file
that cannot be loaded gets one message and the current run is left untouched.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from gan_core.lab import archive
from pages.lab import controls
from pages.ui.chrome import show_error

ss = st.session_state


def upload_limit_bytes() -> int:
    """The server's upload limit (``server.maxUploadSize``, MiB): the file is made to fit it (its
    timeline thinned if need be), so that a run downloaded here can be uploaded here again."""
    return min(int(st.get_option("server.maxUploadSize")) * 2**20, archive.MAX_ARCHIVE_BYTES)


def plain(text: str) -> str:
    """``text`` with every Markdown, LaTeX, HTML and icon character escaped: a message may quote a
    setting from the file (e.g. an unknown loss name), which must show as typed, never as a link or image."""
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|$~:" else c for c in str(text))


def _prepare(run) -> None:
    if run.running:
        controls.stop_run()
    ss["lab_archive"] = (id(run), run.step, run.d_step, archive.save(run, max_bytes=upload_limit_bytes()))


def _load(data: bytes) -> str | None:
    """Replace the run by the saved one; returns an error sentence, or None when it worked."""
    try:
        new = archive.restore(archive.load(data), background=True)
    except archive.ArchiveError as exc:
        return str(exc)
    controls.stop_run()
    ss["lab_run"] = new
    ss["lab_run_sig"] = ("uploaded", hashlib.sha256(data).hexdigest())
    ss.pop("lab_archive", None)
    return None


def panel() -> None:
    """The expander with the download and the upload."""
    run = ss.get("lab_run")
    with st.expander("Save or load this run", icon=":material/save:"):
        st.caption("One file holds the settings, the dataset (your own points too), every network's weights and "
                   "optimiser state, the metrics and the timeline. Load it here later, or on another machine, to "
                   "replay the timeline or go on training exactly where it stopped.")
        if run is not None:
            ready = ss.get("lab_archive")
            if ready is not None and ready[:3] == (id(run), run.step, run.d_step):  # this run, as it is now
                st.download_button(f"Download the run at step {run.step}", ready[3], key="lab_download",
                                   file_name=f"gan-lab-step{run.step}.safetensors", mime="application/octet-stream")
            else:
                st.button("Prepare the file (pauses the run)", key="lab_prepare", on_click=_prepare, args=(run,))
        up = st.file_uploader("Load a saved run (.safetensors)", key="lab_upload_run")
        if up is not None:
            data = up.getvalue()
            digest = hashlib.sha256(data).hexdigest()
            seen = ss.get("lab_upload_seen")
            if seen is None or seen[0] != digest:  # each file is read once (Reset must not bring it back)
                ss["lab_upload_seen"] = (digest, _load(data))
                if ss["lab_upload_seen"][1] is None:
                    st.rerun()  # draw the whole page with the loaded run
            problem = ss["lab_upload_seen"][1]
            if problem is not None:
                show_error(f"This file cannot be loaded: {plain(problem)} Your current run is unchanged.")
            elif ss.get("lab_run_sig") == ("uploaded", digest):
                st.success(f"Loaded {plain(', '.join(run.labels))} on {plain(run.mixture.name)}, seed {run.seed}, "
                           f"at step {run.step} ({len(run.frames)} timeline frames). It keeps its saved settings "
                           "(the widgets above show yours, for the next Reset): press Train to go on, or replay the "
                           "timeline.", icon=":material/check:")
