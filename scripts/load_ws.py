"""Many visitors without browsers: simulated Streamlit sessions over the app's own websocket.

    python scripts/load_ws.py --url http://127.0.0.1:8501 --visitors 100 --arrival-s 60 \\
        --page "/gan-objective?theta=0.5" --change --think-s 2 --json

Each simulated visitor does what a browser tab does on the wire, and nothing else (no
HTML, JavaScript or drawing): it opens ``/_stcore/stream`` (Streamlit 1.67's websocket,
subprotocol ``streamlit``), sends a ``rerun_script`` BackMsg carrying the page's name
(its URL path) and query string, and reads ForwardMsgs until ``script_finished``.  With
``--change`` it then waits the think time, moves the page's first slider (or the widget
``--widget KEY=VALUE`` names) by sending the new widget state in another ``rerun_script``,
and waits for that run to finish too.  Messages are the protobufs inside the installed
streamlit package (streamlit.proto), so the client follows the server it is run with.

Recorded per visitor: the time from opening the websocket to the first ``script_finished``
(what a browser's page load waits for once its JavaScript is loaded), the time from the
widget change to its ``script_finished``, and every exception the server delivered
(``Exception`` elements) or a connection failure / timeout.  ``--json`` prints per page the
p50 / p95 / max of both times, the errors, and, for the server process(es) (``--server-pid``
or found from the listening port when the URL is on this machine): CPU seconds used per
finished run and resident memory (VmRSS of the process and its descendants) before, at its
peak, and with every session still open and idle (``--hold-s``).

Bounded: at most ``MAX_VISITORS`` visitors and ``MAX_WALL_S`` seconds in all; it connects
only to the one ``--url`` given (default: loopback).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

MAX_VISITORS = 1000
MAX_WALL_S = 1800.0
FINISHED_EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN


@dataclass
class Visit:
    """What one simulated visitor saw."""
    visitor: int
    page: str
    arrival_s: float
    first_s: float | None = None
    change_s: float | None = None
    widget: str | None = None
    widget_redrawn: bool | None = None
    exceptions: list[str] = field(default_factory=list)
    error: str | None = None
    elements: int = 0
    replica: str | None = None
    reconnect_s: list[float] = field(default_factory=list)
    replica_after: str | None = None


# --- the server's processes: CPU time and resident memory, read from /proc -----------------

def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry))
    return kids


def process_tree(pids: list[int]) -> list[int]:
    """The processes and all their descendants."""
    seen, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.append(pid)
            todo.extend(_children(pid))
    return seen


def sample(pids: list[int] | None) -> dict | None:
    """``{"cpu_s", "rss_kb"}`` summed over the processes and their descendants (None without pids).

    CPU time is user + system of each live process; a child that already exited is not counted
    (the lab's training children live as long as their run)."""
    if not pids:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    cpu, rss = 0.0, 0
    for pid in process_tree(pids):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / tick
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
    return {"cpu_s": cpu, "rss_kb": rss}


class Peak:
    """Highest resident memory seen while :meth:`run` samples every ``every_s`` seconds."""

    def __init__(self, pids, every_s: float = 0.25):
        self.pids, self.every_s, self.rss_kb = pids, every_s, 0

    async def run(self) -> None:
        while True:
            now = sample(self.pids)
            if now:
                self.rss_kb = max(self.rss_kb, now["rss_kb"])
            await asyncio.sleep(self.every_s)


def pids_listening(port: int) -> list[int]:
    """Processes of this user listening on TCP ``port`` on this machine (from /proc/net/tcp*)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{entry}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                pids.append(int(entry))
                break
    return pids


def split_page(page: str) -> tuple[str, str]:
    """``"/gan-objective?theta=0.5"`` -> ``("gan-objective", "theta=0.5")``."""
    parsed = urllib.parse.urlsplit(page)
    return parsed.path.strip("/"), parsed.query


class Session:
    """One Streamlit session on an open websocket: send reruns, read until the run finishes."""

    def __init__(self, ws, page: str):
        self.ws = ws
        self.page_name, self.query = split_page(page)
        self.page_script_hash = ""
        self.widgets: dict[str, tuple[str, object]] = {}
        self.exceptions: list[str] = []
        self.elements = 0

    async def rerun(self, widget_states: list[WidgetState] | None = None) -> None:
        state = ClientState(query_string=self.query, page_script_hash=self.page_script_hash,
                            page_name="" if self.page_script_hash else self.page_name)
        for widget in widget_states or []:
            state.widget_states.widgets.append(widget)
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())

    async def until_finished(self, timeout_s: float) -> None:
        """Read ForwardMsgs until a run finishes (a run cut short by a newer rerun does not count)."""
        async with asyncio.timeout(timeout_s):
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await self.ws.recv())
                kind = msg.WhichOneof("type")
                if kind == "navigation":  # the page this run resolved to (new_session's hash is the main script's)
                    self.page_script_hash = msg.navigation.page_script_hash
                elif kind == "page_not_found":
                    self.exceptions.append(f"page not found: {msg.page_not_found.page_name or self.page_name}")
                elif kind == "delta":
                    self._read_delta(msg.delta)
                elif kind == "script_finished" and msg.script_finished != FINISHED_EARLY:
                    return

    def _read_delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        self.elements += 1
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.exceptions.append(f"{element.exception.type}: {element.exception.message}")
            return
        proto = getattr(element, kind) if kind else None
        widget_id = getattr(proto, "id", "") if proto is not None else ""
        if widget_id and kind not in ("button_group",):
            self.widgets[widget_id] = (kind, proto)


def changed_state(widgets: dict, spec: str | None) -> tuple[str, WidgetState] | None:
    """The widget state a visitor sends: ``spec`` "KEY=VALUE" names a widget by its key
    (the end of its id); without one, the first slider moves a quarter of its range."""
    for widget_id, (kind, proto) in widgets.items():
        if spec:
            key, _, value = spec.partition("=")
            if not widget_id.endswith(f"-{key}") and widget_id != key:
                continue
            state = WidgetState(id=widget_id)
            if kind == "button":
                state.trigger_value = True
            elif kind == "slider" and proto.type == Slider.SELECT_SLIDER:
                state.string_array_value.data.extend(value.split(","))
            elif kind == "slider":
                state.double_array_value.data.extend([float(v) for v in value.split(",")])
            elif kind == "checkbox":
                state.bool_value = value.lower() in ("1", "true", "yes", "on")
            elif kind in ("selectbox", "radio"):
                state.string_value = value
            elif kind == "number_input":
                state.double_value = float(value)
            else:
                continue
            return widget_id, state
        if kind == "slider" and proto.type == Slider.SELECT_SLIDER and len(proto.options) > 1:
            # Streamlit 1.67 sends a select_slider's value as the option's label (string_array_value).
            current = int((list(proto.value) or list(proto.default) or [0])[0])
            state = WidgetState(id=widget_id)
            state.string_array_value.data.append(proto.options[(current + max(1, len(proto.options) // 4))
                                                               % len(proto.options)])
            return widget_id, state
        if kind == "slider" and proto.type != Slider.SELECT_SLIDER and len(proto.value or proto.default) == 1:
            current = (list(proto.value) or list(proto.default))[0]
            span = proto.max - proto.min
            target = current + span / 4 if current + span / 4 <= proto.max else current - span / 4
            if proto.step > 0:
                target = proto.min + round((target - proto.min) / proto.step) * proto.step
            state = WidgetState(id=widget_id)
            state.double_array_value.data.append(float(target))
            return widget_id, state
    return None


async def visit(args, index: int, page: str, arrival_s: float, t_zero: float,
                rng: random.Random, hold: asyncio.Event, settled: set) -> Visit:
    """One visitor: arrive, load the page, maybe change a widget, then stay until released."""
    record = Visit(index, page, arrival_s)
    await asyncio.sleep(max(0.0, t_zero + arrival_s - time.perf_counter()))
    ws_url = args.url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    started = time.perf_counter()
    try:
        async with connect(ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=args.timeout_s,
                           ping_interval=None, close_timeout=2) as ws:
            record.replica = _replica_of(ws)
            session = Session(ws, page)
            await session.rerun()
            await session.until_finished(args.timeout_s)
            record.first_s = time.perf_counter() - started
            if args.change:
                await asyncio.sleep(args.think_s * rng.uniform(0.5, 1.5))
                change = changed_state(session.widgets, args.widget)
                if change is None:
                    record.error = "no widget to change"
                else:
                    record.widget, state = change
                    session.widgets.clear()
                    t_change = time.perf_counter()
                    await session.rerun([state])
                    await session.until_finished(args.timeout_s)
                    record.change_s = time.perf_counter() - t_change
                    record.widget_redrawn = record.widget in session.widgets  # the same page ran again
            record.exceptions = session.exceptions
            record.elements = session.elements
            settled.add(index)
            if args.reconnect:
                await stay(args, ws_url, ws, page, record, hold)
            else:
                await hold.wait()
    except TimeoutError:
        record.error = f"timeout after {args.timeout_s:g} s"
    except Exception as exc:  # noqa: BLE001 - a visitor's failure is a result, not a crash
        record.error = f"{type(exc).__name__}: {exc}"
    settled.add(index)
    return record


async def stay(args, ws_url: str, ws, page: str, record: Visit, hold: asyncio.Event) -> None:
    """Stay on the page until released.  When the connection drops first (a replica died), do
    what the page's JavaScript does: connect again (every 0.5 s until ``--timeout-s``) and rerun
    the page from its URL; the time from the drop to that run's end goes to ``reconnect_s``."""
    owned = None
    try:
        while not hold.is_set():
            closed = asyncio.ensure_future(ws.wait_closed())
            released = asyncio.ensure_future(hold.wait())
            await asyncio.wait({closed, released}, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            released.cancel()
            if hold.is_set():
                return
            dropped = time.perf_counter()
            while True:
                try:
                    ws = owned = await connect(ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                                               open_timeout=args.timeout_s, close_timeout=2)
                    break
                except Exception:  # noqa: BLE001 - refused, 502/503 from a proxy with no live replica, ...
                    if time.perf_counter() - dropped > args.timeout_s:
                        raise TimeoutError from None
                    await asyncio.sleep(0.5)
            session = Session(ws, page)
            await session.rerun()
            await session.until_finished(args.timeout_s)
            record.reconnect_s.append(round(time.perf_counter() - dropped, 3))
            record.replica_after = _replica_of(ws)
            record.exceptions += session.exceptions
    finally:
        if owned is not None:
            await owned.close()


def _replica_of(ws) -> str | None:
    """The replica a proxy put this visitor on (HAProxy's ``server`` cookie), when there is one."""
    response = getattr(ws, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for value in headers.get_all("Set-Cookie"):
        name, _, rest = value.partition("=")
        if name.strip() == "GANSRV":
            return rest.split(";")[0]
    return None


def arrivals(pattern: str, n: int, spread_s: float, seed: int) -> list[float]:
    """Arrival times in seconds: ``uniform`` (evenly spaced), ``poisson`` (random, same mean
    rate, scaled to end within ``spread_s``) or ``burst`` (all at once)."""
    if pattern == "burst" or n == 1 or spread_s <= 0:
        return [0.0] * n
    if pattern == "uniform":
        return [spread_s * i / (n - 1) for i in range(n)]
    rng = random.Random(seed)
    gaps = [rng.expovariate(1.0) for _ in range(n)]
    times = [sum(gaps[:i]) for i in range(n)]
    return [spread_s * t / times[-1] for t in times]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 100]) of the values; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(visits: list[Visit]) -> dict:
    """Per page: visitors, p50/p95/max of both times, finished runs, errors."""
    pages: dict[str, dict] = {}
    for page in dict.fromkeys(v.page for v in visits):
        mine = [v for v in visits if v.page == page]
        firsts = [v.first_s for v in mine if v.first_s is not None]
        changes = [v.change_s for v in mine if v.change_s is not None]
        errors = [f"visitor {v.visitor}: {v.error}" for v in mine if v.error]
        errors += [f"visitor {v.visitor}: {e}" for v in mine for e in v.exceptions]
        errors += [f"visitor {v.visitor}: the change's run did not draw {v.widget} again" for v in mine
                   if v.widget and v.change_s is not None and not v.widget_redrawn]
        recoveries = [t for v in mine for t in v.reconnect_s]
        pages[page] = {
            "visitors": len(mine), "finished_runs": len(firsts) + len(changes) + len(recoveries),
            "reconnected": sum(1 for v in mine if v.reconnect_s), "reconnect_p50_s": percentile(recoveries, 50),
            "reconnect_max_s": max(recoveries, default=None),
            "first_p50_s": percentile(firsts, 50), "first_p95_s": percentile(firsts, 95),
            "first_max_s": max(firsts, default=None),
            "change_p50_s": percentile(changes, 50), "change_p95_s": percentile(changes, 95),
            "change_max_s": max(changes, default=None),
            "errors": len(errors), "error_messages": errors[:10],
        }
    return pages


async def run_load(args) -> dict:
    pids = args.server_pid or pids_listening(urllib.parse.urlsplit(args.url).port or 80)
    n = min(args.visitors, MAX_VISITORS)
    times = arrivals(args.arrival, n, args.arrival_s, args.seed)
    rng = random.Random(args.seed)
    hold = asyncio.Event()
    before = sample(pids)
    peak = Peak(pids)
    t_zero = time.perf_counter() + 0.05
    settled: set = set()
    tasks = [asyncio.create_task(visit(args, i, args.page[i % len(args.page)], times[i], t_zero, rng, hold,
                                       settled)) for i in range(n)]
    sampler = asyncio.create_task(peak.run())
    bound = min(MAX_WALL_S, args.arrival_s + 2 * args.timeout_s + 3 * args.think_s + 10)
    done_at = await _wait_settled(settled, n, bound)
    wall_s = done_at - t_zero
    after = sample(pids)
    if args.hold_s > 0:
        await asyncio.sleep(args.hold_s)
    held = sample(pids)
    hold.set()
    visits = [t.result() for t in await _finish(tasks)]
    sampler.cancel()
    return report(args, visits, wall_s, before, after, held, peak.rss_kb, pids)


async def _wait_settled(settled: set, n: int, bound_s: float) -> float:
    """Wait until every visitor has finished its runs (and now idles) or failed."""
    deadline = time.perf_counter() + bound_s
    while time.perf_counter() < deadline:
        if len(settled) >= n:
            break
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def _finish(tasks):
    for task in tasks:
        if not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), 10)
            except TimeoutError:
                task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return [t for t in tasks if not t.cancelled()]


def report(args, visits, wall_s, before, after, held, peak_rss_kb, pids) -> dict:
    runs = sum((v.first_s is not None) + (v.change_s is not None) for v in visits)
    cpu = None if before is None or after is None else after["cpu_s"] - before["cpu_s"]
    per_session_kb = None
    if before is not None and held is not None and visits:
        per_session_kb = (held["rss_kb"] - before["rss_kb"]) / len(visits)
    replicas: dict[str, int] = {}
    for v in visits:
        if v.replica:
            replicas[v.replica] = replicas.get(v.replica, 0) + 1
    return {
        "url": args.url, "visitors": len(visits), "arrival": args.arrival, "arrival_s": args.arrival_s,
        "think_s": args.think_s, "change": bool(args.change), "wall_s": round(wall_s, 3),
        "finished_runs": runs, "renders_per_s": round(runs / wall_s, 3) if wall_s > 0 else None,
        "pages": summarise(visits),
        "server": {"pids": pids, "cpu_s": cpu, "cpu_s_per_render": (cpu / runs) if cpu is not None and runs else None,
                   "rss_mb_before": _mb(before), "rss_mb_peak": round(peak_rss_kb / 1024, 1) if peak_rss_kb else None,
                   "rss_mb_all_sessions_open": _mb(held),
                   "rss_kb_per_open_session": round(per_session_kb, 1) if per_session_kb is not None else None},
        "replicas": replicas or None,
        "replicas_after_reconnect": _count(v.replica_after for v in visits if v.replica_after),
        "load_average": os.getloadavg(),
        "visits": [asdict(v) for v in visits] if args.per_visit else None,
    }


def _count(names) -> dict | None:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return counts or None


def _mb(sample) -> float | None:
    return None if sample is None else round(sample["rss_kb"] / 1024, 1)


# --- the cross-check: the same page in Chromium, timed on the browser's own clock -------------

def browser_first_run_s(url: str, page: str, rounds: int, chromium: str = "/usr/bin/chromium",
                        change: bool = False) -> list[dict]:
    """Per round, Chromium's own network timestamps (DevTools protocol) for the page's websocket:
    ``open_to_finished_s`` from the handshake request to the first ``script_finished`` frame that
    is not cut short (what this client times as ``first_s``), and ``rerun_to_finished_s`` from the
    rerun_script frame the page sent to that one; ``open_wall`` and ``finished_wall`` are the first
    and last on the wall clock.  Frames are decoded here with streamlit.proto.

    ``change``: then, once the page has been idle a second (its scripts loaded and drawn), press
    the right arrow key on the page's first slider, and time ``change_rerun_to_finished_s``: from
    the rerun_script frame that change sent to the run's ``script_finished`` frame (what this
    client times as ``change_s``: the page is loaded, so the browser's own loading is out of it).
    Chromium reports a frame when its page's main thread takes it, so the change is also traced:
    ``change_main_busy_s`` is how long that thread was busy in the same interval
    (:func:`renderer_busy_s`), and ``change_rerun_wall`` / ``change_finished_wall`` put the
    interval on the wall clock (against the server's ``GAN_WIRE_LOG``)."""
    import base64

    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            for _ in range(rounds):
                context = browser.new_context()
                tab = context.new_page()
                cdp = context.new_cdp_session(tab)
                cdp.send("Network.enable")
                seen: dict = {}

                def created(e):
                    if e["url"].endswith("/_stcore/stream") and "id" not in seen:
                        seen["id"] = e["requestId"]

                def handshake(e):
                    if e["requestId"] == seen.get("id") and "open" not in seen:
                        seen["open"], seen["open_wall"] = e["timestamp"], e["wallTime"]

                def sent(e):
                    if e["requestId"] != seen.get("id"):
                        return
                    if "rerun" not in seen:
                        seen["rerun"] = e["timestamp"]
                    elif seen.get("changing") and "change_rerun" not in seen and _is_rerun(
                            base64.b64decode(e["response"]["payloadData"])):
                        seen["change_rerun"] = e["timestamp"]

                def received(e):
                    if e["requestId"] != seen.get("id"):
                        return
                    if "change_rerun" in seen and "change_first_frame" not in seen:
                        seen["change_first_frame"] = e["timestamp"]
                    if "finished" not in seen or ("change_rerun" in seen and "change_finished" not in seen):
                        if _frame_kind(base64.b64decode(e["response"]["payloadData"])) == "finished":
                            seen["change_finished" if "finished" in seen else "finished"] = e["timestamp"]
                cdp.on("Network.webSocketCreated", created)
                cdp.on("Network.webSocketWillSendHandshakeRequest", handshake)
                cdp.on("Network.webSocketFrameSent", sent)
                cdp.on("Network.webSocketFrameReceived", received)
                tab.goto(url.rstrip("/") + page)
                deadline = time.time() + 120
                while "finished" not in seen and time.time() < deadline:
                    tab.wait_for_timeout(50)
                result = {"open_to_finished_s": seen["finished"] - seen["open"],
                          "rerun_to_finished_s": seen["finished"] - seen["rerun"],
                          "open_wall": seen["open_wall"],
                          "finished_wall": seen["open_wall"] + seen["finished"] - seen["open"]}
                if change:
                    thumb = tab.locator("[data-testid=stSlider]").first.get_by_role("slider")
                    thumb.wait_for(timeout=60_000)
                    thumb.focus()
                    tab.wait_for_timeout(1000)
                    browser.start_tracing(page=tab, categories=["devtools.timeline", "disabled-by-default-devtools.timeline"])
                    seen["changing"] = True
                    tab.keyboard.press("ArrowRight")
                    while "change_finished" not in seen and time.time() < deadline:
                        tab.wait_for_timeout(50)
                    trace = browser.stop_tracing()
                    result["change_rerun_to_finished_s"] = seen["change_finished"] - seen["change_rerun"]
                    result["change_rerun_to_first_frame_s"] = seen["change_first_frame"] - seen["change_rerun"]
                    result["change_main_busy_s"] = renderer_busy_s(trace, seen["change_rerun"], seen["change_finished"])
                    for what in ("change_rerun", "change_finished"):
                        result[what + "_wall"] = seen["open_wall"] + seen[what] - seen["open"]
                results.append(result)
                context.close()
        finally:
            browser.close()
    return results


def _decode(payload, message_class):
    """A websocket frame's payload (bytes, or a latin-1 string) parsed as ``message_class``."""
    msg = message_class()
    msg.ParseFromString(payload if isinstance(payload, bytes) else payload.encode("latin-1"))
    return msg


def _is_rerun(payload) -> bool:
    """Whether a frame the page sent is a ``rerun_script`` BackMsg."""
    return _decode(payload, BackMsg).WhichOneof("type") == "rerun_script"


def _frame_kind(payload) -> str:
    msg = _decode(payload, ForwardMsg)
    if msg.WhichOneof("type") == "script_finished" and msg.script_finished != FINISHED_EARLY:
        return "finished"
    return msg.WhichOneof("type") or ""


def read_wire_log(path) -> list[dict]:
    """The sessions a server started with ``GAN_WIRE_LOG=path`` (scripts/serve.py) logged, in the
    order they opened: ``{"open": t, "finished": t, "runs": [t, ...]}`` in wall-clock seconds,
    ``finished`` the first finished run and ``runs`` every one (neither for a session that never
    finished a run).  A key is the session object's id, which Python may reuse once a session is
    gone, so an ``open`` always starts a new session."""
    sessions, current = [], {}
    for row in open(path).read().splitlines():
        key, what, at = row.split()
        if what == "open":
            current[key] = {"open": float(at)}
            sessions.append(current[key])
        elif what == "finished" and key in current:
            current[key].setdefault("finished", float(at))
            current[key].setdefault("runs", []).append(float(at))
    return sessions


def renderer_busy_s(trace: bytes | dict, start_s: float, end_s: float) -> float:
    """Seconds the page's renderer main thread spent running tasks between ``start_s`` and
    ``end_s`` (DevTools timestamps, the clock of the Network domain's events), from a Chromium
    trace (``browser.start_tracing`` / ``stop_tracing``, categories ``devtools.timeline`` and
    ``disabled-by-default-devtools.timeline``): the union of its
    ``RunTask`` events, clipped to the window.  The page's renderer is the one whose main thread
    logged ``WebSocketReceive``."""
    data = json.loads(trace) if isinstance(trace, (bytes, str)) else trace
    events = data["traceEvents"] if isinstance(data, dict) else data
    mains = {(e["pid"], e["tid"]) for e in events
             if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"}
    page = {(e["pid"], e["tid"]) for e in events if e.get("name") == "WebSocketReceive"} & mains
    lo, hi = start_s * 1e6, end_s * 1e6
    spans = sorted((e["ts"], e["ts"] + e.get("dur", 0)) for e in events
                   if (e.get("pid"), e.get("tid")) in page and e.get("ph") == "X" and e.get("name") == "RunTask")
    busy, reach = 0.0, lo
    for a, b in spans:                     # union of the spans (nested tasks count once), clipped
        a, b = max(a, reach), min(b, hi)
        if b > a:
            busy += b - a
            reach = b
    return busy / 1e6


def _server_run_s(wire_log: str | None, before: int) -> tuple[float | None, dict | None]:
    """The server's time from accepting the one session opened since the log had ``before``
    sessions to queueing its first finished run, and that session."""
    if not wire_log:
        return None, None
    new = read_wire_log(wire_log)[before:]
    if len(new) != 1 or "finished" not in new[0]:
        raise SystemExit(f"expected one finished session in {wire_log} per visit, found {new}")
    return new[0]["finished"] - new[0]["open"], new[0]


def cross_check(args) -> dict:
    """Alternate one protocol visitor and one Chromium tab on the same page, ``args.visitors`` times each.

    With ``--wire-log`` (the ``GAN_WIRE_LOG`` file of the server being measured) each visit's time
    is split in two: the server's own time from accepting the websocket to queueing the finished
    run (``*_server_run_s``), and for Chromium the time after that until Chromium reports the
    ``script_finished`` frame (``browser_after_server_s``: reading, parsing and drawing in the
    browser on the same machine).  With ``--change`` as well, Chromium's change is split the same
    way: ``browser_change_server_s`` from its rerun_script frame to the server queueing that run's
    finish, ``browser_change_after_server_s`` the rest, beside ``browser_change_main_busy_s`` (its
    page's main thread busy in the change's interval, from a trace)."""
    count = lambda: len(read_wire_log(args.wire_log)) if args.wire_log else 0  # noqa: E731
    client, browser, client_server, browser_server, after, client_change = [], [], [], [], [], []
    change_server, change_after = [], []
    change = ["--change", "--think-s", "1"] if args.change else []
    for _ in range(args.visitors):
        before = count()
        result = asyncio.run(run_load(parse_args(["--url", args.url, "--page", args.page[0], "--visitors", "1",
                                                  "--timeout-s", str(args.timeout_s), *change])))
        client.append(result["pages"][args.page[0]]["first_max_s"])
        client_change.append(result["pages"][args.page[0]]["change_max_s"])
        client_server.append(_server_run_s(args.wire_log, before)[0])
        before = count()
        visit = browser_first_run_s(args.url, args.page[0], 1, change=args.change)[0]
        browser.append(visit)
        run_s, session = _server_run_s(args.wire_log, before)
        browser_server.append(run_s)
        after.append(visit["finished_wall"] - session["finished"] if session else None)
        if session and args.change:
            # The change's run on the server: the first finished run queued after Chromium's rerun.
            done = min((t for t in session["runs"] if t >= visit["change_rerun_wall"] - 0.002), default=None)
            change_server.append(None if done is None else done - visit["change_rerun_wall"])
            change_after.append(None if done is None else visit["change_finished_wall"] - done)
    opened = [b["open_to_finished_s"] for b in browser]
    out = {"page": args.page[0], "client_s": client, "browser_open_to_finished_s": opened,
           "browser_rerun_to_finished_s": [b["rerun_to_finished_s"] for b in browser],
           "client_median_s": statistics.median(client), "browser_median_s": statistics.median(opened),
           "difference_ms": round(1000 * (statistics.median(client) - statistics.median(opened)), 1),
           "load_average": os.getloadavg()}
    if args.change:
        browser_change = [b["change_rerun_to_finished_s"] for b in browser]
        out.update({"client_change_s": client_change, "browser_change_s": browser_change,
                    "browser_change_first_frame_s": [b["change_rerun_to_first_frame_s"] for b in browser],
                    "browser_change_main_busy_s": [b["change_main_busy_s"] for b in browser],
                    "browser_change_main_busy_median_s": statistics.median(b["change_main_busy_s"] for b in browser),
                    "client_change_median_s": statistics.median(client_change),
                    "browser_change_median_s": statistics.median(browser_change),
                    "change_difference_ms": round(1000 * (statistics.median(client_change)
                                                          - statistics.median(browser_change)), 1)})
    if args.wire_log:
        out.update({"client_server_run_s": client_server, "browser_server_run_s": browser_server,
                    "browser_after_server_s": after,
                    "client_server_run_median_s": statistics.median(client_server),
                    "browser_server_run_median_s": statistics.median(browser_server),
                    "browser_after_server_median_s": statistics.median(after),
                    "client_vs_server_for_browser_ms": round(
                        1000 * (statistics.median(client) - statistics.median(browser_server)), 1)})
        if args.change and None not in change_server:
            out.update({"browser_change_server_s": change_server, "browser_change_after_server_s": change_after,
                        "browser_change_server_median_s": statistics.median(change_server),
                        "client_change_vs_server_for_browser_ms": round(
                            1000 * (statistics.median(client_change) - statistics.median(change_server)), 1)})
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8501", help="the app (the only host contacted)")
    p.add_argument("--page", action="append", help="page path with query string; repeat for several "
                   "(visitors take them in turn); default /gan-objective")
    p.add_argument("--visitors", type=int, default=10, help=f"number of visitors (at most {MAX_VISITORS})")
    p.add_argument("--arrival", choices=["uniform", "poisson", "burst"], default="uniform")
    p.add_argument("--arrival-s", type=float, default=10.0, help="arrivals spread over this many seconds")
    p.add_argument("--change", action="store_true", help="after the first run, change a widget and wait again")
    p.add_argument("--widget", help="KEY=VALUE: the widget to change (default: the first slider)")
    p.add_argument("--think-s", type=float, default=2.0, help="mean pause before the change (±50%%)")
    p.add_argument("--timeout-s", type=float, default=120.0, help="longest wait for one run")
    p.add_argument("--hold-s", type=float, default=0.0, help="keep all sessions open this long at the end "
                   "(memory per open session)")
    p.add_argument("--server-pid", type=int, action="append", help="server process(es) to measure")
    p.add_argument("--reconnect", action="store_true", help="a visitor whose connection drops while it waits "
                   "reconnects and reruns its page, as a browser tab does (failover through a proxy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--per-visit", action="store_true", help="include every visit in the JSON")
    p.add_argument("--browser-check", action="store_true", help="instead of a load: time --visitors single "
                   "visits by this client and as many by Chromium (Playwright), alternately, on the first --page; "
                   "with --change, also a slider change in both, timed from its rerun_script frame to the run's "
                   "script_finished")
    p.add_argument("--wire-log", help="with --browser-check: the GAN_WIRE_LOG file of the server (scripts/serve.py), "
                   "to split each visit into the server's part and the browser's")
    args = p.parse_args(argv)
    args.page = args.page or ["/gan-objective"]
    if not 1 <= args.visitors <= MAX_VISITORS:
        p.error(f"--visitors must be between 1 and {MAX_VISITORS}")
    if urllib.parse.urlsplit(args.url).scheme not in ("http", "https"):
        p.error("--url must start with http:// or https://")
    return args


def print_table(result: dict) -> None:
    print(f"{result['visitors']} visitors over {result['arrival_s']:g} s ({result['arrival']}), "
          f"{result['finished_runs']} finished runs in {result['wall_s']:.1f} s "
          f"({result['renders_per_s']} runs/s); load {result['load_average'][0]:.2f}")
    for page, s in result["pages"].items():
        fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
        print(f"  {page}: first run p50 {fmt(s['first_p50_s'])} p95 {fmt(s['first_p95_s'])} "
              f"max {fmt(s['first_max_s'])} s; change p50 {fmt(s['change_p50_s'])} "
              f"p95 {fmt(s['change_p95_s'])} s; errors {s['errors']}"
              + (f"; {s['reconnected']} reconnected (max {fmt(s['reconnect_max_s'])} s)" if s["reconnected"] else ""))
        for message in s["error_messages"]:
            print(f"    {message}")
    print(f"  server: {json.dumps(result['server'])}")
    if result["replicas"]:
        print(f"  replicas: {result['replicas']}; after reconnecting: {result['replicas_after_reconnect']}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.browser_check:
        print(json.dumps(cross_check(args), indent=1))
        return 0
    result = asyncio.run(run_load(args))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_table(result)
    return 0 if all(s["errors"] == 0 for s in result["pages"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
