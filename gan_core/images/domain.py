"""Train a CycleGAN task's *domain classifier*: a small CNN that tells domain A from domain B.

It judges translations (:mod:`gan_core.images.image_metrics`): a CycleGAN translates when its
G_ab(a) are taken for B images and its G_ba(b) for A images.  Trained on the task's training
images only (both domains, label 0 for A and 1 for B), measured on the held-out ones, which the
CycleGAN never sees either.  The network and the loop are the evaluation classifiers' own
(:class:`gan_core.images.classifier.SmallCNN`, :func:`~gan_core.images.classifier.train_classifier`).

Usage (from the repo root; the same data as ``train_cyclegan --task <task>``)::

    python -m gan_core.images.domain --task digits    # -> pretrained/classifier-digits-domain/
    python -m gan_core.images.domain --task emoji     # -> pretrained/classifier-emoji-domain/

``train_cyclegan`` (and its ``--evaluate-only``) then finds it by name.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from gan_core.images import classifier, training
from gan_core.images.cyclegan_data import TASKS, load_task
from gan_core.images.image_data import to_signed

#: Epochs (digits: 9,090 training images; emoji: 2 x 3,348).
EPOCHS = 3
#: Random shifts of up to this many pixels: digits sit at varying places; emoji fill their frame
#: on a white background, which a shift would border with black.
SHIFT = {"digits": 2}


def domain_dataset(task: str, split: str, seed: int = 0, limit: int | None = None):
    """Images of both domains in [-1, 1] with labels 0 (A) and 1 (B)."""
    data = load_task(task, split, seed, limit)
    x = torch.cat([to_signed(data["a"]), to_signed(data["b"])])
    y = torch.cat([torch.zeros(len(data["a"]), dtype=torch.int64), torch.ones(len(data["b"]), dtype=torch.int64)])
    return x, y


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(TASKS), required=True)
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images per domain")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    p.add_argument("--out", default=None, help="default pretrained/classifier-<task>-domain")
    return p.parse_args(argv)


def main(argv=None) -> Path:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs = args.epochs
    out = Path(args.out or training.REPO_ROOT / "pretrained" / f"classifier-{args.task}-domain")
    x, y = domain_dataset(args.task, "train", args.seed, args.limit)
    xt, yt = domain_dataset(args.task, "test", args.seed)
    t0 = time.perf_counter()
    device = training.pick_device(args.device)
    model = classifier.train_classifier(x, y, epochs, args.seed, shift=SHIFT.get(args.task, 0),
                                        log=lambda m: print(m, file=sys.stderr, flush=True), device=device,
                                        classes=2)
    wall = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")},
              str(out / "classifier.safetensors"))
    card = domain_card(out.name, args, argv, model, epochs, wall, device, (x, y), (xt, yt))
    training.write_card(out, card, ("classifier.safetensors",))
    print(card["metrics"], file=sys.stderr)
    return out


def domain_card(name: str, args, argv: list[str], model: classifier.SmallCNN, epochs: int, wall: float,
                device: torch.device, train: tuple, test: tuple) -> dict:
    """``card.json`` of a domain classifier (``kind: classifier``, loadable by ``pretrained.load``)."""
    domains = TASKS[args.task]["domains"]
    (x, y), (xt, yt) = train, test
    predicted = model.predict(xt)
    per_domain = {d: round(float((predicted[yt == k] == k).double().mean()), 4) for k, d in enumerate(domains)}
    return {
        "name": name,
        "kind": "classifier",
        "title": f"Domain classifier for the CycleGAN task {args.task}: {domains[0]} (0) vs {domains[1]} (1)",
        "architecture": {"family": "SmallCNN: 3 x (conv3x3-BN-ReLU-maxpool), linear -> 128 features, "
                                   "dropout 0.3, linear 128 -> 2",
                         "channels": int(x.shape[1]), "classes": 2, "width": model.width,
                         "feature_dim": model.feature_dim, "parameters": sum(p.numel() for p in model.parameters())},
        "training": {"command": training.command_line("gan_core.images.domain", argv),
                     "epochs": epochs, "batch_size": 128, "optimizer": "Adam lr 1e-3, cosine decay",
                     "augmentation": f"random shifts of up to {SHIFT.get(args.task, 0)} pixels", "seed": args.seed,
                     "wall_time_s": round(wall, 3), "device": training.describe_device(device),
                     "torch": torch.__version__},
        "data": {"task": args.task, "classes": list(domains),
                 "training_images": {d: int((y == k).sum()) for k, d in enumerate(domains)},
                 "test_images": {d: int((yt == k).sum()) for k, d in enumerate(domains)},
                 "split": "the CycleGAN task's own training / held-out split (train_cyclegan --task "
                          f"{args.task}); the held-out images are never trained on"},
        "files": {"classifier": "classifier.safetensors"},
        "metrics": {"test_accuracy": round(classifier.accuracy(model, xt, yt), 4),
                    "train_accuracy": round(classifier.accuracy(model, x, y), 4),
                    "test_accuracy_per_domain": per_domain,
                    "test_share_of_majority_domain": round(float(np.bincount(yt.numpy()).max() / len(yt)), 4)},
    }


if __name__ == "__main__":
    main()
