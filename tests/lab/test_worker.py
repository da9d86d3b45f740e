"""The lab's background training (gan_core.lab.worker): a forked child trains, the parent pulls its state."""
import os
import time

import numpy as np
import pytest

from gan_core.lab import worker as lab_worker
from gan_core.lab.session import LabSession
from gan_core.lab.config import lab_defaults
from gan_core.lab.trainer import LockstepTrainer

pytestmark = pytest.mark.skipif(not lab_worker.supported("cpu"), reason="needs os.fork")


def tiny(loss="non-saturating", **kw):
    base = dict(g_depth=1, g_width=8, d_depth=1, d_width=8, batch_size=32, eval_samples=200)
    base.update(kw)
    return lab_defaults(loss, **base)


def test_a_run_trained_in_the_child_ends_exactly_where_one_process_ends():
    configs = [tiny("wgan-gp"), tiny("minimax"), tiny("lsgan", bigan=True, latent_dim=2)]
    background = LabSession(configs, None, "ring8", seed=4, device="cpu", background=True)
    alone = LabSession(configs, None, "ring8", seed=4, device="cpu")
    assert background.worker is not None and alone.worker is None
    background.start()
    for _ in range(6):
        background.advance(0.5, max_iters=5)
    background.pause()  # brings the final state home and stops the child
    assert not background.worker.alive and background.step > 0
    alone.start()
    alone.advance(60, max_iters=background.step)
    assert alone.step == background.step and alone.d_step == background.d_step
    for a, b in zip(background.members, alone.members):
        np.testing.assert_array_equal(a.sample(300), b.sample(300))
        assert a.history == b.history
    # and it goes on from there in this process (single steps after a pause)
    background.step_both()
    alone.step_both()
    np.testing.assert_array_equal(background.members[0].sample(300), alone.members[0].sample(300))


def test_full_speed_keeps_training_between_refreshes_and_pause_stops_it():
    s = LabSession([tiny()], None, "ring8", seed=0, device="cpu", background=True)
    s.start()
    s.advance(0.5)
    first = s.step
    time.sleep(0.3)  # the page draws meanwhile; the child does not wait for it
    s.advance(0.5)
    assert s.step > first > 0
    assert s.throughput()["train_s"] > 0.2
    s.pause()
    paused = s.step
    time.sleep(0.2)
    s.advance(0.5)  # not running: nothing moves
    assert s.step == paused


def test_a_killed_child_is_replaced_from_the_last_state_received():
    s = LabSession([tiny()], None, "ring8", seed=0, device="cpu", background=True)
    s.start()
    s.advance(0.5)
    before = s.step
    s.worker.process.kill()
    s.worker.process.join()
    s.advance(0.5)  # notices, forks a new child from the parent's state
    s.advance(0.5)
    assert s.step > before and s.worker.restarts == 1
    s.pause()


def test_slow_speeds_train_only_their_grant_and_full_speed_lifts_it():
    lock = LockstepTrainer([tiny()], "ring8", seed=0, device="cpu")
    worker = lab_worker.BackgroundTrainer(lock, max_steps=10**6)
    try:
        for _ in range(3):
            worker.sync(grant=2, wait_s=2.0)
        time.sleep(0.5)
        worker.sync(grant=0)
        assert lock.g_steps == 6  # three grants of 2, nothing more however long the child waits
        worker.sync(wait_s=2.0)  # full speed: the allowance is lifted ...
        time.sleep(0.5)
        worker.sync()
        assert lock.g_steps > 6 + 5  # ... and the child trains on between requests
    finally:
        worker.stop()


def test_an_abandoned_child_exits_by_itself():
    lock = LockstepTrainer([tiny()], "ring8", seed=0, device="cpu")
    worker = lab_worker.BackgroundTrainer(lock, max_steps=10**6, idle_exit_s=0.5)
    worker.sync(wait_s=0.5)
    assert worker.alive
    deadline = time.time() + 5
    while worker.process.is_alive() and time.time() < deadline:
        time.sleep(0.1)
    assert not worker.process.is_alive()


def _proc_state(pid: int) -> str | None:
    """The state letter of ``pid`` in /proc (Z: ended, not yet collected), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
def test_a_child_that_ends_by_itself_is_reaped_without_another_call():
    # The page stops asking (the visitor left the lab while it trained): the child exits after
    # idle_exit_s, and must not stay <defunct> until the page's next call, which may never come.
    lock = LockstepTrainer([tiny()], "ring8", seed=0, device="cpu")
    worker = lab_worker.BackgroundTrainer(lock, max_steps=10**6, idle_exit_s=0.3)
    worker.sync(wait_s=0.5)
    pid = worker.process.pid
    assert _proc_state(pid) not in (None, "Z")
    deadline = time.time() + 15
    while _proc_state(pid) is not None and time.time() < deadline:
        time.sleep(0.1)  # no call on the worker meanwhile: only its own reaper may collect the child
    assert _proc_state(pid) is None, f"the child is still there, state {_proc_state(pid)}"
    worker.sync(wait_s=0.5)  # and the next refresh forks a new child from the last state, as before
    assert worker.alive and worker.restarts == 1
    worker.stop()


def test_the_step_cap_and_divergence_reach_the_parent():
    s = LabSession([tiny(), tiny("hinge", optimizer="sgd", lr_d=1e12, lr_g=1e12)], None, "ring8", seed=0,
                   device="cpu", max_steps=40, background=True)
    s.start()
    deadline = time.time() + 30
    while s.running and time.time() < deadline:
        s.advance(0.5)
    assert not s.running and s.step == 40 and s.at_cap
    assert s.members[1].diverged is not None and s.members[0].diverged is None
    assert not s.worker.alive


def test_a_child_trains_only_while_it_is_asked():
    """A closed tab stops asking: the child stops training after STALL_S, freeing the CPU."""
    lock = LockstepTrainer([tiny()], "ring8", seed=0, device="cpu")
    worker = lab_worker.BackgroundTrainer(lock, max_steps=10**6, stall_s=0.5)
    worker.sync(wait_s=0.5)
    time.sleep(2.0)  # nobody asks
    trained = worker.sync()  # the child's training seconds since the first sync
    assert trained < 1.0, trained
    worker.stop()


def test_pause_from_another_thread_while_the_live_loop_advances_is_clean_and_final():
    # Streamlit runs a click (Pause) in a new thread while the interrupted run's thread may still be
    # in its live loop calling advance(): the two must not talk to the child's pipe at once, and an
    # advance() that comes after the pause must not fork a new child.
    import threading

    s = LabSession([tiny()], None, "ring8", seed=0, device="cpu", background=True)
    s.start()
    errors, stop = [], threading.Event()

    def live_loop():
        try:
            while not stop.is_set():
                s.advance(0.02)
        except Exception as exc:  # noqa: BLE001  (the test reports it)
            errors.append(repr(exc))

    loops = [threading.Thread(target=live_loop, daemon=True) for _ in range(2)]
    for t in loops:
        t.start()
    time.sleep(1.0)
    for _ in range(3):  # pause repeatedly while the loops keep calling advance()
        s.pause()
        s.start()
        time.sleep(0.3)
    s.pause()
    paused_at = s.step
    time.sleep(0.5)  # the loops keep calling advance() on a paused run
    stop.set()
    for t in loops:
        t.join(10)
    assert not any(t.is_alive() for t in loops), "a loop is stuck (a garbled conversation with the child)"
    assert errors == []
    assert not s.running and not s.worker.alive and s.step == paused_at > 0
