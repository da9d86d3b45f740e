"""Two replicas behind HAProxy (scripts/serve_cluster.sh), seen from real browsers.

1. Visitors spread over both replicas and each stays on its own (the GANSRV cookie).
2. A replica killed with SIGKILL while pages are open: its visitor's page reconnects through the
   proxy to the other replica and comes back as the URL describes it (the permalink's theta), the
   other replica's visitor keeps its one websocket (sees nothing), and the killed replica is
   started again by serve_cluster.sh and passes its health check (it rejoins).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

import load_ws  # scripts/ is on sys.path (tests/e2e/conftest.py)
from browser_helpers import wait_until
from conftest import ROOT
from local_app import free_port, healthy
from test_tour import wait_for_page

PAGE = "/gan-objective?theta=0.5"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed (scripts/serve_cluster.sh installs it with apt-get as root)")
    port = free_port()
    while any(not _port_free(port + i) for i in range(1, 3)):
        port = free_port()
    logs = tmp_path_factory.mktemp("cluster")
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "serve_cluster.sh"), "--replicas", "2",
                             "--port", str(port), "--bind", "127.0.0.1", "--logs", str(logs)],
                            cwd=ROOT, stdout=open(logs / "cluster.out", "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        up = wait_until(lambda: all(healthy(f"http://127.0.0.1:{port + i}") for i in (1, 2)) and healthy(url), 120)
        assert up, (logs / "cluster.out").read_text()
        time.sleep(3)  # HAProxy marks a server up after two passed checks, one a second ("rise 2")
        yield {"url": url, "port": port, "logs": logs, "proc": proc}
    finally:
        proc.send_signal(signal.SIGTERM)  # serve_cluster.sh stops HAProxy and the replicas
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _replica_pid(port: int) -> int:
    pids = load_ws.pids_listening(port)
    assert len(pids) == 1, pids
    return pids[0]


def _open(browser, url):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws))
    page.goto(url + PAGE)
    wait_for_page(page, timeout=90)
    return context, page, sockets


def _pump_until(page, predicate, timeout: float):
    """Like wait_until, but waits in Playwright (page.wait_for_timeout), so that its events (a new
    websocket) are delivered meanwhile; time.sleep would hold them back."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        page.wait_for_timeout(250)
    return predicate()


def _replica(context) -> str:
    return {c["name"]: c["value"] for c in context.cookies()}.get("GANSRV", "")


def _theta_shown(page) -> str:
    slider = page.locator("[data-testid=stSlider]").filter(has_text="where Q sits")
    return slider.locator("[data-testid=stSliderThumbValue]").first.inner_text()


def test_visitors_spread_stay_and_survive_a_killed_replica(cluster, browser):
    url, port = cluster["url"], cluster["port"]
    visitors = [_open(browser, url) for _ in range(2)]
    replicas = [_replica(context) for context, _, _ in visitors]
    assert sorted(replicas) == ["app1", "app2"], replicas        # one visitor on each replica
    # Sticky: a reload stays on the same replica.
    visitors[0][1].reload()
    wait_for_page(visitors[0][1])
    assert _replica(visitors[0][0]) == replicas[0]

    (ctx_a, page_a, ws_a), (ctx_b, page_b, ws_b) = visitors
    assert _theta_shown(page_a) == "0.50"
    victim = int(replicas[0][3:])
    sockets_a, sockets_b = len(ws_a), len(ws_b)
    os.kill(_replica_pid(port + victim), signal.SIGKILL)
    # A's page reconnects through the proxy and comes back from its URL on the other replica.
    assert _pump_until(page_a, lambda: len(ws_a) > sockets_a and not ws_a[-1].is_closed(), 45), len(ws_a)
    wait_for_page(page_a, timeout=60)
    assert page_a.locator("[data-testid=stException]").count() == 0
    assert _theta_shown(page_a) == "0.50" and "theta=0.5" in page_a.url
    assert _replica(ctx_a) == replicas[1]
    # B never noticed: the same single websocket, still open, and its page still answers.
    page_b.wait_for_timeout(500)
    assert len(ws_b) == sockets_b and not ws_b[-1].is_closed()
    assert page_b.locator("[data-testid=stException]").count() == 0
    # serve_cluster.sh starts the killed replica again; it answers its health check.
    assert wait_until(lambda: healthy(f"http://127.0.0.1:{port + victim}"), 90)
    out = (cluster["logs"] / "cluster.out").read_text()
    assert f"replica {victim} died; starting it again" in out
    for context, _, _ in visitors:
        context.close()
