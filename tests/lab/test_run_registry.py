"""The server-wide cap on concurrent lab runs: slots, heartbeats, reclaiming, configuration."""
import threading

import pytest

from gan_core.lab.run_registry import (DEFAULT_MAX_RUNS, DEFAULT_MAX_STEPS, DEFAULT_STALE_S, RunRegistry,
                                   settings_from_env)


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_full_server_refuses_a_new_run_and_a_release_frees_its_slot():
    reg = RunRegistry(max_runs=2, clock=FakeClock())
    assert reg.acquire("a") and reg.acquire("b")
    assert not reg.acquire("c")
    assert reg.active() == 2 and reg.free() == 0
    reg.release("a")
    assert reg.acquire("c")
    assert reg.holds("c") and not reg.holds("a")


def test_acquiring_twice_holds_one_slot():
    reg = RunRegistry(max_runs=1, clock=FakeClock())
    assert reg.acquire("a") and reg.acquire("a")
    assert reg.active() == 1


def test_a_run_without_heartbeat_is_reclaimed_after_the_stale_time():
    clock = FakeClock()
    reg = RunRegistry(max_runs=1, stale_after_s=15, clock=clock)
    assert reg.acquire("closed-tab")
    clock.now += 14.9
    assert not reg.acquire("newcomer")
    clock.now += 0.2  # 15.1 s after the last heartbeat
    assert reg.acquire("newcomer")
    assert not reg.holds("closed-tab")


def test_heartbeats_keep_a_long_run_alive():
    clock = FakeClock()
    reg = RunRegistry(max_runs=1, stale_after_s=15, clock=clock)
    reg.acquire("long")
    for _ in range(10):  # 100 s of training, a heartbeat every 10 s
        clock.now += 10
        assert reg.heartbeat("long")
    assert not reg.acquire("other")


def test_a_reclaimed_run_gets_its_slot_back_if_one_is_free():
    clock = FakeClock()
    reg = RunRegistry(max_runs=1, stale_after_s=5, clock=clock)
    reg.acquire("sleepy")
    clock.now += 60  # e.g. a background tab whose timers were throttled
    assert reg.heartbeat("sleepy")


def test_concurrent_sessions_never_exceed_the_cap():
    reg = RunRegistry(max_runs=4)
    results = []
    barrier = threading.Barrier(20)

    def visitor(i):
        barrier.wait()
        results.append(reg.acquire(f"session-{i}"))

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 4
    assert reg.active() == 4


def test_settings_come_from_the_environment_with_safe_fallbacks():
    s = settings_from_env({"GAN_LAB_MAX_RUNS": "2", "GAN_LAB_MAX_STEPS": "500", "GAN_LAB_STALE_S": "3.5"})
    assert s == {"max_runs": 2, "max_steps": 500, "stale_after_s": 3.5}
    bad = settings_from_env({"GAN_LAB_MAX_RUNS": "many", "GAN_LAB_MAX_STEPS": "-3", "GAN_LAB_STALE_S": ""})
    assert bad == {"max_runs": DEFAULT_MAX_RUNS, "max_steps": DEFAULT_MAX_STEPS, "stale_after_s": DEFAULT_STALE_S}


def test_invalid_registry_settings_are_rejected():
    with pytest.raises(ValueError):
        RunRegistry(max_runs=0)
    with pytest.raises(ValueError):
        RunRegistry(stale_after_s=0)
