"""The served app against hostile links and hosts, in a real browser and on the wire."""
from __future__ import annotations

import base64
import os
import socket
from urllib.parse import quote, urlparse

from test_tour import wait_for_page

HOSTILE = "[Session expired, log in](https://evil.example/l) ![b](https://evil.example/b.png)"


def test_a_glossary_link_carrying_markdown_draws_no_link_and_fetches_no_image(page, server_url):
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{server_url}/glossary?glossary_filter={quote(HOSTILE)}")
    wait_for_page(page)
    alert = page.locator("[data-testid=stAlert]").filter(has_text="No symbol matches")
    alert.wait_for()
    assert HOSTILE in alert.inner_text()  # shown as written
    assert page.locator("a[href*='evil.example']").count() == 0
    assert page.locator("img[src*='evil.example']").count() == 0
    assert not [url for url in asked if url.split("//", 1)[-1].startswith("evil.example")]  # nothing fetched there


def _websocket_handshake(url: str, host: str) -> str:
    """The status line the server answers to a WebSocket upgrade naming ``host``."""
    parsed = urlparse(url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}\r\n"
               "Sec-WebSocket-Protocol: streamlit\r\n\r\n")
    with socket.create_connection((parsed.hostname, parsed.port), timeout=20) as conn:
        conn.sendall(request.encode())
        return conn.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def test_the_server_refuses_a_websocket_for_a_host_it_does_not_serve(server_url):
    port = urlparse(server_url).port
    assert " 101 " in _websocket_handshake(server_url, f"127.0.0.1:{port}")
    assert " 101 " in _websocket_handshake(server_url, f"localhost:{port}")
    refused = _websocket_handshake(server_url, f"rebound.example:{port}")  # a DNS-rebinding attacker's name
    assert " 101 " not in refused, refused
