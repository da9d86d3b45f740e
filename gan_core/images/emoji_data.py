"""Emoji images for ``cyclegan-emoji``: Google Noto emoji (domain A) and Twitter Twemoji (domain B).

Source: the npm packages ``emoji-datasource-google`` and ``emoji-datasource-twitter``
(iamcal/emoji-data, v16), files ``img/<set>/64/<code points>.png`` (64x64 RGBA).  Install them
outside the app's run-time path, e.g.::

    mkdir -p data_cache/emoji && cd data_cache/emoji && npm install emoji-datasource-google emoji-datasource-twitter

Licences: Noto emoji graphics Apache-2.0 (Google); Twemoji graphics CC-BY 4.0 (Twitter, Inc
and other contributors, https://github.com/twitter/twemoji).  The package metadata is MIT.

Both sets draw the same code points, so a translated Noto emoji has a *true* Twemoji
counterpart.  Those pairs are used for evaluation only: code points are split by a hash of
their base sequence (skin-tone variants of one emoji stay on the same side), 10% held out; for
training, each domain's images are shuffled independently, so the model never sees a pair.

Images are composited on white (alpha is dropped) and downsampled to 32x32 with a box filter
(area average).  Only the training script needs this module; the app ships a gallery.
"""
from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ROOT = REPO_ROOT / "data_cache" / "emoji" / "node_modules"
SETS = {"a": ("emoji-datasource-google", "google"), "b": ("emoji-datasource-twitter", "twitter")}
SKIN_TONES = {"1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"}
IMAGE_SIZE = 32
HELD_OUT_FRACTION = 0.1
LICENCES = {
    "a": "Google Noto emoji graphics, Apache License 2.0 (npm emoji-datasource-google 16.0.0)",
    "b": "Twitter Twemoji graphics, CC-BY 4.0, (c) Twitter, Inc and other contributors "
         "(npm emoji-datasource-twitter 16.0.0)",
}


def image_dir(domain: str, root: Path = DEFAULT_ROOT) -> Path:
    package, name = SETS[domain]
    return Path(root) / package / "img" / name / "64"


def shared_codes(root: Path = DEFAULT_ROOT) -> list[str]:
    """File stems (code point sequences like ``1f600`` or ``1f44d-1f3fd``) drawn in both sets."""
    a, b = image_dir("a", root), image_dir("b", root)
    if not a.is_dir() or not b.is_dir():
        raise FileNotFoundError(
            f"emoji images not found under {root}; run: mkdir -p data_cache/emoji && cd data_cache/emoji "
            "&& npm install emoji-datasource-google emoji-datasource-twitter"
        )
    stems_a = {p.stem for p in a.glob("*.png")}
    stems_b = {p.stem for p in b.glob("*.png")}
    return sorted(stems_a & stems_b)


def base_sequence(code: str) -> str:
    """The code sequence without skin-tone modifiers, so variants share a split bucket."""
    return "-".join(part for part in code.split("-") if part not in SKIN_TONES)


def is_held_out(code: str, fraction: float = HELD_OUT_FRACTION) -> bool:
    return zlib.crc32(base_sequence(code).encode()) % 1000 < fraction * 1000


def split_codes(codes: list[str], fraction: float = HELD_OUT_FRACTION) -> tuple[list[str], list[str]]:
    """(training codes, held-out codes), deterministic."""
    held = [c for c in codes if is_held_out(c, fraction)]
    train = [c for c in codes if not is_held_out(c, fraction)]
    return train, held


def emoji_names(root: Path = DEFAULT_ROOT) -> dict[str, str]:
    """Code sequence (lower case, file stem) -> human name from ``emoji.json``."""
    path = Path(root) / SETS["a"][0] / "emoji.json"
    names = {}
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return names
    for entry in entries:
        name = (entry.get("name") or entry.get("short_name") or "").lower()
        names[entry["image"].rsplit(".", 1)[0].lower()] = name
        for variant in (entry.get("skin_variations") or {}).values():
            names[variant["image"].rsplit(".", 1)[0].lower()] = name + " (skin tone)"
    return names


def composite_on_white(image: Image.Image, size: int = IMAGE_SIZE) -> np.ndarray:
    """RGBA (any mode) -> uint8 (3, size, size): alpha-composited on white, box-downsampled."""
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(white, rgba).convert("RGB")
    if rgb.size != (size, size):
        rgb = rgb.resize((size, size), Image.BOX)
    return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1).copy()


def load_images(domain: str, codes: list[str], root: Path = DEFAULT_ROOT, size: int = IMAGE_SIZE) -> np.ndarray:
    """uint8 (n, 3, size, size) of ``codes`` from domain ``"a"`` (Noto) or ``"b"`` (Twemoji)."""
    directory = image_dir(domain, root)
    out = np.empty((len(codes), 3, size, size), np.uint8)
    for k, code in enumerate(codes):
        with Image.open(directory / f"{code}.png") as image:
            out[k] = composite_on_white(image, size)
    return out


def load_split(split: str = "train", root: Path = DEFAULT_ROOT, size: int = IMAGE_SIZE, cache: bool = True):
    """``(images_a, images_b, codes)`` for ``split`` in ``{"train", "test"}``.

    Rows of ``images_a`` and ``images_b`` are the *same* code points (paired); the trainer
    shuffles each domain independently, so only evaluation uses the pairing.  Cached as
    ``data_cache/emoji/emoji_<split>_<size>.npz``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    cache_path = Path(root).parent / f"emoji_{split}_{size}.npz"
    if cache and cache_path.is_file():
        data = np.load(cache_path)
        return data["a"], data["b"], [str(c) for c in data["codes"]]
    train, held = split_codes(shared_codes(root))
    codes = train if split == "train" else held
    a = load_images("a", codes, root, size)
    b = load_images("b", codes, root, size)
    if cache:
        np.savez_compressed(cache_path, a=a, b=b, codes=np.array(codes))
    return a, b, codes
