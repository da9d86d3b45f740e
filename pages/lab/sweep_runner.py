"""The Sweep panel's engine room: the cap on a sweep's size, a background thread that trains it,
and the permalink that opens one of its runs in the live lab.

* :func:`sweep_cap`: most runs one sweep may have, from the device and the server's fair share.
* :class:`SweepJob`: a :class:`gan_core.lab.sweep.Sweep` trained by a thread the session owns,
  in chunks of ``CHUNK_S`` seconds; it holds one slot of the lab's run registry while it trains
  (a sweep counts as one live run) and stops by itself when its page stops asking about it.
  The thread never calls Streamlit: the page reads ``done``, ``total``, ``result`` and ``error``.
* :func:`lab_link`: the query string of the lab that reopens run i (its seed and every setting).
"""
from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import urlencode

import torch

from gan_core.lab import run_registry
from gan_core.lab.sweep import Sweep
from pages.lab.fields import CONFIG_FIELDS, DATASET_LABELS, LOSS_LABELS

#: Runs one sweep may train on each device when nobody else trains (the CPU: three stacks of 16).
DEVICE_RUNS = {"cpu": 48, "cuda": 512}
#: Seconds of training between two looks at the stop flag and the registry heartbeat.
CHUNK_S = 0.5
#: A sweep whose page has not asked about it for this long is abandoned (tab closed) and stops.
ABANDON_S = 30.0


def sweep_cap(device: str, others: int, max_runs: int) -> int:
    """Runs allowed in one sweep: the device's budget divided among the sweep and the ``others``
    live runs on the server, never below an even share of the device among ``max_runs`` slots."""
    base = DEVICE_RUNS.get(device, DEVICE_RUNS["cpu"])
    return max(base // max(1, max_runs), base // (1 + max(0, others)))


class SweepJob:
    """Train ``runs`` in a background thread (see the module doc)."""

    def __init__(self, runs, device: str = "cpu", registry=None, chunk_s: float = CHUNK_S):
        self.runs = list(runs)
        self.device = device
        self.id = "sweep-" + uuid.uuid4().hex
        self.registry = registry if registry is not None else run_registry.REGISTRY
        self.total = sum(r.config.iters for r in self.runs)
        self.done = 0
        self.result: dict | None = None
        self.error: str | None = None
        self.started = time.monotonic()
        self.wall_s: float | None = None
        self._seen = time.monotonic()
        self._stop = threading.Event()
        self._chunk_s = chunk_s
        self._thread = threading.Thread(target=self._main, name=self.id, daemon=True)

    def start(self) -> bool:
        """Take a slot and start; False (nothing started) when the server trains its limit of runs."""
        if not self.registry.acquire(self.id):
            return False
        self._thread.start()
        return True

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def touch(self) -> None:
        """The page still looks at this sweep (call on every refresh)."""
        self._seen = time.monotonic()

    def stop(self) -> None:
        self._stop.set()

    def _progress(self, done: int, total: int) -> None:
        self.done = done

    def _main(self) -> None:
        torch.set_num_threads(1)  # this thread only: the server's other sessions share the cores
        try:
            sweep = Sweep(self.runs, device=self.device)
            while not self._stop.is_set():
                if time.monotonic() - self._seen > ABANDON_S:
                    self.error = "the sweep stopped because its page was closed"
                    return
                if sweep.train(progress=self._progress, max_seconds=self._chunk_s, report_every_s=0.2):
                    self.result = collect(sweep)
                    self.wall_s = time.monotonic() - self.started
                    return
                self.registry.heartbeat(self.id)
        except Exception as exc:  # shown on the page as a message, never as a traceback
            self.error = f"the sweep failed: {exc}"
        finally:
            self.registry.release(self.id)


def collect(sweep: Sweep) -> dict:
    """What the page shows of a finished sweep: the summary, one dot per run, final samples."""
    records = sweep.records()
    dots = [{"run": i, "loss": r.config.loss, "seed": r.seed, "dataset": r.dataset,
             "modes": rec["metrics"]["modes_captured"], "n_modes": rec["metrics"]["n_modes"],
             "hq": rec["metrics"]["high_quality"], "diverged": rec["diverged"] is not None}
            for i, (r, rec) in enumerate(zip(sweep.runs, records))]
    samples = [sweep.trainer(i).snapshot().samples for i in range(len(sweep))]
    return {"summary": sweep.summary(records), "dots": dots, "samples": samples}


def _query_value(f, cfg) -> str:
    value = f.from_config(cfg)
    if f.kind == "toggle":
        return "true" if value else "false"
    if f.kind in ("selectbox", "radio", "select_slider"):
        return f.format(value)
    return str(value)


def lab_query(cfg, dataset: str, seed: int) -> dict:
    """Query parameters of the lab page that reopen the run ``(cfg, dataset, seed)``: single-run mode,
    the dataset, the seed and every setting the lab's widgets hold (as the widgets write them)."""
    query = {"lab_mode": "Single run", "lab_dataset": DATASET_LABELS[dataset], "lab_seed": str(int(seed)),
             "lab_loss": LOSS_LABELS[cfg.loss]}
    for f in CONFIG_FIELDS:
        if f.key != "lab_loss":
            query[f.key] = _query_value(f, cfg)
    return query


def lab_link(cfg, dataset: str, seed: int, base: str = "/gan-lab") -> str:
    """The lab's address with :func:`lab_query`."""
    return f"{base}?{urlencode(lab_query(cfg, dataset, seed))}"
