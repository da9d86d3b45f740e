"""Train a lab run in a forked process, so that drawing the views never pauses training.

In one process, training and the page take turns: every refresh the lab trained for 0.2 s,
then computed and drew its views while training waited, and Streamlit's own work and the
browser's drawing slowed the training thread besides (issue 4's benchmark measured 0.71 of the
engine's headless throughput).  Here the run's :class:`~gan_core.lab.trainer.LockstepTrainer` is
copied into a child process by ``fork`` (the child starts with the exact state, nothing is
serialised) and trains there continuously on its own core, while the page's process only asks
for the latest state a few times a second.

Each answer carries the *whole* training state (weights, optimiser moments, random-number
generator states, counters, losses since the last answer, divergence records), and the parent
copies it into its own trainer.  So the parent always holds a consistent run: it draws views and
takes metric snapshots from it, a single-step button continues from it after a pause, and if
the child disappears (killed, or it exited because no page asked for 10 s) the next request
simply forks a new child from the last state received.  A child trains only while it is asked:
1.5 s without a request and it stops, so a closed tab frees its CPU.  Training in the child is the engine's
own ``train`` in short chunks, so a run trained here ends exactly where the same number of
iterations in one process ends (tested).

Only for the CPU and where ``fork`` exists (Linux, macOS); the lab trains in-process otherwise.
"""
from __future__ import annotations

import multiprocessing as mp
from multiprocessing import connection as mp_connection
import threading
import time

import torch

from gan_core.lab.trainer import LockstepTrainer

#: Seconds of training between two looks at the pipe in the child.
CHUNK_S = 0.02
#: A child trains only while its page keeps asking: after this long without a request it stops
#: (a closed tab frees its CPU at once, as when training happened inside the refreshes) ...
STALL_S = 1.5
#: ... and after this long it assumes the page is gone and exits.
IDLE_EXIT_S = 10.0
#: Longest wait for the child's answer before it is taken for dead.
ANSWER_TIMEOUT_S = 5.0


def supported(device: str) -> bool:
    """Whether a run on ``device`` can train in a forked child here."""
    return str(device).startswith("cpu") and "fork" in mp.get_all_start_methods()


# --------------------------------------------------------------------- the state
def _opt_state(opt) -> dict | None:
    if opt is None:
        return None
    return {"m": opt.m.numpy().copy(), "v": opt.v.numpy().copy(), "t": opt.t.numpy().copy()}


def _load_opt(opt, state) -> None:
    if opt is not None:
        for key in ("m", "v", "t"):
            getattr(opt, key).copy_(torch.from_numpy(state[key]))


def engine_state(lock: LockstepTrainer, history_from: list[list[int]], busy_s: float) -> dict:
    """Everything training changes, as numpy arrays and plain values (cheap to pickle).

    ``history_from[k][e]``: how many loss entries of engine k's member e the receiver has.
    """
    engines = []
    for k, eng in enumerate(lock.engines):
        engines.append({
            "G": eng.G.flat.data.numpy().copy(), "D": eng.D.flat.data.numpy().copy(),
            "Enc": None if eng.Enc is None else eng.Enc.flat.data.numpy().copy(),
            "opt_g": _opt_state(eng.opt_g), "opt_d": _opt_state(eng.opt_d), "opt_e": _opt_state(eng.opt_e),
            "gens": [[g.get_state().numpy().copy() for g in gens]
                     for gens in (eng.gen_data, eng.gen_z, eng.gen_mix, eng.gen_enc)],
            "alive": list(eng.alive), "g_steps": list(eng.g_steps), "d_steps": list(eng.d_steps),
            "last_d": list(eng.last_d), "last_g": list(eng.last_g), "diverged": list(eng.diverged),
            "t_train": list(eng.t_train),
            "history": [h[history_from[k][e]:] for e, h in enumerate(eng.history)],
        })
    return {"engines": engines, "busy_s": busy_s}


def load_engine_state(lock: LockstepTrainer, state: dict) -> None:
    """Copy a state from :func:`engine_state` into ``lock`` (whose history is the sender's prefix)."""
    for eng, s in zip(lock.engines, state["engines"]):
        with torch.no_grad():
            eng.G.flat.data.copy_(torch.from_numpy(s["G"]))
            eng.D.flat.data.copy_(torch.from_numpy(s["D"]))
            if eng.Enc is not None:
                eng.Enc.flat.data.copy_(torch.from_numpy(s["Enc"]))
        for opt, key in ((eng.opt_g, "opt_g"), (eng.opt_d, "opt_d"), (eng.opt_e, "opt_e")):
            _load_opt(opt, s[key])
        for gens, states in zip((eng.gen_data, eng.gen_z, eng.gen_mix, eng.gen_enc), s["gens"]):
            for g, st in zip(gens, states):
                g.set_state(torch.from_numpy(st))
        for key in ("alive", "g_steps", "d_steps", "last_d", "last_g", "diverged", "t_train"):
            setattr(eng, key, list(s[key]))
        for h, new in zip(eng.history, s["history"]):
            h.extend(new)


def _history_lengths(lock: LockstepTrainer) -> list[list[int]]:
    return [[len(h) for h in eng.history] for eng in lock.engines]


def _can_continue(lock: LockstepTrainer, max_steps: int) -> bool:
    """Below the step cap, with at least one member that has not diverged."""
    return lock.g_steps < max_steps and not lock.all_diverged


# --------------------------------------------------------------------- the child
def _serve(conn, lock: LockstepTrainer, max_steps: int, allow: int | None, threads: int | None,
           idle_exit_s: float, stall_s: float = STALL_S) -> None:
    """The child's loop: train in short chunks while allowed, answer the parent between chunks."""
    if threads:
        torch.set_num_threads(threads)
    busy = 0.0
    heard = time.monotonic()

    def can_train() -> bool:
        return ((allow is None or allow > 0) and _can_continue(lock, max_steps)
                and time.monotonic() - heard < stall_s)

    try:
        while True:
            if can_train() and not conn.poll(0):
                budget = max_steps - lock.g_steps if allow is None else min(allow, max_steps - lock.g_steps)
                t0 = time.perf_counter()
                done = lock.train(budget, max_seconds=CHUNK_S)
                busy += time.perf_counter() - t0
                if allow is not None:
                    allow -= done
                continue
            if not conn.poll(max(idle_exit_s - (time.monotonic() - heard), 0.0)):
                return  # nothing to do and nobody asking: the page is gone
            msg = conn.recv()
            heard = time.monotonic()
            if msg[0] in ("sync", "stop"):
                _, lengths, grant = msg
                if grant is not None:
                    allow = grant if allow is None else allow + grant
                conn.send(engine_state(lock, lengths, busy))
                if msg[0] == "stop":
                    return
            elif msg[0] == "speed":  # None: as fast as possible; n: n more iterations, then wait
                allow = msg[1]
    except (EOFError, OSError, KeyboardInterrupt):
        return


# --------------------------------------------------------------------- the parent's handle
class BackgroundTrainer:
    """The parent's side: fork a child that trains ``lock``, then pull its state into ``lock``.

    ``lock`` stays the parent's trainer: after every :meth:`sync` it holds the child's state.
    """

    def __init__(self, lock: LockstepTrainer, max_steps: int, threads: int | None = 1,
                 idle_exit_s: float = IDLE_EXIT_S, stall_s: float = STALL_S):
        self.lock = lock
        self.max_steps = int(max_steps)
        self.threads = threads
        self.idle_exit_s = float(idle_exit_s)
        self.stall_s = float(stall_s)
        self.process = None
        self.conn = None
        self._busy_seen = 0.0
        self._lost = False  # the child died or stopped answering
        self.restarts = 0  # children forked again after one was lost
        self._limited = False  # the child may hold a finite allowance (a grant was sent)
        self._pipe = threading.RLock()  # one conversation with the child at a time (see sync, stop)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def _fork(self, allow: int | None) -> None:
        ctx = mp.get_context("fork")
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_serve, args=(child, self.lock, self.max_steps, allow, self.threads, self.idle_exit_s,
                                                        self.stall_s),
                           daemon=True, name="lab-training")
        proc.start()
        child.close()
        self.process, self.conn, self._busy_seen = proc, parent, 0.0
        threading.Thread(target=self._reap_when_done, args=(proc,), daemon=True, name="lab-training-reaper").start()

    def _reap_when_done(self, proc) -> None:
        """Wait for ``proc`` to end, then collect its exit status at once.

        A child that ends by itself (idle exit: the visitor left the page or the tab closed while it
        trained; a crash) stayed ``<defunct>`` until the next sync, which may never come. Waiting
        on its sentinel does not collect the status, so nothing races the page's own calls; the
        join below does, under the pipe lock, and leaves ``process`` in place (the next sync still
        sees a child that ended without being stopped)."""
        mp_connection.wait([proc.sentinel])
        with self._pipe:
            proc.join(timeout=5.0)  # the child is exiting: its sentinel closed a moment before it ends

    def _ask(self, kind: str, grant: int | None) -> dict | None:
        """Send a request and return the child's state, or None if the child is gone."""
        try:
            self.conn.send((kind, _history_lengths(self.lock), grant))
            if not self.conn.poll(ANSWER_TIMEOUT_S):
                raise TimeoutError
            return self.conn.recv()
        except (EOFError, OSError, TimeoutError, BrokenPipeError):
            self._lost = True
            self._reap()
            return None

    def _apply(self, state: dict) -> float:
        load_engine_state(self.lock, state)
        busy = state["busy_s"] - self._busy_seen
        self._busy_seen = state["busy_s"]
        return busy

    def sync(self, grant: int | None = None, wait_s: float = 0.0) -> float:
        """Pull the child's latest state into ``lock`` (forking a child first if none runs).

        ``grant``: ``None`` trains as fast as possible; ``n`` lets the child train n more
        iterations, then wait.  Waits up to ``wait_s`` for at least one new iteration.  Returns
        the child's seconds of training since the last sync.
        """
        with self._pipe:
            return self._sync(grant, wait_s)

    def _sync(self, grant: int | None, wait_s: float) -> float:
        if not self.alive:
            if self._lost or self.process is not None:  # not stopped by us: it died
                self.restarts += 1
            self._lost = False
            self._reap()
            self._fork(grant)
            self._limited = grant is not None
            grant = None if grant is None else 0
        elif grant is None and self._limited:  # back to full speed after slow speeds
            self.conn.send(("speed", None))
            self._limited = False
        elif grant is not None:
            self._limited = True
        deadline = time.perf_counter() + wait_s
        before = self.lock.g_steps
        busy = 0.0
        while True:
            state = self._ask("sync", grant)
            grant = None if grant is None else 0
            if state is None:  # the child died: keep the last state; the next sync forks again
                return busy
            busy += self._apply(state)
            if (self.lock.g_steps > before or not _can_continue(self.lock, self.max_steps)
                    or time.perf_counter() >= deadline):
                return busy
            time.sleep(0.005)

    def stop(self) -> float:
        """Stop the child and take its final state; returns its training seconds since the last sync."""
        with self._pipe:
            return self._stop()

    def _stop(self) -> float:
        busy = 0.0
        if self.alive:
            state = self._ask("stop", None)
            if state is not None:
                busy = self._apply(state)
        self._reap()
        return busy

    def _reap(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        if self.process is not None:
            self.process.join(timeout=1.0)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(timeout=1.0)
        self.process, self.conn = None, None

    def __del__(self):
        try:
            self._reap()
        except Exception:  # interpreter shutdown: nothing left to tidy
            pass


__all__ = ["BackgroundTrainer", "supported", "engine_state", "load_engine_state", "CHUNK_S", "STALL_S",
           "IDLE_EXIT_S"]
