"""scripts/load_lab_queue.py: visitors press the lab's Start on a server whose run cap is full."""
from __future__ import annotations

import sys
from pathlib import Path

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import load_lab_queue  # noqa: E402
from local_app import LocalApp  # noqa: E402
from test_load_ws import _arun  # noqa: E402


def test_overlap_counts_runs_training_at_once():
    visits = [{"starts": [0.1], "stops": [5.0]}, {"starts": [0.2], "stops": [3.0]},
              {"starts": [3.0], "stops": []}, {"starts": [5.0], "stops": [9.0]}, {"starts": [], "stops": []}]
    assert load_lab_queue.overlap(visits) == 2          # a stop and a start at the same moment do not add up
    visits[2]["starts"] = [2.9]
    assert load_lab_queue.overlap(visits) == 3


def _msg(**fields) -> ForwardMsg:
    msg = ForwardMsg()
    for name, value in fields.items():
        if name == "fragment_ids":
            msg.metadata.run.fragment_ids.extend(value)
            msg.new_session.name = "app"
        elif name == "auto_rerun":
            msg.auto_rerun.fragment_id, msg.auto_rerun.interval = value
        elif name == "stop_auto_rerun":
            msg.stop_auto_rerun.fragment_ids.extend(value)
        elif name == "new_session":
            msg.new_session.name = "app"
    return msg


def test_fragment_timers_survive_the_fragments_own_runs():
    """As Streamlit's front end does: a fragment's run starts with new_session too (its metadata
    names the fragment), and must not clear the timers; a run of the whole page does."""
    timers = {}
    load_lab_queue.track_timers(timers, _msg(auto_rerun=("live", 0.25)), now=10.0)
    load_lab_queue.track_timers(timers, _msg(auto_rerun=("line", 1.0)), now=10.5)
    assert timers == {"live": (0.25, 10.25), "line": (1.0, 11.5)}
    load_lab_queue.track_timers(timers, _msg(fragment_ids=["live"]), now=11.0)
    assert set(timers) == {"live", "line"}
    load_lab_queue.track_timers(timers, _msg(stop_auto_rerun=["line"]), now=11.2)
    assert set(timers) == {"live"}
    load_lab_queue.track_timers(timers, _msg(new_session=True), now=12.0)
    assert timers == {}


def test_three_visitors_one_slot_each_run_starts_once_in_line_order():
    """A real server with a cap of one run: three visitors press Start together; one trains, two
    wait with their places shown, and each waiting run starts by itself when the slot frees (the
    timer-driven fragment reruns carry the live loop and the line's poll), once, in line order."""
    with LocalApp(env={"GAN_NO_PRELOAD": "1", "GAN_LAB_MAX_RUNS": "1", "GAN_LAB_MAX_STEPS": "200"}) as app:
        args = load_lab_queue.parse_args(["--url", app.url, "--visitors", "3", "--watch-s", "75",
                                          "--linger-s", "1.5", "--timeout-s", "60"])
        result = _arun(load_lab_queue.run(args))
    assert result["errors"] == []
    assert result["started_once"] == 3 and result["started_twice_or_more"] == 0
    assert result["max_overlapping_runs"] == 1
    visits = sorted(result["visits"], key=lambda v: v["starts"][0])
    assert [v["places"][:1] for v in visits] == [[], [1], [2]]
    assert visits[2]["places"] == [2, 1]                 # moved up when the first run ended
    for before, after in zip(visits, visits[1:]):
        assert before["last_step"] == 200                # each run reached the cap ...
        assert after["starts"][0] >= before["stops"][0]  # ... and only then did the next one start
    assert visits[2]["last_step"] == 200
