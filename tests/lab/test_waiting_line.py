"""The lab's waiting line on the page (issue 17 item 6): Start on a full server gives a place in
line, the run starts by itself once (when the slot is due), and a visitor can leave the line."""
import pytest

from apptest_helpers import assert_clean, open_page
from gan_core.lab import run_registry
from pages.lab import waiting_line

PAGE = "pages/gan_lab.py"


@pytest.fixture
def full_server():
    """A registry of one slot, held by another visitor, for the test's duration (no slot goes stale
    while the page loads: the other visitors here do not send heartbeats)."""
    saved = run_registry.REGISTRY
    run_registry.REGISTRY = run_registry.RunRegistry(max_runs=1, stale_after_s=3600)
    run_registry.REGISTRY.request("somebody-else")
    try:
        yield run_registry.REGISTRY
    finally:
        run_registry.REGISTRY = saved


def _warnings(at):
    return " ".join(w.value for w in at.warning)


def test_the_message_counts_the_visitors_ahead():
    assert "number 1 in line (nobody is ahead of you)" in waiting_line.message(1, 4)
    assert "number 2 in line (1 visitor ahead of you)" in waiting_line.message(2, 4)
    assert "number 5 in line (4 visitors ahead of you)" in waiting_line.message(5, 4)
    assert "limit of 4 runs" in waiting_line.message(1, 4)


def test_start_on_a_full_server_waits_in_line_and_starts_once_when_the_slot_frees(full_server):
    lab = open_page(PAGE, timeout=180)
    full_server.request("second-visitor")                 # someone pressed Start before us
    lab.button(key="lab_play").click().run()
    me = lab.session_state["lab_id"]
    run = lab.session_state["lab_run"]
    assert not run.running and full_server.place(me) == 2
    assert "number 2 in line" in _warnings(lab)
    full_server.release("somebody-else")                  # the slot is the second visitor's, not ours
    lab.run()
    assert not run.running and full_server.place(me) == 2
    full_server.leave("second-visitor")                   # they left: we are next, and the slot is free
    lab.run()                                             # the page's next poll (a full rerun here)
    assert run.running and full_server.holds(me) and full_server.place(me) is None
    assert "in line" not in _warnings(lab)
    starts = []
    original = run.start
    run.start = lambda: starts.append(1) or original()
    lab.run()
    lab.run()
    assert starts == []                                   # later reruns do not start it again
    assert full_server.active() == 1
    lab.button(key="lab_play").click().run()              # Pause gives the slot back
    assert not run.running and full_server.active() == 0
    assert_clean(lab)


def test_leave_the_line(full_server):
    lab = open_page(PAGE, timeout=180)
    lab.button(key="lab_play").click().run()
    me = lab.session_state["lab_id"]
    assert full_server.place(me) == 1
    lab.button(key="lab_leave_line").click().run()
    assert full_server.place(me) is None and "in line" not in _warnings(lab)
    full_server.release("somebody-else")
    lab.run()
    assert not lab.session_state["lab_run"].running      # having left, it does not start by itself
    assert_clean(lab)
