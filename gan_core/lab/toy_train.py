"""Stepwise GAN trainer for 2-D mixtures, lockstep side-by-side training, and a CLI.

Typical use (the lab page calls this in small chunks)::

    from gan_core.lab.toy_train import Trainer, lab_defaults
    tr = Trainer(lab_defaults("wgan-gp"), "ring8", seed=0, device="auto")
    tr.train(200)                 # 200 iterations = 200 x (n_critic D steps + 1 G step)
    tr.step(n_d=1, n_g=0)         # or exactly one discriminator step
    snap = tr.snapshot()          # generated points, losses, metrics at this step
    tr.history, tr.snapshots, tr.diverged

    lock = LockstepTrainer([lab_defaults(l) for l in ("minimax", "wgan-gp")], "ring8", seed=0)
    lock.train(200); lock[0].snapshot()

Design
------
* All models of a lockstep group live in stacked tensors (:class:`gan_core.lab.nets.StackedMLP`)
  and are updated by one stacked optimiser, so E configurations cost little more than one.
  A single :class:`Trainer` is the same engine with E = 1.
* Every configuration owns its random streams (weights of G, D, E; data; latent codes;
  gradient-penalty mixing), all derived from its seed, drawn on the CPU.  A configuration
  therefore sees exactly the same numbers whether it trains alone or next to others, and
  on CPU or GPU.
* Configurations with different numbers of critic steps share the loop: at D sub-step k
  only the configurations with ``n_critic > k`` update (a mask), the others skip.
* Snapshots use a fixed set of evaluation latents, so successive snapshots show the same
  latent points moving, and taking snapshots never changes the training streams.

CLI::

    python -m gan_core.lab.toy_train --dataset ring8 --loss wgan-gp --iters 3000 --seed 0 \\
        --device auto --json out.json --samples out.npy
    python -m gan_core.lab.toy_train --preset collapse --seed 0 --samples collapse0.npy
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import torch

from gan_core.lab import metrics as _metrics
from gan_core.lab.losses import LOSSES, get_loss, gradient_penalty
from gan_core.lab.nets import ACTIVATIONS, StackedMLP
from gan_core.lab.toy2d import Mixture, make_dataset

__all__ = ["ToyConfig", "lab_defaults", "PRESETS", "preset", "Trainer", "LockstepTrainer",
           "Snapshot", "Divergence", "resolve_device", "main"]

#: Loss magnitude beyond which a run counts as diverged, even if still finite.
DIVERGENCE_LIMIT = 1e6
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
                (self.e_depth, self.e_width) if self.bigan else None)

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
# uses 3 x 512 (Gulrajani et al. 2017, DESIGN.md); 64 units keep a G step at a few ms.
# They suffice for sharp ring8 modes; on grid25 they find most of the 25 modes but put
# only ~10-25 % of samples within 3 std of one, so grid25 has wider networks, below.)
# Optimiser settings start from each paper's (gan_core.lab.losses.LOSSES) and deviate only
# where stated and measured.

_LAB_OVERRIDES = {
    # DCGAN's Adam (2e-4, beta1 0.5) is the paper setting; the lab uses 1e-3, the rate
    # the design notes measured (DESIGN.md: ring8, 8/8 modes, 85-93 % HQ in ~9 s for the
    # plain GAN), so that visitors see a result in seconds.
    "minimax": dict(lr_d=1e-3, lr_g=1e-3, betas=(0.5, 0.999)),
    "non-saturating": dict(lr_d=1e-3, lr_g=1e-3, betas=(0.5, 0.999)),
    # Arjovsky et al.'s RMSProp 5e-5 needs tens of thousands of steps; 10x faster keeps the
    # same algorithm (RMSProp, c = 0.01, 5 critic steps) watchable.
    "wgan-clip": dict(lr_d=5e-4, lr_g=5e-4),
    # Deviations from Gulrajani et al. 2017 (Algorithm 1: Adam 1e-4 (0, 0.9), lambda 10,
    # n_critic 5), measured on ring8 / grid25, seed 0 (docs/mode_table.md has all seeds):
    # * Adam 1e-3 instead of 1e-4, beta1 0.5 as in their toy-data code: at 1e-4 the
    #   generator is still blurry after 3000 steps (~60 % high quality on ring8, DESIGN.md).
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


def lab_defaults(loss_name: str, dataset: str | None = None, **overrides) -> ToyConfig:
    """The lab page's default configuration for ``loss_name`` (also the CLI's defaults).

    Starts from the paper defaults in :data:`gan_core.lab.losses.LOSSES`, applies the lab's
    documented deviations, then the dataset's own defaults (``_DATASET_DEFAULTS``: network width
    and run length for grid25; ``_LOSS_DATASET_DEFAULTS``: wgan-gp's shorter ring8 run), then
    ``overrides`` (any :class:`ToyConfig` field).
    """
    spec = get_loss(loss_name)
    d = dict(spec.defaults)
    d["betas"] = tuple(d["betas"]) if d.get("betas") is not None else (0.5, 0.99)
    if d["optimizer"] == "rmsprop":
        d["betas"] = (0.0, 0.99)  # beta2 holds RMSprop's alpha; PyTorch default 0.99
    d.update(_LAB_OVERRIDES.get(loss_name, {}))
    d.update(_DATASET_DEFAULTS.get(dataset, {}))
    d.update(_LOSS_DATASET_DEFAULTS.get((loss_name, dataset), {}))
    d.update(overrides)
    return ToyConfig(loss=loss_name, **d).validate()


#: Named configurations worth showing.  ``collapse``: the Unrolled-GAN paper's ring setup
#: (Metz et al. 2017, sec. 3.1 / appendix A: latent 256, G 2 x 128, D 1 x 128, Adam
#: lr_G 1e-3, lr_D 1e-4, batch 512) with the original saturating loss; DESIGN.md measured
#: 0-1 ring modes after 5000 steps for seeds 0-2.  Here (seeds 0, 1, 2): 0, 1 and 1 modes
#: at step 5000, never more than 2 at any 500-step snapshot.  Run with 5000 iterations.
PRESETS = {
    "collapse": dict(
        dataset="ring8", iters=5000, seeds=(0, 1, 2),
        config=dict(loss="minimax", latent_dim=256, g_depth=2, g_width=128, d_depth=1,
                    d_width=128, batch_size=512, lr_g=1e-3, lr_d=1e-4, betas=(0.5, 0.999),
                    n_critic=1, activation="relu")),
}


def preset(name: str) -> tuple[ToyConfig, str, int]:
    """``(config, dataset name, iterations)`` of a named preset."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    p = PRESETS[name]
    cfg = lab_defaults(p["config"]["loss"], iters=p["iters"],
                       **{k: v for k, v in p["config"].items() if k != "loss"})
    return cfg, p["dataset"], p["iters"]


# --- small records ----------------------------------------------------------------------------

@dataclass
class Divergence:
    """Where a run blew up: the generator step, which loss, and its value."""

    step: int
    loss: str  # "d_loss" or "g_loss"
    value: float

    def message(self) -> str:
        return (f"Training stopped at step {self.step}: the {'discriminator' if self.loss == 'd_loss' else 'generator'}"
                f" loss became {self.value:.4g}. Lower the learning rate and try again.")


@dataclass
class Snapshot:
    """The state of one configuration at one generator step.

    ``samples`` are generated from the run's fixed evaluation latents (float32, (n, 2)).
    ``metrics`` holds ``modes_captured``, ``n_modes``, ``high_quality`` (fraction),
    ``reverse_kl`` (nats) and ``w1`` (data units, exact assignment on 500 points).
    """

    step: int
    samples: np.ndarray
    d_loss: float
    g_loss: float
    metrics: dict
    wall_s: float


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` -> CUDA if available, else CPU; ``"cpu"``, ``"cuda"``, ``"cuda:1"`` as given.

    Raises ``ValueError`` for an unknown name or an unavailable CUDA device.
    """
    device = str(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}; use auto, cpu or cuda") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was requested but no CUDA GPU is available; use --device auto or cpu")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {device!r}; use auto, cpu or cuda")
    return dev


def _stream_seed(seed: int, stream: int) -> int:
    # Independent, reproducible sub-seeds per purpose (weights of G / D / E, data, z, eps).
    return int(np.random.SeedSequence([int(seed), stream]).generate_state(1, dtype=np.uint32)[0])


_G_INIT, _D_INIT, _E_INIT, _DATA, _LATENT, _MIX, _EVAL = range(7)


# --- stacked optimiser ---------------------------------------------------------------------------

class _StackedOptimizer:
    """Adam / RMSprop / SGD on a (E, P) parameter with per-model settings and an update mask.

    Same arithmetic as ``torch.optim.Adam`` and ``torch.optim.RMSprop`` (defaults: eps 1e-8,
    no weight decay, no momentum for RMSprop).  A model whose mask is 0 keeps its parameters
    *and* its optimiser state, as if the step never happened for it.
    """

    def __init__(self, param: torch.Tensor, kinds, lrs, betas):
        e = param.shape[0]
        dev = param.device
        col = lambda vals: torch.tensor(vals, dtype=param.dtype, device=dev).view(e, 1)
        self.param = param
        self.kinds = list(kinds)
        self.lr = col(lrs)
        self.b1 = col([(b[0] if b else 0.0) for b in betas])
        self.b2 = col([(b[1] if b else 0.99) for b in betas])
        self.is_adam = col([k == "adam" for k in kinds])
        self.is_sgd = col([k == "sgd" for k in kinds])
        self.all_adam = all(k == "adam" for k in kinds)
        self.m = torch.zeros_like(param)
        self.v = torch.zeros_like(param)
        self.t = torch.zeros(e, 1, dtype=param.dtype, device=dev)
        self.eps = 1e-8
        self.base_lr = self.lr.clone()

    def set_lr_scale(self, scales) -> None:
        """Multiply each model's base learning rate by ``scales[e]`` (a schedule's factor)."""
        self.lr = self.base_lr * torch.tensor(scales, dtype=self.lr.dtype, device=self.lr.device).view(-1, 1)

    @torch.no_grad()
    def step(self, grad: torch.Tensor, mask: torch.Tensor) -> None:
        # mask: (E, 1) float of 0 / 1.
        self.t += mask
        t = self.t.clamp(min=1.0)
        self.v.lerp_(grad * grad, (1 - self.b2) * mask)
        # Every kind is written as param -= num / denom with the same element-wise
        # operations whatever the mix of kinds, so a model's arithmetic (and its rounding)
        # does not depend on which other models share the stack.
        if self.all_adam:
            self.m.lerp_(grad, (1 - self.b1) * mask)
            num = self.m * (mask * self.lr / (1 - self.b1 ** t))
            denom = (self.v.sqrt() / (1 - self.b2 ** t).sqrt()).add_(self.eps)
        else:
            self.m.lerp_(grad, (1 - self.b1) * mask * self.is_adam)
            adam = self.is_adam > 0
            num = torch.where(adam, self.m * (mask * self.lr / (1 - self.b1 ** t)), grad * (mask * self.lr))
            denom = torch.where(adam, (self.v.sqrt() / (1 - self.b2 ** t).sqrt()).add_(self.eps),
                                torch.where(self.is_sgd > 0, torch.ones_like(grad), self.v.sqrt().add_(self.eps)))
        self.param.addcdiv_(num, denom, value=-1.0)


# --- the engine -------------------------------------------------------------------------------------

class _Engine:
    """E configurations with the same architecture, trained together on stacked tensors."""

    def __init__(self, configs, dataset: Mixture, seeds, device: torch.device):
        self.configs = [c.validate() for c in configs]
        self.specs = [get_loss(c.loss) for c in self.configs]
        keys = {c.arch_key() for c in self.configs}
        if len(keys) != 1:
            raise ValueError("configurations in one engine must share the architecture")
        c0 = self.configs[0]
        self.E = len(self.configs)
        self.dataset = dataset
        self.seeds = [int(s) for s in seeds]
        self.device = device
        self.bigan = c0.bigan
        self.latent_dim, self.batch = c0.latent_dim, c0.batch_size
        self.G = StackedMLP(self.E, c0.latent_dim, 2, c0.g_depth, c0.g_width, c0.activation,
                            seeds=[_stream_seed(s, _G_INIT) for s in self.seeds]).to(device)
        d_in = 2 + (c0.latent_dim if self.bigan else 0)
        self.D = StackedMLP(self.E, d_in, 1, c0.d_depth, c0.d_width, c0.activation,
                            seeds=[_stream_seed(s, _D_INIT) for s in self.seeds]).to(device)
        self.Enc = (StackedMLP(self.E, 2, c0.latent_dim, c0.e_depth, c0.e_width, c0.activation,
                               seeds=[_stream_seed(s, _E_INIT) for s in self.seeds]).to(device)
                    if self.bigan else None)
        kinds = [c.optimizer for c in self.configs]
        betas = [c.betas for c in self.configs]
        self.opt_d = _StackedOptimizer(self.D.flat.data, kinds, [c.lr_d for c in self.configs], betas)
        self.opt_g = _StackedOptimizer(self.G.flat.data, kinds, [c.lr_g for c in self.configs], betas)
        self.opt_e = (_StackedOptimizer(self.Enc.flat.data, kinds, [c.lr_g for c in self.configs], betas)
                      if self.bigan else None)
        col = lambda vals: torch.tensor(vals, dtype=torch.float32, device=device).view(self.E, 1)
        self.gp_lambda = col([c.gp_lambda for c in self.configs])
        self.any_gp = any(c.gp_lambda > 0 for c in self.configs)
        self.clip = col([c.clip if c.clip is not None else float("inf") for c in self.configs])
        self.any_clip = any(c.clip is not None for c in self.configs)
        self.n_critic = [c.n_critic for c in self.configs]
        self.any_decay = any(c.lr_final_frac < 1 for c in self.configs)
        # Per-configuration random streams (CPU generators: identical numbers on any device).
        self.gen_data = [torch.Generator().manual_seed(_stream_seed(s, _DATA)) for s in self.seeds]
        self.gen_z = [torch.Generator().manual_seed(_stream_seed(s, _LATENT)) for s in self.seeds]
        self.gen_mix = [torch.Generator().manual_seed(_stream_seed(s, _MIX)) for s in self.seeds]
        self.centres = torch.tensor(dataset.centres, dtype=torch.float32)
        self.std = float(dataset.std)
        # Fixed evaluation latents and real points, one set per configuration.
        self.eval_z = []
        self.eval_real = []
        for s, c in zip(self.seeds, self.configs):
            g = torch.Generator().manual_seed(_stream_seed(s, _EVAL))
            self.eval_z.append(draw_latent(c.eval_samples, self.latent_dim, c.latent_dist, g))
            self.eval_real.append(dataset.sample(_metrics.PROTOCOL_SAMPLES, _stream_seed(s, _EVAL)))
        self._ones = torch.ones(self.E, 1, device=device)
        self.alive = [True] * self.E
        self.g_steps = [0] * self.E
        self.d_steps = [0] * self.E
        self.last_d = [float("nan")] * self.E
        self.last_g = [float("nan")] * self.E
        self.history = [[] for _ in range(self.E)]
        self.snapshots = [[] for _ in range(self.E)]
        self.diverged: list[Divergence | None] = [None] * self.E
        self.t_train = [0.0] * self.E
        for e in range(self.E):
            self.snapshot(e)

    # random draws ------------------------------------------------------------------
    def _stack(self, per_model, active):
        return torch.stack(per_model).to(self.device, non_blocking=True)

    def _draw_real(self, active):
        out = []
        k = len(self.centres)
        for e in range(self.E):
            if active[e]:
                g = self.gen_data[e]
                idx = torch.randint(k, (self.batch,), generator=g)
                out.append(self.centres[idx] + self.std * torch.randn(self.batch, 2, generator=g))
            else:
                out.append(torch.zeros(self.batch, 2))
        return self._stack(out, active)

    def _draw_z(self, active):
        return self._stack([draw_latent(self.batch, self.latent_dim, self.configs[e].latent_dist, self.gen_z[e])
                            if active[e] else torch.zeros(self.batch, self.latent_dim) for e in range(self.E)], active)

    def _draw_mix(self, active):
        return self._stack([torch.rand(self.batch, 1, generator=self.gen_mix[e]) if active[e]
                            else torch.zeros(self.batch, 1) for e in range(self.E)], active)

    def _mask(self, active):
        if all(active):
            return self._ones
        return torch.tensor(active, dtype=torch.float32, device=self.device).view(self.E, 1)

    # one discriminator step -------------------------------------------------------------
    def d_step(self, active):
        x = self._draw_real(active)
        z = self._draw_z(active)
        with torch.no_grad():
            x_fake = self.G(z)
            if self.bigan:
                real_in = torch.cat([x, self.Enc(x)], dim=-1)
                fake_in = torch.cat([x_fake, z], dim=-1)
            else:
                real_in, fake_in = x, x_fake
        b = self.batch
        out = self.D(torch.cat([real_in, fake_in], dim=1)).squeeze(-1)
        real, fake = out[:, :b], out[:, b:]
        losses = torch.stack([self.specs[e].d_loss(real[e], fake[e]) for e in range(self.E)])
        total = losses
        if self.any_gp:
            eps = self._draw_mix(active)
            gp = gradient_penalty(lambda t: self.D(t).squeeze(-1), real_in, fake_in, eps)
            total = losses + self.gp_lambda[:, 0] * gp
        mask = self._mask(active)
        (grad,) = torch.autograd.grad((total * mask[:, 0]).sum(), self.D.flat)
        self.opt_d.step(grad, mask)
        if self.any_clip:
            with torch.no_grad():
                torch.clamp(self.D.flat.data, -self.clip, self.clip, out=self.D.flat.data)
        return total.detach()

    # one generator (and encoder) step ----------------------------------------------------
    def g_step(self, active):
        z = self._draw_z(active)
        mask = self._mask(active)
        if self.bigan:
            x = self._draw_real(active)
            x_fake = self.G(z)
            real = self.D(torch.cat([x, self.Enc(x)], dim=-1)).squeeze(-1)
            fake = self.D(torch.cat([x_fake, z], dim=-1)).squeeze(-1)
            losses = torch.stack([self.specs[e].ge_loss(real[e], fake[e]) for e in range(self.E)])
            g_grad, e_grad = torch.autograd.grad((losses * mask[:, 0]).sum(), [self.G.flat, self.Enc.flat])
            self.opt_g.step(g_grad, mask)
            self.opt_e.step(e_grad, mask)
        else:
            fake = self.D(self.G(z)).squeeze(-1)
            losses = torch.stack([self.specs[e].g_loss(fake[e]) for e in range(self.E)])
            (g_grad,) = torch.autograd.grad((losses * mask[:, 0]).sum(), self.G.flat)
            self.opt_g.step(g_grad, mask)
        return losses.detach()

    def _check(self, values, active, which):
        vals = values.tolist()
        for e in range(self.E):
            if not active[e]:
                continue
            v = vals[e]
            if which == "d_loss":
                self.last_d[e] = v
            else:
                self.last_g[e] = v
            if not math.isfinite(v) or abs(v) > DIVERGENCE_LIMIT:
                self.diverged[e] = Divergence(self.g_steps[e], which, v)
                self.alive[e] = False
                self._clear(e)

    @torch.no_grad()
    def _clear(self, e):
        # A diverged model's weights are NaN or astronomically large; arithmetic on such
        # numbers is slow on CPUs and the stack keeps computing the slice (masked), so the
        # weights are zeroed.  Its snapshots from before the blow-up remain.
        for net, opt in ((self.G, self.opt_g), (self.D, self.opt_d), (self.Enc, self.opt_e)):
            if net is not None:
                net.flat.data[e].zero_()
                opt.m[e].zero_()
                opt.v[e].zero_()

    def lr_scales(self):
        """Current learning-rate factor of each model (linear decay, see ToyConfig.lr_final_frac)."""
        return [1 - (1 - c.lr_final_frac) * min(1.0, g / c.iters) for c, g in zip(self.configs, self.g_steps)]

    def _apply_schedule(self):
        scales = self.lr_scales()
        for opt in (self.opt_d, self.opt_g, self.opt_e):
            if opt is not None:
                opt.set_lr_scale(scales)

    # the public stepping ------------------------------------------------------------------
    def step(self, n_d=None, n_g=None, members=None):
        """One iteration: each member's n_critic D steps then one G step, or exactly n_d / n_g."""
        members = range(self.E) if members is None else members
        t0 = time.perf_counter()
        if self.any_decay:
            self._apply_schedule()
        if n_d is None and n_g is None:
            d_counts = [self.n_critic[e] if e in members else 0 for e in range(self.E)]
            n_g = 1
        else:
            d_counts = [(n_d or 0) if e in members else 0 for e in range(self.E)]
            n_g = n_g or 0
        for k in range(max(d_counts) if d_counts else 0):
            active = [self.alive[e] and d_counts[e] > k for e in range(self.E)]
            if not any(active):
                break
            vals = self.d_step(active)
            for e in range(self.E):
                self.d_steps[e] += active[e]
            self._check(vals, active, "d_loss")
        for _ in range(n_g):
            active = [self.alive[e] and e in members for e in range(self.E)]
            if not any(active):
                break
            vals = self.g_step(active)
            self._check(vals, active, "g_loss")
            for e in range(self.E):
                if active[e]:
                    self.g_steps[e] += 1
                    self.history[e].append({"step": self.g_steps[e], "d_loss": self.last_d[e],
                                            "g_loss": self.last_g[e]})
        dt = time.perf_counter() - t0
        for e in members:
            self.t_train[e] += dt
        for e in members:
            k = self.configs[e].snapshot_every
            if self.alive[e] and k and self.g_steps[e] % k == 0 and self.snapshots[e][-1].step != self.g_steps[e]:
                self.snapshot(e)

    # evaluation ---------------------------------------------------------------------------------
    @torch.no_grad()
    def _generate(self, e, z):
        flat = self.G.flat[e:e + 1]
        return self.G(z.to(self.device).unsqueeze(0), flat)[0]

    def snapshot(self, e) -> Snapshot:
        if self.snapshots[e] and self.snapshots[e][-1].step == self.g_steps[e]:
            return self.snapshots[e][-1]
        pts = self._generate(e, self.eval_z[e]).float().cpu().numpy()
        ms = _metrics.mode_stats(pts, self.dataset.centres, self.dataset.std)
        m = ms.as_dict()
        m.pop("histogram")
        m["histogram"] = ms.histogram
        m["w1"] = _metrics.wasserstein1(pts, self.eval_real[e], n=500, rng=0)
        snap = Snapshot(self.g_steps[e], pts, self.last_d[e], self.last_g[e], m, self.t_train[e])
        self.snapshots[e].append(snap)
        return snap


def _group_views(configs, dataset, seeds, device):
    # Same architecture AND same critic schedule share an engine.  Stacking a 5-critic-step
    # WGAN-GP with 1-step GANs would make the latter compute four masked, discarded D steps
    # (with a gradient penalty) per iteration: measured slower than running them apart.
    groups: dict[tuple, list[int]] = {}
    for i, c in enumerate(configs):
        groups.setdefault((c.arch_key(), c.n_critic, c.gp_lambda > 0), []).append(i)
    engines, where = [], [None] * len(configs)
    for idxs in groups.values():
        eng = _Engine([configs[i] for i in idxs], dataset, [seeds[i] for i in idxs], device)
        for pos, i in enumerate(idxs):
            where[i] = (eng, pos)
        engines.append(eng)
    return engines, where


class Trainer:
    """Train one GAN configuration on a 2-D mixture, a few steps at a time.

    Parameters
    ----------
    config : ToyConfig, dict, str or None
        A configuration, a dict of its fields, or a loss name (its :func:`lab_defaults`).
        None means ``lab_defaults("wgan-gp")``.
    dataset : str or Mixture
        ``"ring8"``, ``"grid25"``, ``"spiral"``, ``"moons"``, ``"custom"`` (with ``points``)
        or a :class:`gan_core.lab.toy2d.Mixture`.
    seed : int
        Seeds every random stream of the run (weights, data, latents, penalty mixing).
    device : str
        ``"auto"`` (CUDA if available, else CPU), ``"cpu"`` or ``"cuda"``.
    points : array (K, 2), optional
        Points of a ``custom`` dataset.

    Attributes
    ----------
    history : list of dict
        One entry per generator step: ``step``, ``d_loss`` (the last D step's loss,
        gradient penalty included), ``g_loss``.
    snapshots : list of Snapshot
        Step 0, every ``config.snapshot_every`` generator steps, and any :meth:`snapshot` call.
    diverged : Divergence or None
        Set when a loss became NaN, infinite or larger than 1e6 in magnitude; the run then stops.
    """

    def __init__(self, config=None, dataset="ring8", seed: int = 0, device: str = "auto", *, points=None,
                 _engine=None, _index=0):
        if _engine is not None:
            self._engine, self._i, self._owner = _engine, _index, False
            return
        cfg = _as_config(config)
        mix = make_dataset(dataset, points=points)
        self._engine, self._i, self._owner = _Engine([cfg], mix, [seed], resolve_device(device)), 0, True

    # properties ---------------------------------------------------------------------------
    config = property(lambda self: self._engine.configs[self._i])
    seed = property(lambda self: self._engine.seeds[self._i])
    dataset = property(lambda self: self._engine.dataset)
    device = property(lambda self: self._engine.device)
    history = property(lambda self: self._engine.history[self._i])
    snapshots = property(lambda self: self._engine.snapshots[self._i])
    diverged = property(lambda self: self._engine.diverged[self._i])
    step_count = property(lambda self: self._engine.g_steps[self._i])
    d_step_count = property(lambda self: self._engine.d_steps[self._i])
    train_seconds = property(lambda self: self._engine.t_train[self._i])

    # stepping ---------------------------------------------------------------------------------
    def step(self, n_d: int | None = None, n_g: int | None = None) -> None:
        """Advance training.

        ``step()`` runs one iteration (``n_critic`` discriminator steps, then one generator
        step).  ``step(n_d=k, n_g=0)`` runs exactly k discriminator steps, ``step(n_d=0,
        n_g=k)`` k generator steps, ``step(n_d=a, n_g=b)`` a then b.  Does nothing once the
        run has diverged.
        """
        for name, v in (("n_d", n_d), ("n_g", n_g)):
            if v is not None and (int(v) != v or v < 0):
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        if not self._owner:
            raise RuntimeError("this trainer is part of a LockstepTrainer; step the LockstepTrainer")
        self._engine.step(n_d, n_g)

    def train(self, iters: int, max_seconds: float | None = None) -> int:
        """Run up to ``iters`` iterations; stop early on divergence or after ``max_seconds``.

        Returns the number of iterations run.
        """
        return _train([self._engine], iters, max_seconds, lambda: self.diverged is not None, self._owner)

    # views ------------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """Snapshot now (reuses the last one if it was taken at this step)."""
        return self._engine.snapshot(self._i)

    def sample(self, n: int = 2500, seed: int | None = None) -> np.ndarray:
        """``n`` generated points, float32 (n, 2); fresh latents from ``seed`` (not the training streams)."""
        g = torch.Generator().manual_seed(_stream_seed(self.seed if seed is None else seed, 99))
        z = draw_latent(n, self._engine.latent_dim, self.config.latent_dist, g)
        return self._engine._generate(self._i, z).float().cpu().numpy()

    def critic_grid(self, n: int = 100, extent=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw discriminator / critic output on an ``n x n`` grid.

        Returns ``(xs, ys, values)`` with ``values[j, i] = D(xs[i], ys[j])``: a logit for
        the minimax and non-saturating losses (sigmoid of it is D's probability of "real"),
        a score for the Wasserstein and hinge losses, a regression output for LSGAN (see
        ``LOSSES[config.loss].output``).  ``extent`` = (xmin, xmax, ymin, ymax), default the
        dataset's.  For a BiGAN the pair (x, E(x)) is scored.
        """
        eng = self._engine
        x0, x1, y0, y1 = extent if extent is not None else eng.dataset.extent
        xs = np.linspace(x0, x1, n, dtype=np.float32)
        ys = np.linspace(y0, y1, n, dtype=np.float32)
        xx, yy = np.meshgrid(xs, ys)
        pts = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1)).to(eng.device).unsqueeze(0)
        with torch.no_grad():
            if eng.bigan:
                pts = torch.cat([pts, eng.Enc(pts, eng.Enc.flat[self._i:self._i + 1])], dim=-1)
            vals = eng.D(pts, eng.D.flat[self._i:self._i + 1])[0, :, 0]
        return xs, ys, vals.float().cpu().numpy().reshape(n, n)

    def generator_gradients(self, n: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Where the generator loss pushes each fake point.

        Returns ``(points, vectors)``, both (n, 2): ``vectors[i] = -d l(D(x_i)) / d x_i``,
        the negative gradient of the per-sample generator loss ``l`` (the loss of a batch
        is the mean of ``l``) at the fake point ``x_i = G(z_i)``.  Following it is the
        direction gradient descent moves the sample.  Uses the first n evaluation latents.
        (BiGAN: the fake pair's z is held fixed.)
        """
        eng, i = self._engine, self._i
        z = eng.eval_z[i][:n].to(eng.device)
        with torch.no_grad():
            x = eng.G(z.unsqueeze(0), eng.G.flat[i:i + 1])
        x = x.detach().requires_grad_(True)
        d_in = torch.cat([x, z.unsqueeze(0)], dim=-1) if eng.bigan else x
        out = eng.D(d_in, eng.D.flat[i:i + 1].detach()).squeeze(-1)
        loss = eng.specs[i].g_loss(out)  # mean over the n points
        (grad,) = torch.autograd.grad(loss.sum(), x)
        return x[0].detach().cpu().numpy(), (-grad[0] * x.shape[1]).cpu().numpy()

    def latent_grid(self, n: int = 21, span: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Image of an ``n x n`` latent grid under G.

        Latent coordinates z1, z2 run over ``[-span, span]`` (default :func:`latent_span` of
        the prior: 3 standard deviations of N(0, 1), or all of [-1, 1]); other latent
        coordinates are 0.  Returns ``(z_grid, x)``, shapes (n*n, 2) and
        (n*n, 2), row-major (z2 varies slowest), so lines of the grid can be drawn as a
        warped mesh.
        """
        eng = self._engine
        span = latent_span(self.config.latent_dist) if span is None else span
        t = np.linspace(-span, span, n, dtype=np.float32)
        zz1, zz2 = np.meshgrid(t, t)
        grid = np.stack([zz1.ravel(), zz2.ravel()], 1)
        z = torch.zeros(n * n, eng.latent_dim)
        k = min(2, eng.latent_dim)
        z[:, :k] = torch.from_numpy(grid[:, :k])
        return grid, eng._generate(self._i, z).float().cpu().numpy()

    def encode(self, x) -> np.ndarray:
        """BiGAN only: the encoder's latent code E(x) for points x of shape (n, 2)."""
        eng = self._engine
        if not eng.bigan:
            raise ValueError("this configuration has no encoder; set bigan=True")
        pts = torch.as_tensor(np.asarray(x, dtype=np.float32)).to(eng.device).unsqueeze(0)
        with torch.no_grad():
            return eng.Enc(pts, eng.Enc.flat[self._i:self._i + 1])[0].cpu().numpy()

    def final_metrics(self) -> dict:
        """Metrics of a snapshot at the current step."""
        return dict(self.snapshot().metrics)


def _as_config(config) -> ToyConfig:
    if config is None:
        return lab_defaults("wgan-gp")
    if isinstance(config, ToyConfig):
        return config.validate()
    if isinstance(config, str):
        return lab_defaults(config)
    if isinstance(config, dict):
        return ToyConfig.from_dict(config).validate()
    raise ValueError(f"config must be a ToyConfig, a dict or a loss name, got {type(config).__name__}")


def _train(engines, iters, max_seconds, all_diverged, owner=True) -> int:
    if not owner:
        raise RuntimeError("this trainer is part of a LockstepTrainer; train the LockstepTrainer")
    if int(iters) != iters or iters < 0:
        raise ValueError(f"iters must be a non-negative integer, got {iters!r}")
    t0 = time.perf_counter()
    done = 0
    for _ in range(int(iters)):
        if all_diverged():
            break
        for eng in engines:
            eng.step()
        done += 1
        if max_seconds is not None and time.perf_counter() - t0 >= max_seconds:
            break
    return done


class LockstepTrainer:
    """Up to four configurations trained side by side on the same data and seed.

    Configurations sharing an architecture (see :meth:`ToyConfig.arch_key`), a number of
    critic steps and the use of a gradient penalty are stacked into one engine and run as
    batched tensor operations; each still owns its random
    streams, so member i ends exactly where ``Trainer(configs[i], dataset, seeds[i])``
    would.  A member that diverges stops; the others go on.

    ``lock[i]`` (or ``lock.members[i]``) is a :class:`Trainer` view of member i, for its
    history, snapshots and plotting helpers.
    """

    MAX_MEMBERS = 4

    def __init__(self, configs, dataset="ring8", seed: int = 0, device: str = "auto", *, seeds=None,
                 points=None):
        configs = [_as_config(c) for c in configs]
        if not 1 <= len(configs) <= self.MAX_MEMBERS:
            raise ValueError(f"lockstep training takes 1 to {self.MAX_MEMBERS} configurations, got {len(configs)}")
        seeds = [seed] * len(configs) if seeds is None else list(seeds)
        if len(seeds) != len(configs):
            raise ValueError("give one seed per configuration")
        mix = make_dataset(dataset, points=points)
        self.engines, where = _group_views(configs, mix, seeds, resolve_device(device))
        self.members = [Trainer(_engine=eng, _index=i) for eng, i in where]

    def __len__(self):
        return len(self.members)

    def __getitem__(self, i) -> Trainer:
        return self.members[i]

    @property
    def g_steps(self) -> int:
        """Generator steps of the most advanced member (members move together unless one diverged)."""
        return max(m.step_count for m in self.members)

    @property
    def all_diverged(self) -> bool:
        return all(m.diverged is not None for m in self.members)

    def step(self, n_d: int | None = None, n_g: int | None = None) -> None:
        """Advance every member as :meth:`Trainer.step` does."""
        for eng in self.engines:
            eng.step(n_d, n_g)

    def train(self, iters: int, max_seconds: float | None = None) -> int:
        """Run up to ``iters`` iterations of every member (stops early when all diverged)."""
        return _train(self.engines, iters, max_seconds, lambda: self.all_diverged)


# --- CLI ----------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gan_core.lab.toy_train",
        description="Train one GAN on a 2-D mixture and report mode coverage (VEEGAN / PacGAN protocol). "
                    "Defaults are the lab page's defaults for the chosen loss.")
    p.add_argument("--dataset", default=None, help="ring8 | grid25 | spiral | moons | custom (default ring8)")
    p.add_argument("--points", default=None, help="custom dataset: .npy file of shape (K, 2)")
    p.add_argument("--loss", default=None, choices=list(LOSSES), help="GAN objective (default wgan-gp)")
    p.add_argument("--preset", default=None, choices=sorted(PRESETS),
                   help="a named configuration (collapse: the original GAN in the Unrolled-GAN setup)")
    p.add_argument("--iters", type=int, default=None,
                   help="generator iterations (default: the loss's lab default, ToyConfig.iters)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    # One thread: these matrices are small enough that a second thread buys little, and on a
    # shared 2-core machine two threads per process thrash (measured: 20x slower under load).
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; 0: torch's choice)")
    p.add_argument("--json", default=None, help="write config, metrics, wall time, device, it/s here")
    p.add_argument("--samples", default=None, help="write 2500 generated points, float32 (2500, 2) .npy")
    p.add_argument("--bigan", action="store_true", help="train a BiGAN (adds an encoder)")
    for name, typ in (("latent_dim", int), ("g_depth", int), ("g_width", int), ("d_depth", int),
                      ("d_width", int), ("batch_size", int), ("n_critic", int), ("lr_d", float),
                      ("lr_g", float), ("clip", float), ("gp_lambda", float), ("activation", str),
                      ("optimizer", str), ("snapshot_every", int), ("latent_dist", str)):
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=typ, default=None,
                       help="override the lab default")
    p.add_argument("--beta1", type=float, default=None)
    p.add_argument("--beta2", type=float, default=None)
    return p


def _finite_or_none(obj):
    # Strict JSON has no Infinity / NaN: an undefined value (reverse KL with no high-quality
    # sample, a NaN loss) is written as null.
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.threads:
            torch.set_num_threads(args.threads)
        if args.preset:
            cfg, dataset, iters = preset(args.preset)
            dataset = args.dataset or dataset
            if args.loss and args.loss != cfg.loss:
                # Same data and seeds; the loss's own lab defaults (for comparisons).
                cfg = lab_defaults(args.loss, dataset)
                iters = cfg.iters
        else:
            dataset = args.dataset or "ring8"
            cfg = lab_defaults(args.loss or "wgan-gp", dataset)
            iters = cfg.iters
        if args.iters is not None:
            # The requested length is also the horizon of any learning-rate decay.
            iters = args.iters
            if iters >= 1:
                cfg = replace(cfg, iters=iters)
        over = {k: getattr(args, k) for k in ("latent_dim", "g_depth", "g_width", "d_depth", "d_width",
                                              "batch_size", "n_critic", "lr_d", "lr_g", "clip", "gp_lambda",
                                              "activation", "optimizer", "snapshot_every", "latent_dist")
                if getattr(args, k) is not None}
        if args.bigan:
            over["bigan"] = True
        if args.beta1 is not None or args.beta2 is not None:
            b1, b2 = cfg.betas
            over["betas"] = (args.beta1 if args.beta1 is not None else b1,
                             args.beta2 if args.beta2 is not None else b2)
        cfg = replace(cfg, **over).validate()
        points = np.load(args.points) if args.points else None
        if iters < 0:
            raise ValueError("--iters must be >= 0")
        t0 = time.perf_counter()
        tr = Trainer(cfg, dataset, seed=args.seed, device=args.device, points=points)
        tr.train(iters)
        snap = tr.snapshot()
        wall = time.perf_counter() - t0
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m = snap.metrics
    result = {
        "config": cfg.to_dict(), "dataset": tr.dataset.name, "seed": args.seed, "preset": args.preset,
        "iters_requested": iters, "iters_done": tr.step_count,
        "metrics": {k: v for k, v in m.items()},
        "wall_s": wall, "train_s": tr.train_seconds, "device": str(tr.device),
        "iters_per_s": tr.step_count / tr.train_seconds if tr.train_seconds > 0 else None,
        "torch_threads": torch.get_num_threads(),
        "diverged": asdict(tr.diverged) if tr.diverged else None,
        "snapshots": [{"step": s.step, **{k: v for k, v in s.metrics.items() if k != "histogram"}}
                      for s in tr.snapshots],
    }
    print(f"{cfg.loss} on {tr.dataset.name}, seed {args.seed}, {tr.step_count} iterations on {tr.device} "
          f"in {wall:.1f} s ({result['iters_per_s'] or 0:.0f} it/s)")
    print(f"modes captured {m['modes_captured']}/{m['n_modes']}, high quality {100 * m['high_quality']:.1f} %, "
          f"reverse KL {m['reverse_kl']:.3f} nats, W1 {m['w1']:.4f}")
    if tr.diverged:
        print(tr.diverged.message())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(_finite_or_none(result), f, indent=1)
    if args.samples:
        np.save(args.samples, snap.samples[:_metrics.PROTOCOL_SAMPLES].astype(np.float32))
    return 0 if tr.diverged is None else 3


if __name__ == "__main__":
    sys.exit(main())
