"""GAN objectives as named entries of one registry, each with its paper's defaults.

Every loss works on the raw outputs of the discriminator / critic: ``real`` = D(x) on
data, ``fake`` = D(G(z)) on generated points.  Tensors may have any leading shape; the
last axis is the batch, which is averaged, so outputs of shape (B,) give a scalar and
outputs of shape (E, B) (E stacked models, as in lockstep training) give E losses.

==================  ==========================================  ===================================
name                discriminator / critic minimises            generator minimises
==================  ==========================================  ===================================
``minimax``         -E log s(D(x)) - E log(1 - s(D(G(z))))      E log(1 - s(D(G(z))))   (saturating)
``non-saturating``  same                                        -E log s(D(G(z)))
``wgan-clip``       E D(G(z)) - E D(x), weights clipped to c    -E D(G(z))
``wgan-gp``         E D(G(z)) - E D(x) + lambda GP              -E D(G(z))
``lsgan``           1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2        1/2 E (D(G(z)) - 1)^2
``hinge``           E relu(1 - D(x)) + E relu(1 + D(G(z)))      -E D(G(z))
==================  ==========================================  ===================================

``s`` is the logistic sigmoid; ``log s(t) = -softplus(-t)`` and ``log(1 - s(t)) =
-softplus(t)`` are used so that large logits never produce ``log(0)``.

Each entry also has a ``bidirectional`` loss for BiGAN (Donahue et al. 2017), where the
generator and the encoder play together against a discriminator on (x, z) pairs: the
real pair is (x, E(x)), the fake pair is (G(z), z), and G and E try to make the
discriminator mistake one for the other.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["LossSpec", "LOSSES", "get_loss", "gradient_penalty", "clip_weights_",
           "minimax_d", "minimax_g", "non_saturating_g", "wasserstein_d", "wasserstein_g",
           "lsgan_d", "lsgan_g", "hinge_d", "hinge_g"]


# --- discriminator / critic losses (minimised) --------------------------------------------

def minimax_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of D: ``-E log s(real) - E log(1 - s(fake))`` (Goodfellow et al. 2014, eq. 1)."""
    return F.softplus(-real).mean(-1) + F.softplus(fake).mean(-1)


def wasserstein_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Negated Kantorovich-Rubinstein estimate: ``E D(fake) - E D(real)`` (Arjovsky et al. 2017, eq. 3)."""
    return fake.mean(-1) - real.mean(-1)


def lsgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Least squares with targets b = 1 (real), a = 0 (fake) (Mao et al. 2017, eq. 2)."""
    return 0.5 * ((real - 1) ** 2).mean(-1) + 0.5 * (fake**2).mean(-1)


def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge loss ``E relu(1 - D(x)) + E relu(1 + D(G(z)))`` (Lim & Ye 2017; Miyato et al. 2018, eq. 16)."""
    return F.relu(1 - real).mean(-1) + F.relu(1 + fake).mean(-1)


# --- generator losses (minimised) ---------------------------------------------------------

def minimax_g(fake: torch.Tensor) -> torch.Tensor:
    """Saturating loss of the original minimax game: ``E log(1 - s(D(G(z))))`` (Goodfellow et al. 2014, eq. 1).

    Its gradient vanishes when D confidently rejects the fakes (s(D) -> 0), the
    situation early in training that the non-saturating loss was invented for.
    """
    return -F.softplus(fake).mean(-1)


def non_saturating_g(fake: torch.Tensor) -> torch.Tensor:
    """``-E log s(D(G(z)))`` — same fixed point, strong gradient early (Goodfellow et al. 2014, sec. 3)."""
    return F.softplus(-fake).mean(-1)


def wasserstein_g(fake: torch.Tensor) -> torch.Tensor:
    """``-E D(G(z))``: move the fakes uphill on the critic (Arjovsky et al. 2017, Algorithm 1)."""
    return -fake.mean(-1)


def lsgan_g(fake: torch.Tensor) -> torch.Tensor:
    """``1/2 E (D(G(z)) - 1)^2``, target c = 1 (Mao et al. 2017, eq. 2)."""
    return 0.5 * ((fake - 1) ** 2).mean(-1)


hinge_g = wasserstein_g  # Miyato et al. 2018, eq. 17: the hinge generator loss is -E D(G(z)).


# --- bidirectional (BiGAN) losses for the generator + encoder -----------------------------
# real = D(x, E(x)), fake = D(G(z), z).  G and E minimise these jointly.

def _minimax_ge(real, fake):
    # The minimax game: G and E maximise D's cross-entropy (Donahue et al. 2017, eq. 3).
    return -minimax_d(real, fake)


def _flipped_bce_ge(real, fake):
    # Non-saturating version: label the real pair "fake" and the fake pair "real"
    # (Donahue et al. 2017, sec. 3.4, "inverting the labels").
    return F.softplus(real).mean(-1) + F.softplus(-fake).mean(-1)


def _wasserstein_ge(real, fake):
    return real.mean(-1) - fake.mean(-1)


def _lsgan_ge(real, fake):
    # Swap the targets: real pairs to a = 0, fake pairs to b = 1.
    return 0.5 * (real**2).mean(-1) + 0.5 * ((fake - 1) ** 2).mean(-1)


# --- regularisers ---------------------------------------------------------------------------

def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """WGAN-GP penalty ``E[(||grad_x D(x_hat)||_2 - 1)^2]`` with ``x_hat = eps x + (1 - eps) x_fake``.

    (Gulrajani et al. 2017, eq. 3; multiply by lambda yourself.)

    Parameters
    ----------
    critic : callable
        Maps points of shape (..., B, d) to scores of shape (..., B).  Each score must
        depend only on its own point (true for MLPs), so that the gradient of the summed
        scores is the per-point gradient.
    real, fake : tensor, shape (..., B, d)
    eps : tensor, shape (..., B, 1)
        Mixing weights, uniform on [0, 1] in the paper.

    Returns
    -------
    tensor of shape (...)
        The penalty averaged over the batch axis; differentiable (``create_graph=True``)
        so that it can be minimised with respect to the critic's weights.
    """
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=-1) - 1) ** 2).mean(-1)


@torch.no_grad()
def clip_weights_(params, c) -> None:
    """Clamp every entry of every tensor in ``params`` to ``[-c, c]`` in place (Arjovsky et al. 2017, Algorithm 1, line 7).

    ``c`` is a number or a tensor broadcastable to each parameter (one clip value per
    stacked model).
    """
    for p in params:
        if torch.is_tensor(c):
            torch.clamp(p, -c, c, out=p)
        else:
            p.clamp_(-c, c)


# --- the registry ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LossSpec:
    """One GAN objective and the training settings its paper used.

    Attributes
    ----------
    name : str
        Registry key.
    title : str
        Human-readable name with the paper.
    d_loss : callable(real, fake) -> loss
        Discriminator / critic loss to minimise (without the gradient penalty).
    g_loss : callable(fake) -> loss
        Generator loss to minimise.
    ge_loss : callable(real, fake) -> loss
        Joint generator + encoder loss for BiGAN (see module doc).
    output : str
        ``"logit"`` (D outputs a logit; sigmoid gives a probability), ``"score"`` (an
        unbounded critic score), or ``"least-squares"`` (a regression output, target 1 for real).
    defaults : dict
        Paper defaults: ``optimizer`` ("adam" | "rmsprop"), ``lr_d``, ``lr_g``, ``betas``,
        ``n_critic`` (D steps per G step), ``clip`` (weight clip c or None),
        ``gp_lambda`` (gradient-penalty weight, 0 if none).
    sources : dict
        For each default, where it comes from.
    """

    name: str
    title: str
    d_loss: Callable
    g_loss: Callable
    ge_loss: Callable
    output: str
    defaults: dict
    sources: dict = field(default_factory=dict)


def _adam(lr_d, lr_g, betas, n_critic=1, clip=None, gp_lambda=0.0):
    return dict(optimizer="adam", lr_d=lr_d, lr_g=lr_g, betas=tuple(betas), n_critic=n_critic,
                clip=clip, gp_lambda=gp_lambda)


LOSSES: dict[str, LossSpec] = {
    "minimax": LossSpec(
        "minimax", "Original minimax GAN, saturating G loss (Goodfellow et al. 2014)",
        minimax_d, minimax_g, _minimax_ge, "logit",
        # Goodfellow et al. 2014, Algorithm 1: k = 1 discriminator step per G step, SGD with
        # momentum.  The momentum SGD rates of their code are tuned to maxout nets; the de
        # facto standard since is DCGAN's Adam 2e-4, beta1 0.5 (Radford et al. 2016, sec. 4),
        # which we take for every logit-based loss.
        _adam(2e-4, 2e-4, (0.5, 0.999), n_critic=1),
        {"n_critic": "Goodfellow et al. 2014, Algorithm 1 (k = 1)",
         "optimizer": "Radford et al. 2016 (DCGAN), sec. 4: Adam lr 2e-4, beta1 0.5"}),
    "non-saturating": LossSpec(
        "non-saturating", "Non-saturating GAN, -log D(G(z)) (Goodfellow et al. 2014, sec. 3)",
        minimax_d, non_saturating_g, _flipped_bce_ge, "logit",
        _adam(2e-4, 2e-4, (0.5, 0.999), n_critic=1),
        {"n_critic": "Goodfellow et al. 2014, Algorithm 1 (k = 1)",
         "optimizer": "Radford et al. 2016 (DCGAN), sec. 4: Adam lr 2e-4, beta1 0.5"}),
    "wgan-clip": LossSpec(
        "wgan-clip", "Wasserstein GAN with weight clipping (Arjovsky et al. 2017)",
        wasserstein_d, wasserstein_g, _wasserstein_ge, "score",
        # Arjovsky et al. 2017, Algorithm 1: alpha = 5e-5, c = 0.01, n_critic = 5, RMSProp
        # (momentum-based optimisers were unstable with the clipped critic, sec. 3).
        dict(optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5, betas=None, n_critic=5, clip=0.01,
             gp_lambda=0.0),
        {"all": "Arjovsky et al. 2017, Algorithm 1: RMSProp 5e-5, c = 0.01, n_critic = 5"}),
    "wgan-gp": LossSpec(
        "wgan-gp", "Wasserstein GAN with gradient penalty (Gulrajani et al. 2017)",
        wasserstein_d, wasserstein_g, _wasserstein_ge, "score",
        # Gulrajani et al. 2017, Algorithm 1: lambda = 10, n_critic = 5, Adam alpha = 1e-4,
        # beta1 = 0, beta2 = 0.9.  (Their toy-data code uses lambda 0.1 and beta1 0.5: see
        # LAB_DEFAULTS.)
        _adam(1e-4, 1e-4, (0.0, 0.9), n_critic=5, gp_lambda=10.0),
        {"all": "Gulrajani et al. 2017, Algorithm 1: lambda 10, n_critic 5, Adam 1e-4 (0, 0.9)"}),
    "lsgan": LossSpec(
        "lsgan", "Least-squares GAN, a-b-c = 0-1-1 (Mao et al. 2017)",
        lsgan_d, lsgan_g, _lsgan_ge, "least-squares",
        # Mao et al. 2017, sec. 4.1: Adam with beta1 = 0.5, learning rate 2e-4 (their
        # architecture follows DCGAN); one D step per G step.
        _adam(2e-4, 2e-4, (0.5, 0.999), n_critic=1),
        {"all": "Mao et al. 2017, sec. 4.1: Adam beta1 0.5, lr 2e-4 (DCGAN-style), k = 1"}),
    "hinge": LossSpec(
        "hinge", "Hinge GAN (Lim & Ye 2017; Miyato et al. 2018)",
        hinge_d, hinge_g, _wasserstein_ge, "score",
        # Miyato et al. 2018 (SN-GAN), Table 1, setting C: Adam lr 2e-4, beta1 0.5,
        # beta2 0.999, n_dis = 1.  (Their best ResNet runs used lr 2e-4, (0, 0.9), n_dis 5.)
        _adam(2e-4, 2e-4, (0.5, 0.999), n_critic=1),
        {"all": "Miyato et al. 2018, Table 1 setting C: Adam 2e-4 (0.5, 0.999), n_dis 1"}),
}


def get_loss(name: str) -> LossSpec:
    """The :class:`LossSpec` called ``name``; ``ValueError`` listing the choices otherwise."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {list(LOSSES)}") from None
