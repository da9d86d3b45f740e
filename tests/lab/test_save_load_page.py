"""The lab page's "Save or load this run" panel under AppTest (issue 20 item 16): the prepared
download holds the run, uploading it restores the run, and a bad file gets one message while the
current run and the rest of the page stay as they were."""
from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from gan_core.lab.config import lab_defaults
from gan_core.lab.session import LabSession
from pages.lab.save_load import plain, upload_limit_bytes

from apptest_helpers import assert_clean
from test_lab_links import PAGE_FILE


def tiny_run(steps):
    cfg = lab_defaults("wgan-gp", g_depth=1, g_width=8, d_depth=1, d_width=8, batch_size=32, eval_samples=200)
    s = LabSession([cfg], ["wgan-gp"], "ring8", seed=2, device="cpu", max_steps=100)
    for _ in range(steps):
        s.step_both()
    return s


def g_weights(run):
    return run.lock.engines[0].G.flat.detach().numpy().copy()


def errors(at):
    return [e.value for e in at.error]


def test_download_then_upload_restores_the_run_and_a_bad_file_changes_nothing():
    at = AppTest.from_file(PAGE_FILE, default_timeout=180)
    at.run()
    run = tiny_run(5)
    at.session_state["lab_run"], at.session_state["lab_run_sig"] = run, "a test run"
    at.run()
    at.button(key="lab_prepare").click().run()
    assert_clean(at)
    assert at.download_button(key="lab_download").label == "Download the run at step 5"
    data = at.session_state["lab_archive"][-1]  # the bytes the download button serves
    assert len(data) <= upload_limit_bytes()  # what is downloaded here can be uploaded here
    from_file = LabSession.from_archive(data)
    assert from_file.step == 5
    np.testing.assert_array_equal(g_weights(from_file), g_weights(run))

    at.session_state["lab_run"] = tiny_run(5)  # another run at the same step: the old file is not offered for it
    at.run()
    assert "lab_download" not in [b.key for b in at.download_button] and at.button(key="lab_prepare")
    at.button(key="lab_reset").click().run()  # start over: the page builds a fresh run at step 0
    assert at.session_state["lab_run"].step == 0
    at.file_uploader(key="lab_upload_run").set_value(("run.safetensors", data, "application/octet-stream")).run()
    assert_clean(at)
    loaded = at.session_state["lab_run"]
    assert loaded.step == 5 and len(loaded.frames) == len(run.frames)
    np.testing.assert_array_equal(g_weights(loaded), g_weights(run))
    assert any("at step 5" in s.value for s in at.success)

    at.file_uploader(key="lab_upload_run").set_value(("run.safetensors", data[:100], "application/octet-stream")).run()
    assert not at.exception
    assert any("cannot be loaded" in e and "cut off" in e and "unchanged" in e for e in errors(at)), errors(at)
    assert at.session_state["lab_run"] is loaded  # nothing lost
    at.button(key="lab_step_both").click().run()  # the page still trains
    assert_clean(at)
    assert at.session_state["lab_run"].step == 6


def test_messages_quoting_the_file_are_shown_as_plain_text():
    shown = plain("unknown loss '[log in](http://evil.example)' ![x](http://t.example/b.png) $x$ :red[a]")
    for raw in ("[log in](", "![x](", "$x$", ":red["):
        assert raw not in shown
