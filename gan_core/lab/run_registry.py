"""Server-wide fair sharing of the training lab: a cap on concurrent runs and on steps per run.

Every browser session of a Streamlit server runs in the same Python process, so a
module-level registry sees all of them.  A session *holds a slot* while its training
runs; it must call :meth:`RunRegistry.heartbeat` at least every ``stale_after_s``
seconds (the lab does so on every refresh, ~4 times a second).  A slot whose heartbeat
is older than that is reclaimed, which also frees the slot of a browser tab that was
closed mid-run (its session stops refreshing).

When every slot is taken, :meth:`RunRegistry.request` puts the run in a first-come,
first-served *line* and says its place in it; the waiting page asks again every second or
so (which is also the line's heartbeat: a tab closed while waiting drops out after
``stale_after_s``), and the answer 0 means the slot is now the run's, taken atomically, so
the run starts once and only once.  A slot freed while people wait goes to the head of the
line: :meth:`acquire` from outside the line does not jump it.  :meth:`leave` steps out.

Configuration (environment variables, read once at import):

``GAN_LAB_MAX_RUNS``
    Concurrent training runs allowed on the server (default 4: on the 2-core machine
    this project targets, four small 2-D GANs still refresh several times a second).
``GAN_LAB_MAX_STEPS``
    Generator steps allowed per run (default 10 000, twice the longest preset, the
    Unrolled-GAN setup's 5000 steps).
``GAN_LAB_STALE_S``
    Seconds without a heartbeat after which a slot is reclaimed (default 15).

A value that is not a positive number falls back to the default.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Callable, Mapping

__all__ = ["RunRegistry", "REGISTRY", "MAX_STEPS", "DEFAULT_MAX_RUNS", "DEFAULT_MAX_STEPS",
           "DEFAULT_STALE_S", "settings_from_env"]

DEFAULT_MAX_RUNS = 4
DEFAULT_MAX_STEPS = 10_000
DEFAULT_STALE_S = 15.0


def _positive(environ: Mapping[str, str], name: str, default, kind=int):
    raw = environ.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = kind(str(raw).strip())
    except ValueError:
        return default
    return value if value > 0 else default


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict:
    """``{"max_runs", "max_steps", "stale_after_s"}`` from the environment (see module doc)."""
    env = os.environ if environ is None else environ
    return {
        "max_runs": _positive(env, "GAN_LAB_MAX_RUNS", DEFAULT_MAX_RUNS, int),
        "max_steps": _positive(env, "GAN_LAB_MAX_STEPS", DEFAULT_MAX_STEPS, int),
        "stale_after_s": _positive(env, "GAN_LAB_STALE_S", DEFAULT_STALE_S, float),
    }


class RunRegistry:
    """Thread-safe count of active training runs, one slot per run id.

    Parameters
    ----------
    max_runs : int
        Slots available (>= 1).
    stale_after_s : float
        A slot whose last heartbeat is older than this many seconds is free again.
    clock : callable
        Returns the time in seconds (``time.monotonic`` by default; tests pass a fake).
    """

    def __init__(self, max_runs: int = DEFAULT_MAX_RUNS, stale_after_s: float = DEFAULT_STALE_S,
                 clock: Callable[[], float] = time.monotonic):
        if int(max_runs) < 1:
            raise ValueError(f"max_runs must be at least 1, got {max_runs}")
        if not stale_after_s > 0:
            raise ValueError(f"stale_after_s must be positive, got {stale_after_s}")
        self.max_runs = int(max_runs)
        self.stale_after_s = float(stale_after_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._last_seen: dict[str, float] = {}
        self._line: dict[str, float] = {}  # waiting run id -> last time it asked; insertion order = line order

    def _reclaim(self, now: float) -> None:
        # Caller holds the lock.
        for table in (self._last_seen, self._line):
            for run_id in [r for r, t in table.items() if now - t > self.stale_after_s]:
                del table[run_id]

    def _may_take(self, run_id: str) -> bool:
        # Caller holds the lock (after _reclaim).  The first `free` runs in line have the free slots;
        # a run outside the line gets one only if a slot is left over after all of them.
        free = self.max_runs - len(self._last_seen)
        if run_id in self._line:
            return list(self._line).index(run_id) < free
        return len(self._line) < free

    def _take(self, run_id: str, now: float) -> bool:
        # Caller holds the lock.  Reclaim stale entries, then give ``run_id`` a slot if it holds one
        # or one is due to it (leaving the line); False otherwise, the line untouched.
        self._reclaim(now)
        if run_id in self._last_seen or self._may_take(run_id):
            self._line.pop(run_id, None)
            self._last_seen[run_id] = now
            return True
        return False

    def acquire(self, run_id: str) -> bool:
        """Take (or keep) a slot for ``run_id``.  False when every slot is held by another live run
        or is due to a run waiting in line before it."""
        with self._lock:
            return self._take(run_id, self._clock())

    def request(self, run_id: str) -> int:
        """Take a slot if one is due to ``run_id``, else join (or stay in) the line.

        Returns 0 when ``run_id`` holds a slot now (start the run), else its place in line
        (1 = next).  Asking again keeps the place and counts as the waiting run's heartbeat.
        """
        with self._lock:
            now = self._clock()
            if self._take(run_id, now):
                return 0
            self._line[run_id] = now
            return list(self._line).index(run_id) + 1

    def place(self, run_id: str) -> int | None:
        """``run_id``'s place in line (1 = next) without asking for a slot; None when not waiting."""
        with self._lock:
            self._reclaim(self._clock())
            return list(self._line).index(run_id) + 1 if run_id in self._line else None

    def leave(self, run_id: str) -> None:
        """Step out of the line (no-op when not waiting)."""
        with self._lock:
            self._line.pop(run_id, None)

    def waiting(self) -> int:
        """Runs waiting in line now."""
        with self._lock:
            self._reclaim(self._clock())
            return len(self._line)

    def heartbeat(self, run_id: str) -> bool:
        """Say ``run_id`` is still training.  Re-acquires a reclaimed slot if one is free.

        Returns False when the run has no slot and none is free: the caller must pause.
        """
        return self.acquire(run_id)

    def release(self, run_id: str) -> None:
        """Give the slot of ``run_id`` back, or its place in line (no-op if it holds neither)."""
        with self._lock:
            self._last_seen.pop(run_id, None)
            self._line.pop(run_id, None)

    def holds(self, run_id: str) -> bool:
        """Whether ``run_id`` holds a live slot now."""
        with self._lock:
            self._reclaim(self._clock())
            return run_id in self._last_seen

    def active(self) -> int:
        """Number of live slots now."""
        with self._lock:
            self._reclaim(self._clock())
            return len(self._last_seen)

    def free(self) -> int:
        """Slots free now."""
        return self.max_runs - self.active()


_SETTINGS = settings_from_env()
#: The server-wide registry every lab session shares.
REGISTRY = RunRegistry(_SETTINGS["max_runs"], _SETTINGS["stale_after_s"])
#: Generator steps allowed per run.
MAX_STEPS: int = _SETTINGS["max_steps"]
