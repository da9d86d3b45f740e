"""Save a lab run to one file and load it back, to continue training or replay its timeline.

The file is a `safetensors <https://github.com/huggingface/safetensors>`_ file: a length, a JSON
header, raw tensors.  Nothing in it is executed on loading (no pickle).  Its metadata holds
``format`` (``"gan-lab-run"``), ``version`` and ``run``: a JSON text with the configurations, labels,
dataset (name, spread, extent; the mode centres are a tensor, so custom points travel too), seed,
step cap, each engine's counters, the timeline frames' steps and metrics, and each member's metric
snapshots.  The tensors are every engine's G, D (and encoder) weights, optimiser moments and
random-generator states, loss histories, the latest snapshot's samples (older snapshots keep their metrics only, an empty (0, 2) array of
points: the page never draws them, and 2500 points per snapshot would make long runs' files
large) and the timeline's points and heatmaps.

Because the random-generator states and optimiser moments are saved, a run saved at step N and
continued ends exactly where the same run trained on without interruption ends (tested).

:func:`load` checks everything before anything is built: size, header size, magic and version,
known keys, known losses and bounded sizes (through :meth:`ToyConfig.validate` plus the bounds
below), finite values, and tensor shapes equal to those of a fresh run of the saved configuration.
Every refusal is an :class:`ArchiveError` whose text can be shown to the visitor as is.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field

import numpy as np

from gan_core.lab.config import ToyConfig
from gan_core.lab.toy2d import Mixture

__all__ = ["ArchiveError", "RunArchive", "save", "load", "restore", "MAX_ARCHIVE_BYTES", "FORMAT", "VERSION"]

FORMAT = "gan-lab-run"
VERSION = 1
#: Largest file accepted (a 4-member run at the step cap with 200 frames is a few MiB).
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
#: Largest safetensors header (JSON) accepted.
MAX_HEADER_BYTES = 8 * 1024 * 1024
#: Bounds on the saved configuration, so that a hostile file cannot make the server build huge networks.
#: (The page's own widgets go up to latent 256, depth 4, width 512, batch 1024, 10 critic steps.)
_BOUNDS = {"latent_dim": 256, "g_depth": 8, "d_depth": 8, "e_depth": 8, "g_width": 1024, "d_width": 1024,
           "e_width": 1024, "batch_size": 4096, "n_critic": 100, "eval_samples": 10_000, "iters": 10_000_000,
           "snapshot_every": 10_000_000}
_MAX_FRAMES = 1000
_MAX_STEPS = 10_000_000
_MAX_CENTRES = 10_000
#: Seconds spent training, on metrics and on views, so that the throughput shown goes on from the saved run.
_WALL = ("train_wall_s", "metric_wall_s", "view_wall_s")
_ENGINE_KEYS = ("alive", "g_steps", "d_steps", "last_d", "last_g", "diverged", "t_train")


class ArchiveError(ValueError):
    """A file that is not a usable saved run; the text says why, in one sentence for the visitor."""


@dataclass
class RunArchive:
    """What :func:`load` read: everything :func:`restore` needs to rebuild the :class:`LabSession`."""

    configs: list
    labels: list
    mixture: Mixture
    seed: int
    max_steps: int
    engines: list  # per engine: dict as gan_core.lab.worker.engine_state makes it (full history)
    frames: list  # dicts: step, steps, fakes, heat, metrics
    snapshots: list  # per member: list of dicts step, samples, d_loss, g_loss, metrics, wall_s
    extra: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- saving
def _opt_tensors(prefix, opt, out):
    if opt is not None:
        for key in ("m", "v", "t"):
            out[f"{prefix}.{key}"] = np.ascontiguousarray(opt[key])


def save(session, max_bytes: int | None = None) -> bytes:
    """The whole run of a :class:`~gan_core.lab.session.LabSession` as the bytes of one file.

    With ``max_bytes`` (e.g. the server's upload limit) the timeline is thinned, every second
    frame dropped with the first and last kept, until the file fits (or two frames remain)."""
    from gan_core.lab import worker

    with session._guard:
        session._stop_worker()
        lock = session.lock
        state = worker.engine_state(lock, [[0] * len(h) for h in (e.history for e in lock.engines)], 0.0)
        tensors, engines = {}, []
        for k, s in enumerate(state["engines"]):
            p = f"engine{k}"
            for net in ("G", "D", "Enc"):
                if s[net] is not None:
                    tensors[f"{p}.{net}"] = s[net]
            for opt in ("opt_g", "opt_d", "opt_e"):
                _opt_tensors(f"{p}.{opt}", s[opt], tensors)
            for g, gens in enumerate(s["gens"]):
                for e, st in enumerate(gens):
                    tensors[f"{p}.gen{g}.{e}"] = st
            for e, hist in enumerate(s["history"]):
                tensors[f"{p}.history{e}"] = np.array([[h["step"], h["d_loss"], h["g_loss"]] for h in hist],
                                                      dtype=np.float64).reshape(-1, 3)
            meta = {key: list(s[key]) for key in _ENGINE_KEYS if key != "diverged"}
            meta["diverged"] = [None if d is None else [int(d.step), str(d.loss), float(d.value)] for d in s["diverged"]]
            meta["last_d"] = [float(v) for v in meta["last_d"]]
            meta["last_g"] = [float(v) for v in meta["last_g"]]
            engines.append(meta)
        snaps = []
        for i, m in enumerate(session.members):
            snaps.append([{"step": int(sn.step), "d_loss": float(sn.d_loss), "g_loss": float(sn.g_loss),
                           "metrics": sn.metrics, "wall_s": float(sn.wall_s)} for sn in m.snapshots])
            if m.snapshots:  # the latest snapshot's points only: the page never shows older ones
                tensors[f"member{i}.snapshot_samples"] = np.asarray(m.snapshots[-1].samples, np.float32)
        kept = list(session.frames)
        mix = session.mixture
        tensors["dataset.centres"] = np.asarray(mix.centres, dtype=np.float64)
        run = {"configs": [c.to_dict() for c in session.configs], "labels": list(session.labels),
               "dataset": {"name": mix.name, "std": float(mix.std), "description": mix.description,
                           "extent": [float(v) for v in mix.extent]},
               "seed": session.seed, "max_steps": session.max_steps, "engines": engines,
               "snapshots": snaps,
               "wall_s": {key: float(getattr(session, key)) for key in _WALL}}
    while True:
        data = _pack(run, tensors, kept)
        if max_bytes is None or len(data) <= max_bytes or len(kept) <= 2:
            return data
        kept = kept[:-1:2] + [kept[-1]]  # thin the timeline as the session does: first and last stay


def _pack(run, tensors, frames) -> bytes:
    from safetensors.numpy import save as st_save

    run = dict(run, frames=[{"step": int(f.step), "steps": [int(v) for v in f.steps], "metrics": f.metrics}
                            for f in frames])
    tensors = dict(tensors)
    tensors["frames.fakes"] = np.stack([np.stack(f.fakes) for f in frames]).astype(np.float32)
    tensors["frames.heat"] = np.stack([np.stack(f.heat) for f in frames]).astype(np.float32)
    text = json.dumps(run, default=_jsonable)
    return st_save(tensors, metadata={"format": FORMAT, "version": str(VERSION), "run": text})


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"cannot save {type(v).__name__}")


# ----------------------------------------------------------------------------- loading
def _header(data: bytes) -> dict:
    """The safetensors header of ``data``, after the size checks (no tensor is read yet)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ArchiveError("The upload is not a file's bytes.")
    n = len(data)
    if n == 0:
        raise ArchiveError("The file is empty.")
    if n > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"The file is {n / 2**20:.1f} MiB; a saved run is at most {MAX_ARCHIVE_BYTES // 2**20} MiB.")
    if n < 10:
        raise ArchiveError("The file is too short to be a saved run (damaged or cut off).")
    (hlen,) = struct.unpack("<Q", bytes(data[:8]))
    if hlen > MAX_HEADER_BYTES:
        raise ArchiveError("This is not a saved lab run: its header claims an impossible size (damaged or not our format).")
    if 8 + hlen > n:
        raise ArchiveError("The file is cut off: it is shorter than its header says (download it again).")
    try:
        head = json.loads(bytes(data[8:8 + hlen]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ArchiveError("This is not a saved lab run (no readable header: perhaps an image, an archive or another format).") from None
    meta = head.get("__metadata__") if isinstance(head, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ArchiveError("This is a safetensors file but not a saved lab run (its metadata does not say gan-lab-run).")
    try:
        end = max((int(v["data_offsets"][1]) for k, v in head.items() if k != "__metadata__"), default=0)
    except (TypeError, KeyError, IndexError, ValueError):
        raise ArchiveError("The file's table of tensors is damaged.") from None
    if 8 + hlen + end > n:
        raise ArchiveError(f"The file is cut off: it has {n} bytes where its header needs {8 + hlen + end} "
                           "(download it again).")
    if meta.get("version") != str(VERSION):
        raise ArchiveError(f"This run was saved in format version {meta.get('version')!r}; this app reads version {VERSION}.")
    return meta


def _tensors(data: bytes) -> dict:
    from safetensors.numpy import load as st_load

    try:
        return st_load(bytes(data))
    except Exception:  # safetensors raises its own error types for every damage
        raise ArchiveError("The file's tensors are damaged (offsets or sizes do not match its header).") from None


def _check_config(d, i) -> ToyConfig:
    if not isinstance(d, dict):
        raise ArchiveError(f"Configuration {i + 1} is not a set of settings.")
    try:
        cfg = ToyConfig.from_dict(d).validate()
        for name, top in _BOUNDS.items():
            v = getattr(cfg, name)
            if not isinstance(v, int) or isinstance(v, bool) or v > top:
                raise ValueError(f"{name} must be a whole number of at most {top}, got {v!r}")
        for name in ("lr_d", "lr_g", "gp_lambda", "lr_final_frac"):
            if not isinstance(getattr(cfg, name), (int, float)) or not math.isfinite(getattr(cfg, name)):
                raise ValueError(f"{name} must be a finite number")
    except ArchiveError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise ArchiveError(f"Configuration {i + 1} in the file is not valid: {exc}.") from None
    return cfg


def _int(v, what, top) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= top:
        raise ArchiveError(f"The file's {what} must be a whole number from 0 to {top}, got {v!r}.")
    return v


def _finite(arr, what) -> np.ndarray:
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ArchiveError(f"The file's {what} contain NaN or infinite values: the run is damaged.")
    return arr


def _mixture(d, centres) -> Mixture:
    if not isinstance(d, dict) or not isinstance(d.get("name"), str) or len(d["name"]) > 100:
        raise ArchiveError("The file's dataset description is missing or not valid.")
    std, extent = d.get("std"), d.get("extent")
    if not isinstance(std, (int, float)) or not (math.isfinite(std) and 0 < std <= 100):
        raise ArchiveError("The file's dataset spread must be a positive finite number.")
    if (not isinstance(extent, list) or len(extent) != 4
            or not all(isinstance(v, (int, float)) and math.isfinite(v) and abs(v) <= 1e6 for v in extent)):
        raise ArchiveError("The file's dataset extent must be four finite numbers.")
    if centres is None or centres.ndim != 2 or centres.shape[1] != 2 or not 1 <= len(centres) <= _MAX_CENTRES:
        raise ArchiveError(f"The file's dataset must have 1 to {_MAX_CENTRES} mode centres of shape (K, 2).")
    _finite(centres, "dataset points")
    if np.abs(centres).max() > 1e6:
        raise ArchiveError("The file's dataset points lie implausibly far out (beyond 1e6).")
    return Mixture(d["name"], centres.astype(np.float64), float(std), str(d.get("description", ""))[:500],
                   tuple(float(v) for v in extent))


def load(data: bytes) -> RunArchive:
    """Read and check a file written by :func:`save`; raise :class:`ArchiveError` for anything wrong."""
    meta = _header(data)
    try:
        run = json.loads(meta.get("run", ""))
    except ValueError:
        raise ArchiveError("The file's run description is not valid JSON (damaged).") from None
    if not isinstance(run, dict):
        raise ArchiveError("The file's run description is not valid.")
    tensors = _tensors(data)
    for key, arr in tensors.items():
        if not key.startswith("engine") or ".history" not in key:
            _finite(arr, key.replace(".", " "))
    configs = run.get("configs")
    if not isinstance(configs, list) or not 1 <= len(configs) <= 4:
        raise ArchiveError("The file must hold 1 to 4 configurations.")
    configs = [_check_config(c, i) for i, c in enumerate(configs)]
    labels = run.get("labels")
    if not isinstance(labels, list) or len(labels) != len(configs) or not all(isinstance(s, str) and len(s) <= 200 for s in labels):
        raise ArchiveError("The file needs one short text label per configuration.")
    mixture = _mixture(run.get("dataset"), tensors.get("dataset.centres"))
    seed = _int(run.get("seed"), "seed", 2**63 - 1)
    max_steps = _int(run.get("max_steps"), "step cap", _MAX_STEPS)
    if max_steps < 1:
        raise ArchiveError("The file's step cap must be at least 1.")
    frames = _frames(run.get("frames"), tensors, len(configs))
    snapshots = _snapshots(run.get("snapshots"), tensors, configs)
    engines = run.get("engines")
    if not isinstance(engines, list) or not 1 <= len(engines) <= len(configs):
        raise ArchiveError("The file's engine records are missing.")
    wall = run.get("wall_s")
    if not isinstance(wall, dict) or not all(isinstance(wall.get(k), (int, float)) and math.isfinite(wall[k])
                                             and 0 <= wall[k] <= 1e9 for k in _WALL):
        raise ArchiveError("The file's timings must be finite non-negative numbers of seconds.")
    return RunArchive(configs, labels, mixture, seed, max_steps, engines, frames, snapshots,
                      {"tensors": tensors, "wall_s": {k: float(wall[k]) for k in _WALL}})


def _metrics(m, what):
    if m is None:
        return None
    if not isinstance(m, dict) or len(m) > 20 or not all(isinstance(k, str) for k in m):
        raise ArchiveError(f"The file's {what} metrics are not valid.")
    for v in m.values():
        ok = (isinstance(v, (int, float)) and not isinstance(v, bool)) or (
            isinstance(v, list) and len(v) <= _MAX_CENTRES and all(isinstance(x, (int, float)) for x in v))
        if not ok:
            raise ArchiveError(f"The file's {what} metrics must be numbers.")
    return m


def _frames(frames, tensors, n_members) -> list:
    fakes, heat = tensors.get("frames.fakes"), tensors.get("frames.heat")
    if not isinstance(frames, list) or not 1 <= len(frames) <= _MAX_FRAMES or fakes is None or heat is None:
        raise ArchiveError(f"The file must hold 1 to {_MAX_FRAMES} timeline frames.")
    from gan_core.lab.session import FRAME_GRID, FRAME_POINTS

    if fakes.shape != (len(frames), n_members, FRAME_POINTS, 2) or heat.shape != (len(frames), n_members, FRAME_GRID, FRAME_GRID):
        raise ArchiveError("The file's timeline pictures do not match its number of frames and configurations.")
    out = []
    for j, f in enumerate(frames):
        if not isinstance(f, dict) or not isinstance(f.get("steps"), list) or len(f["steps"]) != n_members \
                or not isinstance(f.get("metrics"), list) or len(f["metrics"]) != n_members:
            raise ArchiveError(f"Timeline frame {j + 1} in the file is not valid.")
        out.append({"step": _int(f.get("step"), "frame step", _MAX_STEPS),
                    "steps": [_int(v, "frame step", _MAX_STEPS) for v in f["steps"]],
                    "fakes": list(fakes[j]), "heat": list(heat[j]),
                    "metrics": [_metrics(m, "frame") for m in f["metrics"]]})
    return out


def _snapshots(snaps, tensors, configs) -> list:
    if not isinstance(snaps, list) or len(snaps) != len(configs):
        raise ArchiveError("The file needs one list of metric snapshots per configuration.")
    out = []
    for i, (lst, cfg) in enumerate(zip(snaps, configs)):
        if not isinstance(lst, list) or len(lst) > 100_000:
            raise ArchiveError(f"The snapshots of configuration {i + 1} are not valid.")
        samples = tensors.get(f"member{i}.snapshot_samples")
        if lst and (samples is None or samples.shape != (cfg.eval_samples, 2)):
            raise ArchiveError(f"The snapshot samples of configuration {i + 1} do not match its settings.")
        none = np.zeros((0, 2), np.float32)
        rows = []
        for j, s in enumerate(lst):
            if not isinstance(s, dict) or not all(isinstance(s.get(k), (int, float)) for k in ("d_loss", "g_loss", "wall_s")):
                raise ArchiveError(f"Snapshot {j + 1} of configuration {i + 1} is not valid.")
            rows.append({"step": _int(s.get("step"), "snapshot step", _MAX_STEPS), "samples": samples if j == len(lst) - 1 else none,
                         "d_loss": float(s["d_loss"]), "g_loss": float(s["g_loss"]),
                         "metrics": _metrics(s.get("metrics"), "snapshot") or {}, "wall_s": float(s["wall_s"])})
        out.append(rows)
    return out


# ----------------------------------------------------------------------------- restoring
def _engine_state(k, meta, tensors, want) -> dict:
    """Engine k's state from the file, checked against ``want`` (a fresh engine's state)."""
    p = f"engine{k}"
    if not isinstance(meta, dict):
        raise ArchiveError(f"Engine {k + 1}'s record in the file is not valid.")
    E = len(want["alive"])
    s = {}
    for key in _ENGINE_KEYS:
        v = meta.get(key)
        if not isinstance(v, list) or len(v) != E:
            raise ArchiveError(f"Engine {k + 1}'s {key} must list one value per configuration.")
        s[key] = v
    try:
        s["alive"] = [bool(v) for v in s["alive"]]
        s["g_steps"] = [_int(v, "step count", _MAX_STEPS) for v in s["g_steps"]]
        s["d_steps"] = [_int(v, "step count", 100 * _MAX_STEPS) for v in s["d_steps"]]
        s["last_d"], s["last_g"], s["t_train"] = ([float(v) for v in s[key]] for key in ("last_d", "last_g", "t_train"))
    except ArchiveError:
        raise
    except (TypeError, ValueError):
        raise ArchiveError(f"Engine {k + 1}'s counters in the file are not numbers.") from None
    from gan_core.lab.engine import Divergence

    div = []
    for d in s["diverged"]:
        if d is None:
            div.append(None)
        elif (isinstance(d, list) and len(d) == 3 and d[1] in ("d_loss", "g_loss")
              and isinstance(d[2], (int, float))):
            div.append(Divergence(_int(d[0], "divergence step", _MAX_STEPS), d[1], float(d[2])))
        else:
            raise ArchiveError(f"Engine {k + 1}'s divergence record in the file is not valid.")
    s["diverged"] = div

    def tensor(name, like):
        arr = tensors.get(f"{p}.{name}")
        if arr is None or arr.shape != like.shape or arr.dtype != like.dtype:
            got = "missing" if arr is None else f"{arr.dtype} {tuple(arr.shape)}"
            raise ArchiveError(f"The file's {p}.{name} is {got}, but the saved settings need "
                               f"{like.dtype} {tuple(like.shape)}: weights and configuration do not match.")
        return arr.copy()

    for net in ("G", "D", "Enc"):
        s[net] = None if want[net] is None else tensor(net, want[net])
    for opt in ("opt_g", "opt_d", "opt_e"):
        s[opt] = None if want[opt] is None else {key: tensor(f"{opt}.{key}", want[opt][key]) for key in ("m", "v", "t")}
    s["gens"] = [[tensor(f"gen{g}.{e}", st) for e, st in enumerate(gens)] for g, gens in enumerate(want["gens"])]
    hist = []
    for e in range(E):
        h = tensors.get(f"{p}.history{e}")
        if h is None or h.ndim != 2 or h.shape[1] != 3 or len(h) > _MAX_STEPS:
            raise ArchiveError(f"The file's loss history of engine {k + 1} is missing or not (n, 3).")
        hist.append([{"step": int(r[0]), "d_loss": float(r[1]), "g_loss": float(r[2])} for r in h])
    s["history"] = hist
    return s


def restore(archive: RunArchive, *, background: bool = False, threads: int | None = 1):
    """A :class:`~gan_core.lab.session.LabSession` in the state the archive describes (on the CPU)."""
    from gan_core.lab import worker
    from gan_core.lab.engine import Snapshot
    from gan_core.lab.session import Frame, LabSession

    try:
        session = LabSession(archive.configs, archive.labels, archive.mixture, seed=archive.seed, device="cpu",
                             max_steps=archive.max_steps, background=background, threads=threads)
    except ValueError as exc:
        raise ArchiveError(f"The saved run cannot be rebuilt: {exc}.") from None
    lock = session.lock
    if len(archive.engines) != len(lock.engines):
        raise ArchiveError("The file's engines do not match its configurations (damaged or edited).")
    want = worker.engine_state(lock, [[0] * len(e.history) for e in lock.engines], 0.0)["engines"]
    tensors = archive.extra["tensors"]
    states = [_engine_state(k, meta, tensors, w) for k, (meta, w) in enumerate(zip(archive.engines, want))]
    try:
        worker.load_engine_state(lock, {"engines": states})
    except (RuntimeError, ValueError) as exc:  # e.g. a random-generator state torch refuses
        raise ArchiveError(f"The file's training state cannot be loaded: {exc}.") from None
    for m, snaps in zip(session.members, archive.snapshots):
        m.snapshots[:] = [Snapshot(s["step"], np.asarray(s["samples"], np.float32), s["d_loss"], s["g_loss"],
                                   s["metrics"], s["wall_s"]) for s in snaps]
    for key, value in archive.extra["wall_s"].items():
        setattr(session, key, value)
    session.frames = [Frame(f["step"], f["steps"], f["fakes"], f["heat"], f["metrics"]) for f in archive.frames]
    return session
