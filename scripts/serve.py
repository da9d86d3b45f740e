"""Start the app: ``python scripts/serve.py [streamlit options]`` (what scripts/app.sh runs).

Same as ``streamlit run app.py`` with one difference.  Streamlit treats a folder called
``pages/`` next to the entry script as an old-style (v1) multipage app until the script's
own ``st.navigation`` has run once; on a freshly started server the very first visitor who
opens a deep link (say ``/gan-objective``, a presenter's bookmark) would get a spurious
"Page not found" pop-up.  Telling Streamlit up front that the app uses ``st.navigation``
removes that.  It also imports torch and warms plotly before the first request (see the end
of this file; GAN_NO_PRELOAD=1 turns that off).  Everything else is plain ``streamlit run``.

``GAN_WIRE_LOG=wire.log`` appends one line per websocket session when it opens and one each time a
finished run is handed to the connection (wall-clock times), so that a browser's own timing can
be split into the server's part and the browser's (``scripts/load_ws.py --browser-check
--wire-log``; docs/capacity.md).

``GAN_PROFILE=out.prof`` profiles every script run (cProfile, in the script thread that runs it)
and writes the summed statistics to ``out.prof`` when the server stops; read it with
``python -m pstats out.prof`` (docs/capacity.md shows what it found).
"""
import os
import sys
import threading
import time
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

ROOT = Path(__file__).resolve().parent.parent

PagesManager.uses_pages_directory = False


def _profile_script_runs(path: str) -> None:
    """Wrap ScriptRunner._run_script in a cProfile per run, summed into ``path`` at exit.

    The clock is the thread's own CPU time: with many sessions at once, wall time would mostly
    measure waiting for the interpreter lock."""
    import atexit
    import cProfile
    import pstats

    from streamlit.runtime.scriptrunner import script_runner

    lock, total = threading.Lock(), []
    original = script_runner.ScriptRunner._run_script

    def profiled(self, *args, **kwargs):
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            return original(self, *args, **kwargs)
        finally:
            profile.disable()
            with lock:
                if total:
                    total[0].add(profile)
                else:
                    total.append(pstats.Stats(profile))

    def dump() -> None:
        with lock:
            if total:
                total[0].dump_stats(path)

    script_runner.ScriptRunner._run_script = profiled
    atexit.register(dump)


def _log_wire(path: str) -> None:
    """Per websocket session, lines in ``path``: ``<session> open <wall time>`` when the server
    accepts it, and ``<session> finished <wall time>`` each time a run that is not cut short ends
    and its ``script_finished`` message is queued for that connection (the first run, then every
    rerun a widget change makes).

    Patches Streamlit's Starlette session client (the pinned streamlit's internals)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.web.server.starlette import starlette_websocket as ws

    early = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
    log = open(path, "a", buffering=1)  # noqa: SIM115 (open for the server's lifetime)
    lock = threading.Lock()
    init, write = ws.StarletteSessionClient.__init__, ws.StarletteSessionClient.write_forward_msg

    def line(client, what: str) -> None:
        with lock:
            log.write(f"{id(client):x} {what} {time.time():.6f}\n")

    def logged_init(self, websocket):
        init(self, websocket)
        line(self, "open")

    def logged_write(self, msg):
        write(self, msg)
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished != early:
            line(self, "finished")

    ws.StarletteSessionClient.__init__ = logged_init
    ws.StarletteSessionClient.write_forward_msg = logged_write


def _local_addresses() -> list[str]:
    """This machine's host name and the IPv4 address of each of its network interfaces.

    ``.streamlit/config.toml`` allows only localhost (``server.allowedHosts``: a browser whose
    WebSocket names another host is refused, which stops DNS rebinding).  An audience at a talk
    opens the presenter's machine by its address or name, which no attacker's DNS name can
    rebind to, so those are allowed too.  Read from the interfaces, no traffic is sent."""
    import fcntl
    import socket
    import struct

    names = {socket.gethostname(), socket.getfqdn()}
    for _, iface in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:  # SIOCGIFADDR
                packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", iface.encode()[:15]))
            except OSError:
                continue
            names.add(socket.inet_ntoa(packed[20:24]))
    return sorted(n for n in names if n)


def _allow_local_addresses() -> None:
    """Unless the hosts are given (STREAMLIT_SERVER_ALLOWED_HOSTS or --server.allowedHosts),
    allow the config file's hosts plus this machine's own names and addresses."""
    if os.environ.get("STREAMLIT_SERVER_ALLOWED_HOSTS") or any("allowedHosts" in a for a in sys.argv[1:]):
        return
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    hosts = list(config.get("server", {}).get("allowedHosts", [])) + _local_addresses()
    os.environ["STREAMLIT_SERVER_ALLOWED_HOSTS"] = " ".join(dict.fromkeys(hosts))


if os.environ.get("GAN_PROFILE"):
    _profile_script_runs(os.environ["GAN_PROFILE"])
if os.environ.get("GAN_WIRE_LOG"):
    _log_wire(os.environ["GAN_WIRE_LOG"])


def _warm_imports() -> None:
    """Import what the first page needs while the browser is still fetching the front end.

    Runs in a daemon thread at start-up, so the first visitor's script run finds plotly,
    scipy and the lesson maths already imported.  torch is left to the pages that need it:
    importing it here could overlap a visitor's own import of it from another thread, which
    is not safe.  GAN_NO_PRELOAD=1 turns this off.
    """
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from gan_core.lessons import toy1d, viz

    # Building and serialising one figure loads plotly's validators (about a second, once).
    thetas = np.linspace(-2, 2, 5)
    sweep = toy1d.disjoint_sweep(thetas)
    viz.sweep_figure(thetas, sweep.kl, sweep.js, sweep.w1, 1.0, "nats").to_json()


if os.environ.get("GAN_NO_PRELOAD") != "1":
    # torch first and in this thread, before the server takes its first request: about a second
    # here, which the first visitor of the lab or an image page would otherwise wait.  (Importing
    # it from a second thread while a page imports it too is not safe, so not in the thread below.)
    import torch  # noqa: F401
    # pandas and PIL too: plotly looks for them in sys.modules without taking the import lock, so
    # while one visitor's thread is still importing pandas, another's figure found it half made
    # ("partially initialized module 'pandas' has no attribute 'Series'"): 34 errors when 20
    # visitors opened the DCGAN page of a fresh server at once (scripts/load_ws.py, docs/capacity.md).
    import pandas  # noqa: F401
    import PIL.Image  # noqa: F401

    threading.Thread(target=_warm_imports, name="warm-imports", daemon=True).start()
_allow_local_addresses()
sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
sys.exit(cli.main())
