"""The lab's waiting line under load: N visitors press Start at once on a server with a run cap.

    GAN_LAB_MAX_RUNS=2 GAN_LAB_MAX_STEPS=150 python scripts/serve.py --server.port 8501 &
    python scripts/load_lab_queue.py --url http://127.0.0.1:8501 --visitors 6 --json

Each visitor (a Streamlit session over the websocket, as in scripts/load_ws.py) opens the lab,
presses Start (the ``lab_play`` button's trigger), then watches what the server sends until its
run has ended and ``--linger-s`` more (at most ``--watch-s`` seconds): the place in line the page
shows ("You are number N in line"), the moment its Start button becomes Pause (its run started),
the moment it becomes Start again (the run reached the step cap and gave its slot back), and the
last step counter it was shown.  Like a browser, it reruns the page's timed fragments (the live
loop, the line's poll).  Reported: per visitor the places seen, the wait from pressing Start to
its run starting, how many times its run started (must be 1), and for the server the most runs
that overlapped (must not exceed the cap).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_ws  # noqa: E402
from load_ws import BackMsg, ClientState, ForwardMsg, Session, WidgetState, connect  # noqa: E402

PLACE = re.compile(r"number (\d+) in line")
STEP = re.compile(r"\*\*Step ([\d,]+)\*\*")


def track_timers(timers: dict, msg, now: float) -> None:
    """Keep ``timers`` (fragment id -> (interval, next due time)) as Streamlit's front end keeps its
    ``st.fragment(run_every=...)`` timers: an ``auto_rerun`` message sets one, ``stop_auto_rerun``
    clears the ones it names, and a ``new_session`` clears them all only when it starts a run of the
    whole page.  A fragment's own run also begins with ``new_session`` (its metadata names the
    fragments); the front end keeps the timers then, and so must we: clearing them there stopped
    every fragment after its first run, and with it the lab's live loop and the waiting line."""
    kind = msg.WhichOneof("type")
    if kind == "new_session" and not msg.metadata.run.fragment_ids:
        timers.clear()
    elif kind == "auto_rerun":
        timers[msg.auto_rerun.fragment_id] = (msg.auto_rerun.interval, now + msg.auto_rerun.interval)
    elif kind == "stop_auto_rerun":
        for fragment_id in msg.stop_auto_rerun.fragment_ids:
            timers.pop(fragment_id, None)


async def _watch(session: Session, until: float, seen: dict, pressed: float, linger_s: float) -> None:
    """Read ForwardMsgs until ``until``, or ``linger_s`` after the visitor's run ended: places in
    line, and Start <-> Pause changes of lab_play.

    Like the page's JavaScript, it reruns each ``st.fragment(run_every=...)`` on its timer
    (:func:`track_timers`): the waiting line's poll and the live training loop are such fragments."""
    label, timers = "Start", {}
    while time.perf_counter() < until:
        now = time.perf_counter()
        if seen["stops"]:
            until = min(until, pressed + seen["stops"][-1] + linger_s)
        for fragment_id, (interval, due) in list(timers.items()):
            if due <= now:
                timers[fragment_id] = (interval, now + interval)
                state = ClientState(query_string=session.query, page_script_hash=session.page_script_hash,
                                    fragment_id=fragment_id, is_auto_rerun=True)
                await session.ws.send(BackMsg(rerun_script=state).SerializeToString())
        wake = min([until] + [due for _, due in timers.values()])
        try:
            raw = await asyncio.wait_for(session.ws.recv(), max(0.01, wake - time.perf_counter()))
        except TimeoutError:
            continue
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        track_timers(timers, msg, time.perf_counter())
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            if what == "markdown" and STEP.match(element.markdown.body):
                seen["last_step"] = int(STEP.match(element.markdown.body).group(1).replace(",", ""))
            if what == "alert":
                match = PLACE.search(element.alert.body)
                if match and int(match.group(1)) not in seen["places"]:
                    seen["places"].append(int(match.group(1)))
            elif what == "button" and element.button.id.endswith("-lab_play") and element.button.label != label:
                label = element.button.label
                at = round(time.perf_counter() - pressed, 3)
                (seen["starts"] if label == "Pause" else seen["stops"]).append(at)


async def visitor(args, index: int, barrier: asyncio.Barrier) -> dict:
    seen = {"visitor": index, "places": [], "starts": [], "stops": [], "last_step": None, "error": None}
    url = args.url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    try:
        async with connect(url, subprotocols=["streamlit"], max_size=None, ping_interval=None) as ws:
            session = Session(ws, "/gan-lab")
            await session.rerun()
            await session.until_finished(args.timeout_s)
            play = next((w for w in session.widgets if w.endswith("-lab_play")), None)
            if play is None:
                raise RuntimeError("no Start button on the lab page")
            await barrier.wait()  # everybody presses Start at the same moment
            pressed = time.perf_counter()
            await session.rerun([WidgetState(id=play, trigger_value=True)])
            await _watch(session, pressed + args.watch_s, seen, pressed, args.linger_s)
    except Exception as exc:  # noqa: BLE001 - a visitor's failure is a result
        seen["error"] = f"{type(exc).__name__}: {exc}"
    return seen


def overlap(visits: list[dict]) -> int:
    """Most runs training at the same time, from each visitor's start and stop times."""
    events = []
    for v in visits:
        for i, start in enumerate(v["starts"]):
            stop = v["stops"][i] if i < len(v["stops"]) else float("inf")
            events += [(start, 1), (stop, -1)]
    running = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        running += step
        peak = max(peak, running)
    return peak


async def run(args) -> dict:
    barrier = asyncio.Barrier(args.visitors)
    visits = await asyncio.gather(*(visitor(args, i, barrier) for i in range(args.visitors)))
    waits = sorted(v["starts"][0] for v in visits if v["starts"])
    return {
        "visitors": args.visitors, "watch_s": args.watch_s,
        "started_once": sum(len(v["starts"]) == 1 for v in visits),
        "started_twice_or_more": sum(len(v["starts"]) > 1 for v in visits),
        "never_started": sum(not v["starts"] for v in visits),
        "waited_in_line": sum(bool(v["places"]) for v in visits),
        "max_overlapping_runs": overlap(visits),
        "wait_to_start_s": {"p50": load_ws.percentile(waits, 50), "max": max(waits, default=None)},
        "errors": [v["error"] for v in visits if v["error"]],
        "visits": visits,
    }


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8501")
    p.add_argument("--visitors", type=int, default=6, help="at most 50")
    p.add_argument("--watch-s", type=float, default=90.0, help="how long each visitor watches after Start")
    p.add_argument("--linger-s", type=float, default=3.0,
                   help="after a visitor's run ended, watch this much longer (a second start would show)")
    p.add_argument("--timeout-s", type=float, default=120.0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not 1 <= args.visitors <= 50 or not 0 < args.watch_s <= 600 or not 0 <= args.linger_s <= 60:
        p.error("--visitors must be 1-50, --watch-s at most 600 and --linger-s at most 60")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=1) if args.json else
          json.dumps({k: v for k, v in result.items() if k != "visits"}, indent=1))
    return 0 if not result["errors"] and not result["started_twice_or_more"] else 1


if __name__ == "__main__":
    sys.exit(main())
