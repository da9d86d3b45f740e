"""A BiGAN's encoder: its output (a point, or a Gaussian drawn by reparameterisation) and how
well it inverts the generator.

Encoders (``ToyConfig.encoder``)
--------------------------------
``"deterministic"``
    E(x) is the network's output, as in Donahue et al. 2017.
``"gaussian"``
    The network outputs a mean and a log standard deviation per latent coordinate, and the
    real pair's code is ``z = mu(x) + sigma(x) * eps`` with eps ~ N(0, I) (the reparameterised
    stochastic encoder of ALI, Dumoulin et al. 2017, the concurrent twin of BiGAN).  On ring8,
    whose eight modes have std 0.01, a deterministic E must stretch each mode 100-fold to cover
    its share of N(0, I); it never does in a lab-length run and maps each mode to a point, which
    lets the discriminator tell real pairs from fake ones by z alone (docs/bigan.md).  The
    Gaussian encoder covers the prior with sigma instead.  ``E(x)`` shown on the page and used to
    reconstruct is the mean.

A BiGAN (Donahue et al. 2017, "Adversarial Feature Learning") trains an encoder E next
to the generator G; at the game's optimum E and G invert each other (their Theorem 2):
``G(E(x)) = x`` for data x.  :func:`reconstruction` measures how close a trained pair
comes, against the baseline of an encoder that knows nothing about x: the distance from
x to ``G(z)`` for an independent prior draw z.  On ring8 (radius 1) that baseline is
about the mean distance between two points of the ring (~1.2); an encoder that finds
each point's mode brings ``G(E(x))`` within a few hundredths of x.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

__all__ = ["ENCODERS", "encoder_outputs", "encode", "reconstruction", "RECORD", "describe", "description"]

#: Encoder kinds (ToyConfig.encoder).
ENCODERS = ("gaussian", "deterministic")
#: Bounds of the Gaussian encoder's log standard deviation (exp(-10) ~ 5e-5, exp(3) ~ 20).
LOG_SIGMA_MIN, LOG_SIGMA_MAX = -10.0, 3.0


def encoder_outputs(encoder: str, latent_dim: int) -> int:
    """Output units of the encoder network: the code, or its mean and log standard deviation."""
    return 2 * latent_dim if encoder == "gaussian" else latent_dim


def encode(net, x: torch.Tensor, encoder: str, flat: torch.Tensor | None = None,
           noise: torch.Tensor | None = None) -> torch.Tensor:
    """The code of points ``x`` (E, B, 2) under the stacked encoder ``net`` (weights ``flat``).

    Deterministic: the output.  Gaussian: ``mu + sigma * noise`` when ``noise`` (E, B, latent)
    is given (training), else the mean ``mu``.
    """
    h = net(x, flat)
    if encoder != "gaussian":
        return h
    d = h.shape[-1] // 2
    mu = h[..., :d]
    if noise is None:
        return mu
    return mu + torch.exp(h[..., d:].clamp(LOG_SIGMA_MIN, LOG_SIGMA_MAX)) * noise


def reconstruction(trainer, n: int = 2500, seed: int = 0) -> dict:
    """Mean ``||G(E(x)) - x||`` over ``n`` fresh data points x, and the same for a random z.

    Parameters
    ----------
    trainer : Trainer
        A BiGAN run (``config.bigan`` true).
    n : int
        Data points drawn (from ``seed``, not from the training streams).
    seed : int
        Seeds the data points and the random latents.

    Returns
    -------
    dict with ``encoded`` (mean ``||G(E(x)) - x||``), ``random`` (mean ``||G(z) - x||``,
    z from the prior, one per x), ``ratio`` (encoded / random: 0 is perfect inversion,
    about 1 is an encoder no better than chance), ``same_mode`` (fraction of x whose
    ``G(E(x))`` lies nearest to x's own mode centre) and ``n``.
    """
    from gan_core.lab.metrics import nearest_centre
    from gan_core.lab.config import draw_latent

    if not trainer.config.bigan:
        raise ValueError("this configuration has no encoder; set bigan=True")
    if int(n) < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    x = trainer.dataset.sample(int(n), np.random.default_rng(seed)).astype(np.float32)
    cfg = trainer.config
    z = draw_latent(int(n), cfg.latent_dim, cfg.latent_dist, torch.Generator().manual_seed(int(seed)))
    eng, i = trainer._engine, trainer._i
    x_rec = eng._generate(i, torch.from_numpy(trainer.encode(x))).float().cpu().numpy()
    x_rand = eng._generate(i, z).float().cpu().numpy()
    encoded = np.linalg.norm(x_rec - x, axis=1)
    random = np.linalg.norm(x_rand - x, axis=1)
    centres = trainer.dataset.centres
    same = nearest_centre(x_rec, centres)[0] == nearest_centre(x, centres)[0]
    return {"encoded": float(encoded.mean()), "random": float(random.mean()),
            "ratio": float(encoded.mean() / random.mean()) if random.mean() > 0 else float("nan"),
            "same_mode": float(same.mean()), "n": int(n)}


#: The measured runs of the BiGAN defaults (written by scripts/bigan_study.py).
RECORD = Path(__file__).resolve().parents[2] / "docs" / "bigan_study.json"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _span(values: list[float]) -> str:
    lo, hi = f"{min(values):.2f}", f"{max(values):.2f}"
    return lo if lo == hi else f"{lo}–{hi}"


def describe(records: list[dict]) -> str:
    """The BiGAN preset's description (ring8), its figures taken from the last study record."""
    runs = sorted(records[-1]["runs"], key=lambda r: r["seed"])
    seeds, modes = _join([str(r["seed"]) for r in runs]), _join([str(r["modes"]) for r in runs])
    quality = _join([f"{100 * r['high_quality']:.0f} %" for r in runs])
    enc = _span([r["reconstruction"]["encoded"] for r in runs])
    rnd = _span([r["reconstruction"]["random"] for r in runs])
    return (
        "BiGAN (Donahue et al. 2017): an encoder E maps each data point to a code, and the discriminator judges "
        "pairs, (x, E(x)) against (G(z), z), so that G and E must become each other's inverse. Here the "
        "encoder is Gaussian and the joint discriminator has 3 × 128 units. Measured from the command line "
        f"after {runs[0]['iters']:,} steps ({'seed' if len(runs) == 1 else 'seeds'} {seeds}): {modes} of the "
        f"ring's 8 modes covered and {quality} of the samples on a mode; a data point's reconstruction "
        f"G(E(x)) lies on average {enc} from it, against {rnd} for a random code.")


def description(path: Path = RECORD) -> str | None:
    """:func:`describe` of the recorded study (None when the record is missing or unreadable)."""
    try:
        return describe(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
