"""Real-browser fixtures: the app served by scripts/serve.py on a free port, Debian's Chromium via Playwright."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from local_app import LocalApp  # noqa: E402  (scripts/local_app.py, shared with the benchmarks)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def server_url():
    with LocalApp(log=ROOT / "artifacts" / "e2e-server.log", timeout=60) as app:
        yield app.url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (scripts/setup.sh does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def server_factory():
    """Start more servers with extra environment variables: ``start(env, name)`` -> a started
    :class:`local_app.LocalApp` (``url``, ``process`` -- its pid is the app's -- and ``stop()``).

    Each runs scripts/serve.py on its own free port (log: artifacts/e2e-server-<name>.log); all are
    stopped at the end of the session, or earlier with ``server.stop()``.
    """
    started = []

    def start(env: dict | None = None, name: str = "extra", timeout: float = 90):
        server = LocalApp(env, log=ROOT / "artifacts" / f"e2e-server-{name}.log", timeout=timeout)
        started.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in started:
            server.stop()
