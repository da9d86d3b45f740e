"""Six visitors at once on two run slots (scripts/load_test.py): the cap holds, the line drains and
no session sees another's state.

The script starts its own server (GAN_LAB_MAX_RUNS=2) and its own Chromium, so this test uses no
fixture.  It asserts the functional checks only; the timings and memory it measures depend on the
machine and are printed (run with -s) and kept in artifacts/load-test.json.
"""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

SESSIONS, MAX_RUNS = 6, 2


def test_six_sessions_share_the_server_fairly():
    out = ROOT / "artifacts" / "load-test.json"
    out.unlink(missing_ok=True)
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "load_test.py"), "--sessions", str(SESSIONS),
         "--max-runs", str(MAX_RUNS), "--train-s", "3", "--step-timeout", "120", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=420,
    )
    print(completed.stdout[-4000:])
    assert out.is_file(), f"no results written (exit {completed.returncode}):\n{completed.stderr[-3000:]}"
    result = json.loads(out.read_text())
    records = result["sessions_detail"]
    assert len(records) == SESSIONS
    assert [r["error"] for r in records if r["error"]] == []
    failed = [name for name, ok in result["checks"].items() if not ok]
    assert failed == [], failed
    # The same facts, read from the sessions themselves rather than the script's verdict.
    trained = [r for r in records if r["outcome"] == "trained"]
    refused = [r for r in records if r["outcome"] == "refused"]
    assert len(trained) == MAX_RUNS and len(refused) == SESSIONS - MAX_RUNS
    assert all(r["steps"]["paused"] > 0 for r in trained)
    assert all(r["steps"]["after_notice"] == 0 for r in refused)  # nobody sees another visitor's run
    assert all(r["started_from_line"] and r["steps"]["after_others_paused"] > 0 for r in refused)  # the line drains
    assert all(r["dcgan_grid"] for r in records)
    assert completed.returncode == 0, completed.stdout[-2000:]


def test_the_load_clients_browser_check_times_a_first_run_and_a_slider_change(server_url):
    """scripts/load_ws.py --browser-check --change: one visit by the client, one by Chromium, each
    loading a lesson and then moving its slider; both sides' times come back (Chromium's from its
    own websocket frames: the change's rerun_script frame to its script_finished frame)."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "load_ws.py"), "--url", server_url, "--browser-check", "--change",
         "--visitors", "1", "--page", "/gan-objective?theta=0.5", "--timeout-s", "60"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout)
    for key in ("client_s", "browser_open_to_finished_s", "client_change_s", "browser_change_s",
                "browser_change_first_frame_s"):
        assert len(result[key]) == 1 and 0 < result[key][0] < 60, (key, result[key])
    assert result["browser_rerun_to_finished_s"][0] <= result["browser_open_to_finished_s"][0]
    assert result["change_difference_ms"] == round(1000 * (result["client_change_s"][0] - result["browser_change_s"][0]), 1)
    # The trace of Chromium's page: its main thread was busy for part of the change's interval, never more.
    busy = result["browser_change_main_busy_s"][0]
    assert 0 < busy <= result["browser_change_s"][0] + 1e-6
