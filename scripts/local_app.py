"""Start the app on a free localhost port for a browser test or a benchmark, and stop it.

    from local_app import LocalApp
    with LocalApp(env={"GAN_LAB_MAX_RUNS": "4"}, log="artifacts/server.log") as app:
        page.goto(app.url + "/gan-lab")

One place for what the browser tests (tests/e2e/conftest.py), the benchmarks and the load
test all need: ``scripts/serve.py`` on a free port, waiting for Streamlit's health check,
then a clean stop.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str, timeout: float = 2) -> bool:
    """Whether Streamlit at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


class LocalApp:
    """``scripts/serve.py`` in a child process on a free port (``url``, ``process``).

    ``env``: extra environment variables; ``log``: a file for the server's output (default:
    discarded).  ``start()`` returns once the health check answers and raises if the server
    exits or does not answer within ``timeout`` seconds; ``stop()`` is safe to call twice.
    """

    def __init__(self, env: dict | None = None, log: str | Path | None = None, timeout: float = 90):
        self.env = {k: str(v) for k, v in (env or {}).items()}
        self.log_path = Path(log) if log is not None else None
        self.timeout = timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> "LocalApp":
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "w")
        out = self._log if self._log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "serve.py"), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **self.env})
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"the app exited with code {self.process.returncode}"
                                   + (f"; see {self.log_path}" if self.log_path else ""))
            if healthy(self.url):
                return self
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"the app did not answer at {self.url} within {self.timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None and not self._log.closed:
            self._log.close()

    def __enter__(self) -> "LocalApp":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
