"""The lab's training configuration: :class:`ToyConfig`, the lab's product defaults and the presets.

* :class:`ToyConfig`: everything that defines one run (the data and the seed aside), with
  :meth:`ToyConfig.validate` naming a bad setting in a sentence.
* :func:`lab_defaults`: the lab page's (and the CLI's) default configuration per loss and
  dataset: the paper defaults of :data:`gan_core.lab.losses.LOSSES`, then the lab's measured
  deviations (``_LAB_OVERRIDES``), then per-dataset defaults (``_DATASET_DEFAULTS``,
  ``_LOSS_DATASET_DEFAULTS``).  Change a default here.
* :data:`PRESETS` / :func:`preset`: named configurations worth showing.
* The latent prior (:func:`draw_latent`, :func:`latent_span`).

The engine that trains a configuration is :mod:`gan_core.lab.engine`; the facades the lab
and scripts use are :mod:`gan_core.lab.trainer`; the CLI is :mod:`gan_core.lab.toy_train`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch

from gan_core.lab import metrics as _metrics
from gan_core.lab.losses import get_loss
from gan_core.lab.nets import ACTIVATIONS

__all__ = ["ToyConfig", "LATENT_DISTS", "draw_latent", "latent_span", "lab_defaults", "PRESETS",
           "preset", "preset_description", "as_config"]

#: Priors of the latent code z (ToyConfig.latent_dist).
LATENT_DISTS = ("gaussian", "uniform")


def draw_latent(n: int, dim: int, dist: str, generator: torch.Generator) -> torch.Tensor:
    """``n`` latent codes of size ``dim`` from the prior ``dist`` (see ``ToyConfig.latent_dist``)."""
    if dist == "uniform":
        return torch.rand(n, dim, generator=generator) * 2 - 1
    return torch.randn(n, dim, generator=generator)


def latent_span(dist: str) -> float:
    """Half-width of the latent square the manifold view draws: 3 standard deviations of N(0, 1),
    or the whole support [-1, 1] of the uniform prior."""
    return 1.0 if dist == "uniform" else 3.0


@dataclass(frozen=True)
class ToyConfig:
    """Everything that defines one training configuration (the data and the seed aside).

    Attributes
    ----------
    loss : str
        Key of :data:`gan_core.lab.losses.LOSSES`.
    latent_dim : int
        Size of the latent code z.
    latent_dist : str
        The prior of z: ``"gaussian"`` (N(0, I), the usual choice) or ``"uniform"``
        (independent coordinates uniform on [-1, 1], as GAN Lab offers).
    g_depth, g_width, d_depth, d_width : int
        Hidden layers and units of the generator and of the discriminator / critic.
    activation : str
        Hidden activation of every network (:data:`gan_core.lab.nets.ACTIVATIONS`).
    batch_size : int
        Real and fake points per step.
    optimizer : str
        ``"adam"``, ``"rmsprop"`` or ``"sgd"`` (both networks).
    lr_d, lr_g : float
        Learning rates.
    betas : tuple
        Adam's (beta1, beta2); for RMSprop beta2 is the smoothing constant alpha.
    n_critic : int
        Discriminator steps per generator step.
    clip : float or None
        Weight-clipping bound c for the critic (WGAN), None for no clipping.
    gp_lambda : float
        Gradient-penalty weight (WGAN-GP), 0 for none.
    bigan : bool
        Train a BiGAN: add an encoder E(x) -> z, and D judges (x, z) pairs.
    e_depth, e_width : int
        Encoder shape (BiGAN only).
    encoder : str
        BiGAN only: ``"gaussian"`` (the encoder outputs a mean and a standard deviation and the
        real pair's code is drawn from them) or ``"deterministic"`` (Donahue et al.'s E(x));
        see :mod:`gan_core.lab.bigan` for why the lab uses the first.
    snapshot_every : int
        Generator steps between automatic snapshots (0: none).
    eval_samples : int
        Generated points per snapshot (2500 in the VEEGAN / PacGAN protocol).
    iters : int
        Suggested training length in generator iterations (the CLI's and the lab's
        default) and the horizon of the learning-rate decay; the trainer runs as many
        iterations as it is asked.
    lr_final_frac : float
        Learning rates decay linearly from their value at step 0 to ``lr_final_frac``
        times it at generator step ``iters``, then stay there (1.0: constant rates).
        Gulrajani et al. 2017 decay linearly to 0 in their CIFAR-10 code; a decayed rate
        lets the generator settle into sharp modes instead of jittering around them.
    """

    loss: str = "wgan-gp"
    latent_dim: int = 2
    latent_dist: str = "gaussian"
    g_depth: int = 3
    g_width: int = 64
    d_depth: int = 3
    d_width: int = 64
    activation: str = "relu"
    batch_size: int = 256
    optimizer: str = "adam"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    betas: tuple = (0.5, 0.9)
    n_critic: int = 1
    clip: float | None = None
    gp_lambda: float = 0.0
    bigan: bool = False
    e_depth: int = 3
    e_width: int = 64
    encoder: str = "gaussian"
    snapshot_every: int = 500
    eval_samples: int = _metrics.PROTOCOL_SAMPLES
    iters: int = 3000
    lr_final_frac: float = 1.0

    def validate(self) -> "ToyConfig":
        """Return self, or raise ``ValueError`` with a sentence naming the bad setting."""
        get_loss(self.loss)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {sorted(ACTIVATIONS)}")
        if self.latent_dist not in LATENT_DISTS:
            raise ValueError(f"unknown latent distribution {self.latent_dist!r}; choose gaussian or uniform")
        if self.encoder not in ("gaussian", "deterministic"):
            raise ValueError(f"unknown encoder {self.encoder!r}; choose gaussian or deterministic")
        if self.optimizer not in ("adam", "rmsprop", "sgd"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose adam, rmsprop or sgd")
        for name in ("latent_dim", "batch_size", "n_critic", "eval_samples", "iters"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("g_depth", "d_depth", "e_depth", "snapshot_every"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("g_width", "d_width", "e_width"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("lr_d", "lr_g"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive number, got {v}")
        if self.optimizer in ("adam", "rmsprop"):
            b1, b2 = self.betas
            if not (0 <= b1 < 1 and 0 <= b2 < 1):
                raise ValueError(f"betas must lie in [0, 1), got {self.betas}")
        if self.clip is not None and not (self.clip > 0):
            raise ValueError(f"clip must be positive or None, got {self.clip}")
        if not (0 <= self.lr_final_frac <= 1):
            raise ValueError(f"lr_final_frac must lie in [0, 1], got {self.lr_final_frac}")
        if not (self.gp_lambda >= 0):
            raise ValueError(f"gp_lambda must be >= 0, got {self.gp_lambda}")
        return self

    def arch_key(self) -> tuple:
        """Settings that must agree for configurations to share one stacked engine."""
        return (self.latent_dim, self.g_depth, self.g_width, self.d_depth, self.d_width,
                self.activation, self.batch_size, self.bigan,
                (self.e_depth, self.e_width, self.encoder) if self.bigan else None)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas) if self.betas is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ToyConfig":
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown config keys {sorted(unknown)}")
        d = dict(d)
        if d.get("betas") is not None:
            d["betas"] = tuple(d["betas"])
        return cls(**d)


# --- lab defaults ---------------------------------------------------------------------------
#
# The lab trains live in a browser on a 2-core CPU, so every loss shares one small
# architecture: G and D are 3 x 64 ReLU MLPs, 2-D latent, batch 256.  (The WGAN-GP toy code
# uses 3 x 512 (Gulrajani et al. 2017, their toy-data script); 64 units keep a G step at a few ms.
# They suffice for sharp ring8 modes; on grid25 they find most of the 25 modes but put
# only ~10-25 % of samples within 3 std of one, so grid25 has wider networks, below.)
# Optimiser settings start from each paper's (gan_core.lab.losses.LOSSES) and deviate only
# where stated and measured.

_LAB_OVERRIDES = {
    # DCGAN's Adam (2e-4, beta1 0.5) is the paper setting; the lab uses 1e-3, the rate
    # the project's first design study measured for the plain GAN (ring8: 8/8 modes, 85-93 % HQ
    # in ~9 s), so that visitors see a result in seconds.
    "minimax": dict(lr_d=1e-3, lr_g=1e-3, betas=(0.5, 0.999)),
    "non-saturating": dict(lr_d=1e-3, lr_g=1e-3, betas=(0.5, 0.999)),
    # Arjovsky et al.'s RMSProp 5e-5 needs tens of thousands of steps; 10x faster keeps the
    # same algorithm (RMSProp, c = 0.01, 5 critic steps) watchable.
    "wgan-clip": dict(lr_d=5e-4, lr_g=5e-4),
    # Deviations from Gulrajani et al. 2017 (Algorithm 1: Adam 1e-4 (0, 0.9), lambda 10,
    # n_critic 5), measured on ring8 / grid25, seed 0 (docs/mode_table.md has all seeds):
    # * Adam 1e-3 instead of 1e-4, beta1 0.5 as in their toy-data code: at 1e-4 the
    #   generator is still blurry after 3000 steps (~60 % high quality on ring8, measured in the first design study).
    # * the rates decay linearly to 5 % over the run (their CIFAR-10 code decays to 0):
    #   without decay, high quality on ring8 swung between 34 and 69 % from one snapshot to
    #   the next (the generator jitters around the modes); with it, 84 % at step 3000.
    # * lambda 1 (toy code 0.1, paper 10): on ring8 with decay, lambda 1 reached 60 % high
    #   quality by step 1000 and 84 % at 3000.
    # * 3 critic steps per generator step instead of 5: on ring8 (1500 iterations, seeds
    #   0, 1, 2) 8/8 modes each and 73.2 / 58.7 / 66.8 % high quality, against 67.7 / 58.6 /
    #   67.8 % with 5, at 40 % less compute, so a run fits the lab's 15-second budget; on
    #   grid25 (seed 0) 25/25 modes and 14.6 % against 11.9 %.  With 2, seed 1 fell to 57 %.
    "wgan-gp": dict(lr_d=1e-3, lr_g=1e-3, betas=(0.5, 0.9), gp_lambda=1.0, n_critic=3,
                    lr_final_frac=0.05),
    "lsgan": dict(lr_d=1e-3, lr_g=1e-3, betas=(0.5, 0.999)),
    "hinge": dict(lr_d=1e-3, lr_g=1e-3, betas=(0.5, 0.999)),
}

# Per-dataset defaults, where they differ from the shared ones above:
# * grid25, every loss (_DATASET_DEFAULTS): G and D 3 x 128 and 6000 iterations.  The grid's
#   25 modes (std 0.05, 2 apart) need sharper cuts between modes than 64 units make.  Measured with wgan-gp, seed 0
#   (high-quality share at the end; every run found all 25 modes):
#   64 units: 14.6 % after 3000 iterations, 26.5 % after 6000;  128 units: 28.9 % after 3000,
#   84.8 % after 6000;  256 units: 74.1 % after 3000, 92.2 % after 6000 at ~3x the cost per
#   iteration of 128.  (The learning-rate decay spans the whole run, so the first half of a
#   6000-iteration run is not the 3000-iteration run.)
# * ring8, wgan-gp only (_LOSS_DATASET_DEFAULTS): 1500 iterations.  Its three critic steps per
#   iteration cost ~3x a plain GAN's; 1500 keep a run near the lab's 15-second budget on 2 CPU cores.
_DATASET_DEFAULTS = {"grid25": dict(g_width=128, d_width=128, iters=6000)}
_LOSS_DATASET_DEFAULTS = {("wgan-gp", "ring8"): dict(iters=1500)}

# BiGAN (bigan=True), every loss: a Gaussian encoder, a joint discriminator and an encoder of 3 x 128
# units, rates decaying to 5 % over 5000 iterations.  Measured on ring8 with the non-saturating
# loss (docs/bigan.md, scripts/bigan_study.py): the deterministic encoder of the shared defaults
# maps each mode to one point and ends with 1-6 of 8 modes and under 4 % high quality; the Gaussian
# one with 64-unit networks reached 8/8 and 48.6 / 47.7 % (seeds 0, 1); a 128-unit joint
# discriminator (it judges 4-D pairs) 8/8 and 62.8 % for seed 0.  A 128-unit encoder alone did not
# help (8/8, 9.4 % at step 4000).
_BIGAN_DEFAULTS = dict(encoder="gaussian", d_width=128, e_width=128, lr_final_frac=0.05, iters=5000)


def lab_defaults(loss_name: str, dataset: str | None = None, **overrides) -> ToyConfig:
    """The lab page's default configuration for ``loss_name`` (also the CLI's defaults).

    Starts from the paper defaults in :data:`gan_core.lab.losses.LOSSES`, applies the lab's
    documented deviations, then the dataset's own defaults (``_DATASET_DEFAULTS``: network width
    and run length for grid25; ``_LOSS_DATASET_DEFAULTS``: wgan-gp's shorter ring8 run), then, when
    ``overrides`` ask for a BiGAN, the BiGAN's (``_BIGAN_DEFAULTS``), then ``overrides`` (any
    :class:`ToyConfig` field).
    """
    spec = get_loss(loss_name)
    d = dict(spec.defaults)
    d["betas"] = tuple(d["betas"]) if d.get("betas") is not None else (0.5, 0.99)
    if d["optimizer"] == "rmsprop":
        d["betas"] = (0.0, 0.99)  # beta2 holds RMSprop's alpha; PyTorch default 0.99
    d.update(_LAB_OVERRIDES.get(loss_name, {}))
    d.update(_DATASET_DEFAULTS.get(dataset, {}))
    d.update(_LOSS_DATASET_DEFAULTS.get((loss_name, dataset), {}))
    if overrides.get("bigan"):
        d.update(_BIGAN_DEFAULTS)
    d.update(overrides)
    return ToyConfig(loss=loss_name, **d).validate()


#: Named configurations worth showing.  ``collapse``: the Unrolled-GAN paper's ring setup
#: (Metz et al. 2017, sec. 3.1 / appendix A: latent 256, G 2 x 128, D 1 x 128, Adam
#: lr_G 1e-3, lr_D 1e-4, batch 512) with the original saturating loss; the first design study
#: measured 0-1 ring modes after 5000 steps for seeds 0-2.  Here (seeds 0, 1, 2): 0, 1 and 1 modes
#: at step 5000, never more than 2 at any 500-step snapshot.  Run with 5000 iterations.
PRESETS = {
    "collapse": dict(
        dataset="ring8", iters=5000, seeds=(0, 1, 2),
        config=dict(loss="minimax", latent_dim=256, g_depth=2, g_width=128, d_depth=1,
                    d_width=128, batch_size=512, lr_g=1e-3, lr_d=1e-4, betas=(0.5, 0.999),
                    n_critic=1, activation="relu")),
    # BiGAN at its defaults (_BIGAN_DEFAULTS) with the loss it was designed with: D's cross-entropy,
    # G and E trained on flipped labels (Donahue et al. 2017, sec. 3.4).  docs/bigan.md.
    "bigan": dict(dataset="ring8", iters=5000, seeds=(0, 1, 2), config=dict(loss="non-saturating", bigan=True)),
}


def preset(name: str) -> tuple[ToyConfig, str, int]:
    """``(config, dataset name, iterations)`` of a named preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    p = PRESETS[name]
    cfg = lab_defaults(p["config"]["loss"], iters=p["iters"],
                       **{k: v for k, v in p["config"].items() if k != "loss"})
    return cfg, p["dataset"], p["iters"]


def preset_description(name: str) -> str | None:
    """What a preset does, in words, with figures from its measured runs (None where none are recorded)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    if name == "bigan":
        from gan_core.lab.bigan import description
        return description()
    from gan_core.lab.collapse import description
    return description()


def as_config(config) -> ToyConfig:
    """A validated :class:`ToyConfig` from a config, a dict of its fields, a loss name or None (wgan-gp)."""
    if config is None:
        return lab_defaults("wgan-gp")
    if isinstance(config, ToyConfig):
        return config.validate()
    if isinstance(config, str):
        return lab_defaults(config)
    if isinstance(config, dict):
        return ToyConfig.from_dict(config).validate()
    raise ValueError(f"config must be a ToyConfig, a dict or a loss name, got {type(config).__name__}")



def parse_overrides(pairs) -> dict:
    """``["e_width=128", "loss='minimax'"]`` -> ``{"e_width": 128, "loss": "minimax"}``: the
    ``--set key=value`` overrides of the study scripts; a value that is no Python literal stays text."""
    import ast

    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            raise ValueError(f"expected key=value, got {pair!r}")
        try:
            out[key.strip()] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key.strip()] = text
    return out
