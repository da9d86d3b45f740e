"""Tools shared by the lessons' small 1-D critics (the f-GAN bound, the Wasserstein critic).

* :func:`mlp`: the network, 1 -> hidden (-> hidden) -> 1 in float64, seeded;
* :func:`single_thread` and :func:`one_thread`: run torch on one thread, under the trainer's lock;
* :class:`TrainingThread`: advance a trainer in a daemon thread while a page polls it;
* :func:`preload_torch`: import torch in the page's own thread, after the page is drawn.

``torch`` is never imported at module level: a trainer passes its ``torch`` module in.
"""
from __future__ import annotations

import functools
import math
import threading
import time
from contextlib import contextmanager


@contextmanager
def single_thread(torch):
    """Run torch on one thread inside the block, then restore the previous setting.

    Why: these networks are tiny (a few thousand weights on ~1000 points).  On a shared
    2-core machine under load, torch's default of 2 intra-op threads made one such step
    ~100x slower (213 ms vs 2 ms measured here), because the threads wait on each other.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def one_thread(method):
    """Run a trainer method under its ``_lock`` and :func:`single_thread` (every call that touches the network).

    The trainer must have ``_lock`` (a ``threading.RLock``: a :class:`TrainingThread` steps
    while the page reads) and ``_torch`` (the torch module).
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock, single_thread(self._torch):
            return method(self, *args, **kwargs)

    return wrapper


def mlp(torch, hidden: int, generator, activation: str = "tanh", depth: int = 2):
    """1 -> hidden (-> hidden) -> 1, float64, PyTorch's default uniform init drawn from ``generator``."""
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]
    layers, width_in = [], 1
    for _ in range(depth):
        layers += [torch.nn.Linear(width_in, hidden), act()]
        width_in = hidden
    layers.append(torch.nn.Linear(width_in, 1))
    net = torch.nn.Sequential(*layers).double()
    with torch.no_grad():
        for module in net:
            if isinstance(module, torch.nn.Linear):
                bound = 1.0 / math.sqrt(module.in_features)
                module.weight.uniform_(-bound, bound, generator=generator)
                module.bias.uniform_(-bound, bound, generator=generator)
    return net


class TrainingThread:
    """Advance a trainer to the end in a daemon thread, so training never waits on the page.

    The page builds the trainer first, in its own script thread: that is where ``torch`` is
    first imported (importing it from a second thread while scipy runs in the first can
    leave scipy looking at a half-imported module).  The page then polls :attr:`trainer`
    from an ``st.fragment``; the trainer's lock makes each read see a whole step.  No
    Streamlit call ever happens in this thread.

    Why a thread and not chunks run by the fragment itself: on a loaded 2-core machine the
    browser's fragment timer and the chart redraws took seconds per chunk, so a 1.6 s
    training needed ~25 s to finish in the browser; here it advances between polls too.
    """

    def __init__(self, trainer, steps_per_chunk: int = 20):
        self.trainer = trainer
        self.error: str | None = None
        self._cancelled = threading.Event()
        self._steps = steps_per_chunk
        self.started = time.perf_counter()
        self.finished: float | None = None
        self._thread = threading.Thread(target=self._run, name="lesson-training", daemon=True)
        self._thread.start()

    def _run(self):
        try:
            while not self._cancelled.is_set() and not self.trainer.advance(max_steps=self._steps, max_seconds=1e9):
                pass
        except Exception as exc:  # shown to the visitor by the page, never a traceback
            self.error = f"{type(exc).__name__}: {exc}"
        self.finished = time.perf_counter()

    @property
    def seconds(self) -> float:
        """Wall time of the training so far (or in total, once finished), in seconds."""
        return (self.finished or time.perf_counter()) - self.started

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def cancel(self) -> None:
        self._cancelled.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


class StepCounter:
    """What both live trainers say about their length: ``step_count`` out of ``total_steps``."""

    step_count: int
    total_steps: int

    @property
    def done(self) -> bool:
        return self.step_count >= self.total_steps

    @property
    def progress(self) -> float:
        return min(self.step_count / self.total_steps, 1.0)


def run_steps(trainer, one_step, max_steps: int, max_seconds: float) -> bool:
    """The training loop both live trainers share: ``one_step()`` up to ``max_steps`` times (fewer
    if ``max_seconds`` pass or ``trainer.done``), counting ``trainer.step_count``; every 10th step
    and the last one are recorded (``trainer.record()``).  A step that returns False was skipped
    (an overflow the trainer handled): counted, not recorded, no time check.  Returns ``trainer.done``."""
    start = time.perf_counter()
    n = 0
    while not trainer.done and n < max_steps:
        completed = one_step()
        trainer.step_count += 1
        n += 1
        if not completed:
            continue
        if trainer.step_count % 10 == 0 or trainer.done:
            trainer.record()
        if time.perf_counter() - start > max_seconds:
            break
    return trainer.done


def preload_torch() -> None:
    """Import torch now, in the calling (script) thread.

    A page calls this as its *last* line: everything is already on screen, and the
    seconds the first import takes are spent while the visitor reads, not after they
    press Train.  Never from a second thread (see :class:`TrainingThread`).
    """
    import torch  # noqa: F401
