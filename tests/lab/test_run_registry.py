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


# ------------------------------------------------------------------ the waiting line (issue 17)

def test_a_full_server_gives_places_in_line_first_come_first_served():
    reg = RunRegistry(max_runs=2, clock=FakeClock())
    assert reg.request("a") == 0 and reg.request("b") == 0
    assert [reg.request(r) for r in ("c", "d", "e")] == [1, 2, 3]
    assert reg.request("d") == 2 and reg.place("e") == 3 and reg.place("a") is None
    reg.release("a")
    # The freed slot is c's: d and e, and a newcomer outside the line, cannot take it.
    assert reg.request("e") == 3 and reg.request("d") == 2
    assert not reg.acquire("newcomer") and reg.place("newcomer") is None
    assert reg.request("c") == 0 and reg.holds("c")
    assert reg.place("d") == 1 and reg.place("e") == 2 and reg.waiting() == 2


def test_leaving_the_line_moves_the_others_up_and_release_also_leaves():
    reg = RunRegistry(max_runs=1, clock=FakeClock())
    assert reg.request("a") == 0
    assert [reg.request(r) for r in ("b", "c", "d")] == [1, 2, 3]
    reg.leave("b")
    assert reg.place("c") == 1 and reg.place("d") == 2
    reg.release("c")  # Reset while waiting
    assert reg.place("d") == 1 and reg.waiting() == 1


def test_a_closed_tab_drops_out_of_the_line_after_the_stale_time():
    clock = FakeClock()
    reg = RunRegistry(max_runs=1, stale_after_s=15, clock=clock)
    assert reg.request("a") == 0
    assert reg.request("gone") == 1 and reg.request("b") == 2
    for _ in range(4):  # a and b keep asking, "gone" does not
        clock.now += 5
        reg.heartbeat("a")
        reg.request("b")
    assert reg.place("gone") is None and reg.place("b") == 1
    reg.release("a")
    assert reg.request("b") == 0


def test_two_free_slots_go_to_the_first_two_in_line():
    reg = RunRegistry(max_runs=2, clock=FakeClock())
    assert reg.request("a") == 0 and reg.request("b") == 0
    assert [reg.request(r) for r in ("c", "d", "e")] == [1, 2, 3]
    reg.release("a")
    reg.release("b")
    assert reg.request("e") == 3          # third in line: both free slots are due to c and d
    assert reg.request("d") == 0 and reg.request("c") == 0
    assert reg.active() == 2 and reg.place("e") == 1


def test_waiting_runs_start_once_each_in_line_order_and_never_above_the_cap():
    """Eight visitors queue for two slots; each thread polls until its turn, 'trains' briefly, releases."""
    reg = RunRegistry(max_runs=2)
    started, lock = [], threading.Lock()
    running, peak = [0], [0]

    def visitor(name: str) -> None:
        while reg.request(name) != 0:
            threading.Event().wait(0.002)
        with lock:
            started.append(name)
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        threading.Event().wait(0.03)
        with lock:
            running[0] -= 1
        reg.release(name)

    names = [f"v{i}" for i in range(8)]
    assert [reg.request(n) for n in names] == [0, 0, 1, 2, 3, 4, 5, 6]  # the line, in a known order
    threads = [threading.Thread(target=visitor, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(started) == names and len(started) == len(set(started))  # every run once, none twice
    assert peak[0] <= 2
    # The line kept its order: with two slots, a run can only overtake the one just before it (two
    # slots freed together go to the first two in line, whose threads then record in either order).
    order = {name: started.index(name) for name in names}
    assert all(order[names[i]] < order[names[j]] for i in range(8) for j in range(i + 2, 8))
    assert reg.active() == 0 and reg.waiting() == 0
