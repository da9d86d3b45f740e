"""scripts/load_ws.py: the websocket load client, its arithmetic, and five visitors on a real server."""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import load_ws  # noqa: E402
from local_app import LocalApp  # noqa: E402
from streamlit.proto.Slider_pb2 import Slider  # noqa: E402


def _arun(coro):
    """``asyncio.run`` in a thread of its own: a pytest-xdist worker that ran a browser test file
    first still has Playwright's event loop running in its main thread, where asyncio.run refuses."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.mark.parametrize("q", [50, 95, 100])
def test_percentile_is_numpys_nearest_rank(q):
    values = list(np.random.default_rng(3).uniform(0, 10, size=37))
    assert load_ws.percentile(values, q) == np.percentile(values, q, method="inverted_cdf")
    assert load_ws.percentile([], q) is None


def test_arrivals_span_and_order():
    uniform = load_ws.arrivals("uniform", 5, 60, 0)
    assert uniform == [0, 15, 30, 45, 60]
    poisson = load_ws.arrivals("poisson", 100, 60, 1)
    assert poisson[0] == 0 and math.isclose(poisson[-1], 60) and poisson == sorted(poisson)
    assert len(set(poisson)) == 100
    assert load_ws.arrivals("burst", 4, 60, 0) == [0.0] * 4


def test_split_page():
    assert load_ws.split_page("/gan-objective?theta=0.5&x=1") == ("gan-objective", "theta=0.5&x=1")
    assert load_ws.split_page("/") == ("", "")


def _slider(widget_id, value, lo=-2.0, hi=2.0, step=0.01):
    proto = Slider(id=widget_id, min=lo, max=hi, step=step)
    proto.default.append(value)
    return ("slider", proto)


def test_changed_state_moves_first_slider_a_quarter_within_range():
    widgets = {"$$ID-a-theta": _slider("$$ID-a-theta", 1.5), "$$ID-b-other": _slider("$$ID-b-other", 0.0)}
    widget_id, state = load_ws.changed_state(widgets, None)
    assert widget_id == "$$ID-a-theta"
    assert list(state.double_array_value.data) == [pytest.approx(0.5)]  # 1.5 + 1 > 2, so 1.5 - 1
    widget_id, state = load_ws.changed_state(widgets, "other=0.25")
    assert widget_id == "$$ID-b-other" and list(state.double_array_value.data) == [0.25]
    assert load_ws.changed_state(widgets, "missing=1") is None
    widgets = {"$$ID-a-theta": _slider("$$ID-a-theta", 1.0)}
    assert list(load_ws.changed_state(widgets, None)[1].double_array_value.data) == [2.0]


def test_a_select_slider_is_changed_by_its_label():
    """Streamlit 1.67 reads a select_slider's value as its option's label (a string array): a number
    there crashed the server's widget registration (TypeError: must be real number, not str)."""
    proto = Slider(id="$$ID-c-speed", type=Slider.SELECT_SLIDER, min=0, max=3, step=1)
    proto.options.extend(["slow", "medium", "fast", "full"])
    proto.default.append(1)
    widget_id, state = load_ws.changed_state({"$$ID-c-speed": ("slider", proto)}, None)
    assert state.WhichOneof("value") == "string_array_value" and list(state.string_array_value.data) == ["fast"]
    widget_id, state = load_ws.changed_state({"$$ID-c-speed": ("slider", proto)}, "speed=full")
    assert list(state.string_array_value.data) == ["full"]


def test_sample_counts_this_process():
    now = load_ws.sample([os.getpid()])
    assert now["rss_kb"] > 10_000 and now["cpu_s"] > 0
    assert load_ws.sample(None) is None


def test_cli_refuses_unbounded_or_foreign_arguments():
    with pytest.raises(SystemExit):
        load_ws.parse_args(["--visitors", str(load_ws.MAX_VISITORS + 1)])
    with pytest.raises(SystemExit):
        load_ws.parse_args(["--url", "ftp://example.org"])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    wire_log = tmp_path_factory.mktemp("wire") / "wire.log"
    with LocalApp(env={"GAN_NO_PRELOAD": "1", "GAN_WIRE_LOG": str(wire_log)}) as app:
        app.wire_log = wire_log
        yield app


def _run(server, *argv):
    args = load_ws.parse_args(["--url", server.url, *argv])
    return _arun(load_ws.run_load(args))


def test_five_visitors_load_and_change_a_widget(server):
    result = _run(server, "--visitors", "5", "--arrival-s", "2", "--page", "/gan-objective?theta=0.5",
                  "--change", "--think-s", "0.2", "--timeout-s", "45", "--per-visit")
    page = result["pages"]["/gan-objective?theta=0.5"]
    assert page["errors"] == 0, page["error_messages"]
    assert page["finished_runs"] == 10
    assert 0 < page["first_p50_s"] <= page["first_p95_s"] <= page["first_max_s"] < 45
    for visit in result["visits"]:
        assert visit["elements"] > 20          # the lesson's text, figures and widgets arrived
        assert visit["widget"].startswith("$$ID-")
        assert visit["widget_redrawn"]        # the change reran the same page (its slider came back)
    assert result["server"]["pids"] == [server.process.pid]
    assert result["server"]["cpu_s"] > 0 and result["server"]["rss_mb_peak"] > 100


def test_the_wire_log_times_the_servers_part_of_a_visit(server):
    """GAN_WIRE_LOG (scripts/serve.py) logs when a session opened and when its first finished run
    was queued; that interval lies inside the visit the client timed, and one line pair per visit."""
    before = len(load_ws.read_wire_log(server.wire_log))
    result = _run(server, "--visitors", "2", "--arrival-s", "0.5", "--page", "/entropy", "--timeout-s", "45",
                  "--per-visit")
    sessions = load_ws.read_wire_log(server.wire_log)[before:]
    assert len(sessions) == 2
    runs = sorted(s["finished"] - s["open"] for s in sessions)
    firsts = sorted(v["first_s"] for v in result["visits"])
    for run, first in zip(runs, firsts):
        assert 0 < run <= first + 0.005     # the client opened before the server accepted, and read after


def test_the_wire_log_logs_a_changes_run_too(server):
    """A widget change's run is logged as the session's second finished run, after its first."""
    before = len(load_ws.read_wire_log(server.wire_log))
    result = _run(server, "--visitors", "1", "--page", "/gan-objective?theta=0.5", "--change", "--think-s", "0.2",
                  "--timeout-s", "45", "--per-visit")
    (session,) = load_ws.read_wire_log(server.wire_log)[before:]
    assert len(session["runs"]) == 2 and session["runs"][0] == session["finished"] < session["runs"][1]
    visit = result["visits"][0]
    # The change was sent after the first run had finished, and its run took change_s.
    assert session["runs"][1] - session["finished"] >= visit["change_s"] - 0.005


def test_the_wire_log_starts_a_new_session_at_every_open(tmp_path):
    log = tmp_path / "wire.log"
    log.write_text("a open 10.0\na finished 10.5\nb open 11.0\na open 12.0\na finished 12.25\na finished 13.0\n")
    assert load_ws.read_wire_log(log) == [{"open": 10.0, "finished": 10.5, "runs": [10.5]}, {"open": 11.0},
                                          {"open": 12.0, "finished": 12.25, "runs": [12.25, 13.0]}]


def test_renderer_busy_time_is_the_union_of_the_page_threads_tasks_in_the_window():
    """renderer_busy_s: the page's renderer main thread (the one that took websocket frames) only,
    nested tasks counted once, tasks cut at the window's edges; timestamps in microseconds."""
    meta = lambda pid, tid, name: {"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,  # noqa: E731
                                   "args": {"name": name}}
    task = lambda pid, ts, dur: {"name": "RunTask", "ph": "X", "pid": pid, "tid": pid, "ts": ts, "dur": dur}  # noqa: E731
    trace = {"traceEvents": [
        meta(1, 1, "CrRendererMain"), meta(2, 2, "CrRendererMain"), meta(3, 3, "CrBrowserMain"),
        {"name": "WebSocketReceive", "ph": "I", "pid": 1, "tid": 1, "ts": 1_000_100},
        task(1, 900_000, 200_000),      # 1.0-1.1 s inside the window
        task(1, 1_050_000, 10_000),     # nested in the first: not counted again
        task(1, 1_150_000, 50_000),     # 1.15-1.2 s
        task(1, 1_450_000, 100_000),    # cut at 1.5 s: 0.05 s
        task(2, 1_000_000, 400_000),    # another renderer (another tab): ignored
        task(3, 1_000_000, 400_000),    # the browser process: ignored
    ]}
    assert load_ws.renderer_busy_s(trace, 1.0, 1.5) == pytest.approx(0.1 + 0.05 + 0.05)
    assert load_ws.renderer_busy_s(json.dumps(trace).encode(), 1.6, 2.0) == 0.0


def test_exceptions_and_missing_pages_are_errors(server):
    result = _run(server, "--visitors", "1", "--page", "/no-such-page", "--timeout-s", "30")
    page = result["pages"]["/no-such-page"]
    assert page["errors"] == 1 and "page not found: no-such-page" in page["error_messages"][0]


class _FakeSocket:
    """Hands out prepared ForwardMsgs and keeps what the client sends."""

    def __init__(self, messages):
        self.messages, self.sent = [m.SerializeToString() for m in messages], []

    async def recv(self):
        return self.messages.pop(0)

    async def send(self, data):
        self.sent.append(data)


def test_session_reads_exceptions_and_skips_runs_cut_short():
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    new = ForwardMsg()
    new.new_session.page_script_hash = "main-script-hash"
    nav = ForwardMsg()
    nav.navigation.page_script_hash = "abc123"               # the page the run resolved to
    failed = ForwardMsg()
    failed.delta.new_element.exception.type = "ValueError"
    failed.delta.new_element.exception.message = "boom"
    early = ForwardMsg(script_finished=ForwardMsg.FINISHED_EARLY_FOR_RERUN)
    text = ForwardMsg()
    text.delta.new_element.markdown.body = "hello"
    done = ForwardMsg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY)
    ws = _FakeSocket([new, nav, failed, early, text, done])
    session = load_ws.Session(ws, "/wasserstein?x=1")
    _arun(session.rerun())
    _arun(session.until_finished(5))
    assert ws.messages == []                        # read past the early finish to the real one
    assert session.exceptions == ["ValueError: boom"] and session.elements == 2
    assert session.page_script_hash == "abc123"
    first = BackMsg.FromString(ws.sent[0]).rerun_script
    assert (first.page_name, first.query_string, first.page_script_hash) == ("wasserstein", "x=1", "")
    _arun(session.rerun())                    # later reruns name the page by its hash
    again = BackMsg.FromString(ws.sent[1]).rerun_script
    assert (again.page_name, again.page_script_hash) == ("", "abc123")


def test_the_server_imports_pandas_and_pil_before_it_takes_visitors():
    """plotly peeks at sys.modules for pandas without the import lock: a module half imported by
    one visitor's thread broke another visitor's figure (34 errors, 20 visitors on a fresh DCGAN
    page).  scripts/serve.py imports both in its main thread before the server starts."""
    import subprocess

    out = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "scripts" / "serve.py"), "--help"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "GAN_NO_PRELOAD"})
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert {"torch", "pandas", "PIL.Image"} <= imported


class _DroppingSocket(_FakeSocket):
    """A socket that is closed at once (its replica died) or never (a live one)."""

    def __init__(self, messages, dropped: bool):
        super().__init__(messages)
        self.dropped, self.closed = dropped, False
        self.response = None

    async def wait_closed(self):
        if not self.dropped:
            await asyncio.Event().wait()

    async def close(self):
        self.closed = True


def test_a_dropped_visitor_reconnects_and_reruns_its_page(monkeypatch):
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    done = ForwardMsg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY)
    attempts = []
    fresh = _DroppingSocket([done], dropped=False)

    async def fake_connect(url, **kwargs):
        attempts.append(url)
        if len(attempts) == 1:
            raise ConnectionRefusedError("the proxy has no live replica yet")
        return fresh

    monkeypatch.setattr(load_ws, "connect", fake_connect)
    args = load_ws.parse_args(["--reconnect", "--timeout-s", "10"])
    record = load_ws.Visit(0, "/gan-objective?theta=0.5", 0.0)

    async def scenario():
        hold = asyncio.Event()
        task = asyncio.create_task(load_ws.stay(args, "ws://x/_stcore/stream", _DroppingSocket([], dropped=True),
                                                record.page, record, hold))
        for _ in range(200):
            if record.reconnect_s:
                break
            await asyncio.sleep(0.01)
        hold.set()
        await asyncio.wait_for(task, 5)

    _arun(scenario())
    assert len(attempts) == 2 and len(record.reconnect_s) == 1   # refused once, then a live replica
    assert 0.5 <= record.reconnect_s[0] < 5                       # waited 0.5 s between attempts
    rerun = BackMsg.FromString(fresh.sent[0]).rerun_script
    assert (rerun.page_name, rerun.query_string) == ("gan-objective", "theta=0.5")  # the page, from its URL
    assert fresh.closed


def test_a_visitor_whose_replica_lives_does_not_reconnect(monkeypatch):
    monkeypatch.setattr(load_ws, "connect", lambda *a, **k: pytest.fail("reconnected"))
    args = load_ws.parse_args(["--reconnect"])
    record = load_ws.Visit(0, "/wasserstein", 0.0)

    async def scenario():
        hold = asyncio.Event()
        task = asyncio.create_task(load_ws.stay(args, "ws://x", _DroppingSocket([], dropped=False), record.page,
                                                record, hold))
        await asyncio.sleep(0.1)
        hold.set()
        await asyncio.wait_for(task, 5)

    _arun(scenario())
    assert record.reconnect_s == []
