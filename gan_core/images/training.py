"""What the two image trainers (``train_dcgan``, ``train_cyclegan``) share: a run's set-up, the
device rule, the progress bar, checkpoint / resume, the weight average (EMA) and card writing.

A run is a model name, a work folder (``--workdir``, default ``runs/<name>``: checkpoint,
per-epoch pictures, ``losses.json``) and a shipped folder (``--out``, default
``pretrained/<name>``).  Each epoch ends with a checkpoint; starting the same command again
resumes after the last finished epoch (``--fresh`` ignores it).  Batches are seeded per epoch
in both trainers, so a resumed run gives the same weights as an uninterrupted one.
"""
from __future__ import annotations

import json
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPO_ROOT = Path(__file__).resolve().parents[2]


def pick_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA if present, else Apple MPS, else CPU."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device, note: str = "") -> str:
    """The card's ``device``: ``cuda (NVIDIA H200)`` or ``cpu (x86_64, 1 torch threads<note>)``."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name()})"
    return f"{device.type} ({platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads{note})"


@dataclass
class Run:
    """Where a training run reads and writes, and on what it computes."""

    name: str
    workdir: Path
    out: Path
    device: torch.device

    @property
    def checkpoint(self) -> Path:
        return self.workdir / "checkpoint.pt"


def start_run(args, default_name: str) -> Run:
    """Name and folders from ``--name/--workdir/--out``, the device, CPU threads and the seeds."""
    name = args.name or default_name
    run = Run(name=name, workdir=Path(args.workdir or REPO_ROOT / "runs" / name),
              out=Path(args.out or REPO_ROOT / "pretrained" / name), device=pick_device(args.device))
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    return run


def shipped_folder(args, default_name: str) -> Path:
    """``--out`` or ``pretrained/<name>`` (for ``--evaluate-only``, which starts no run)."""
    return Path(args.out or REPO_ROOT / "pretrained" / (args.name or default_name))


def save_checkpoint(run: Run, parts: dict, state: dict) -> None:
    """One file with every part's ``state_dict()`` (networks, optimizers, pools) and ``state`` as JSON."""
    ckpt = {key: part.state_dict() for key, part in parts.items()}
    ckpt["state_json"] = json.dumps(state)
    run.workdir.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, run.checkpoint)


def resume(run: Run, parts: dict, state: dict, fresh: bool = False, fallbacks: dict | None = None) -> dict:
    """Load ``run``'s checkpoint into ``parts`` and return its state; ``state`` when there is none.

    ``fallbacks`` names a key to load when a part is missing from an older checkpoint
    (``{"G_ema": "G"}``: a checkpoint written before the average started has none).
    """
    run.workdir.mkdir(parents=True, exist_ok=True)
    if fresh or not run.checkpoint.is_file():
        return state
    ckpt = torch.load(run.checkpoint, map_location=run.device, weights_only=True)
    for key, part in parts.items():
        part.load_state_dict(ckpt[key] if key in ckpt else ckpt[(fallbacks or {})[key]])
    state = json.loads(ckpt["state_json"])
    print(f"resuming {run.name} from epoch {state['epoch']} ({run.checkpoint})", file=sys.stderr)
    return state


@torch.no_grad()
def update_ema(average: nn.Module, model: nn.Module, decay: float) -> None:
    """``average <- decay * average + (1 - decay) * model`` for every parameter (decay 0 copies).

    Averaging the generator's weights over the last few thousand steps smooths out the
    step-to-step jitter of adversarial training (Karras et al. 2018; Yazici et al. 2019).
    """
    for a, p in zip(average.parameters(), model.parameters()):
        a.mul_(decay).add_(p.detach(), alpha=1.0 - decay)


class Progress:
    """A dependency-free progress bar: redraws in place on a terminal, prints every 10% in a log."""

    def __init__(self, total: int, label: str, stream=sys.stderr):
        self.total, self.label, self.stream = max(total, 1), label, stream
        self.start = time.perf_counter()
        self.tty = stream.isatty()
        self.last_decile = -1

    def update(self, done: int, info: str = "") -> None:
        frac = done / self.total
        elapsed = time.perf_counter() - self.start
        eta = elapsed / frac - elapsed if frac > 0 else float("nan")
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        line = f"{self.label} [{bar}] {done}/{self.total} {elapsed:5.0f} s, eta {eta:5.0f} s {info}"
        if self.tty:
            self.stream.write("\r" + line)
            if done >= self.total:
                self.stream.write("\n")
        elif int(10 * frac) > self.last_decile or done >= self.total:
            self.last_decile = int(10 * frac)
            self.stream.write(line + "\n")
        self.stream.flush()


def command_line(module: str, argv: list[str] | None) -> str:
    """The exact command a card records: ``python -m <module> <argv...>`` (shell-quoted)."""
    return f"python -m {module} " + " ".join(shlex.quote(a) for a in (argv or []))


def load_note(history: list[dict]) -> str:
    """How loaded the (shared) machine was while the epochs' wall times were taken."""
    loads = [h["load_average_1min"] for h in history if "load_average_1min" in h]
    if not loads:
        return "the load of the (shared) machine was not recorded"
    return (f"mean 1-minute load average {np.mean(loads):.1f} on {os.cpu_count()} cores "
            "(the machine was shared), so a quiet machine is faster")


def write_card(out: Path, card: dict, digested: tuple[str, ...]) -> None:
    """Add the sha256 of the ``digested`` files to ``card`` and write ``out/card.json``."""
    from gan_core.images.pretrained import sha256_of

    card["sha256"] = {f: sha256_of(out / f) for f in digested}
    (out / "card.json").write_text(json.dumps(card, indent=2))
    print(f"wrote {out}", file=sys.stderr)


def store_metrics(out: Path, metrics: dict, extra_files: dict | None = None) -> dict:
    """Replace the ``metrics`` of ``out/card.json`` (and add ``extra_files``: name -> description,
    digested) and print them."""
    from gan_core.images.pretrained import sha256_of

    card_path = out / "card.json"
    card = json.loads(card_path.read_text())
    for filename, description in (extra_files or {}).items():
        card["sha256"][filename] = sha256_of(out / filename)
        card["files"][filename.split(".")[0]] = description
    card["metrics"] = metrics
    card_path.write_text(json.dumps(card, indent=2))
    print(json.dumps(metrics, indent=1), file=sys.stderr)
    return metrics


def linear_decay_factor(epoch: int, n_epochs: int, n_epochs_decay: int) -> float:
    """Learning-rate multiplier of the reference ``lr_policy='linear'``.

    Constant 1 for the first ``n_epochs`` epochs, then linearly down towards 0 over
    ``n_epochs_decay`` epochs: ``1 - max(0, epoch - n_epochs) / (n_epochs_decay + 1)``
    (``epoch`` counted from 0).
    """
    return 1.0 - max(0, epoch - n_epochs) / float(n_epochs_decay + 1)


def set_scheduled_lr(optimizers, args, epoch: int) -> float:
    """Set every optimizer's rate for ``epoch``: ``args.lr`` for the first ``args.epochs`` epochs, then
    linearly towards 0 over ``args.epochs_decay`` (:func:`linear_decay_factor`); return the rate."""
    lr = args.lr * linear_decay_factor(epoch, args.epochs, args.epochs_decay)
    for opt in optimizers:
        for group in opt.param_groups:
            group["lr"] = lr
    return lr


def ema_decay_at(args, epoch: int) -> float:
    """The moving average's decay for ``epoch``'s steps: ``args.ema_decay`` from ``args.ema_start`` on,
    0 before it (an update with decay 0 copies the network)."""
    return args.ema_decay if epoch >= args.ema_start else 0.0
