"""CycleGAN: two generators, two discriminators and the cycle-consistency loss.

Notation follows the source text (seed 001, section 5) and Zhu et al. 2017, "Unpaired
Image-to-Image Translation using Cycle-Consistent Adversarial Networks" (arXiv:1703.10593):
domain A (called X in the text) and domain B (Y); ``G_ab`` (G_xy, the paper's G) maps A to
B, ``G_ba`` (G_yx, the paper's F) maps B to A; ``D_a`` and ``D_b`` judge each domain.

The full objective minimised by the generators is

.. math::

    L = L_{GAN}(G_{ab}, D_b) + L_{GAN}(G_{ba}, D_a)
        + \\lambda_{cyc}\\,( E_a \\|G_{ba}(G_{ab}(a)) - a\\|_1 + E_b \\|G_{ab}(G_{ba}(b)) - b\\|_1 )
        + \\lambda_{id}\\,( E_b \\|G_{ab}(b) - b\\|_1 + E_a \\|G_{ba}(a) - a\\|_1 )

with the least-squares GAN loss (LSGAN, Mao et al. 2017) for :math:`L_{GAN}`.
Defaults are those of the reference implementation junyanz/pytorch-CycleGAN-and-pix2pix
(``options/train_options.py``, ``models/cycle_gan_model.py``, ``models/networks.py``); each is
cited where it is set.  The networks are scaled down from 256x256 to 32x32 images so that
they train on two CPU cores; the scaling choices are stated in :func:`define_G` / :func:`define_D`.

Nothing here imports Streamlit; torch is imported because every function needs it.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from gan_core.images.training import linear_decay_factor  # noqa: F401  (part of this module's API)

# --- reference defaults (junyanz/pytorch-CycleGAN-and-pix2pix) ---------------------------
LAMBDA_CYCLE = 10.0  # train_options / cycle_gan_model: --lambda_A = --lambda_B = 10.0
LAMBDA_IDENTITY_FRACTION = 0.5  # cycle_gan_model: --lambda_identity 0.5, *scaled by* lambda_A
POOL_SIZE = 50  # train_options: --pool_size 50 (Shrivastava et al. 2017 history buffer)
LEARNING_RATE = 2e-4  # train_options: --lr 0.0002
BETA1 = 0.5  # train_options: --beta1 0.5 (Adam betas (0.5, 0.999))
INIT_GAIN = 0.02  # base_options: --init_type normal --init_gain 0.02
DIRECTIONS = ("a2b", "b2a")


# --- networks ----------------------------------------------------------------------------
class ResnetBlock(nn.Module):
    """Two 3x3 convolutions with a skip connection: ``x + conv(conv(x))``; shape is kept.

    Reflection padding and instance normalisation as in the reference ``ResnetBlock``.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=True),
            nn.InstanceNorm2d(channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=True),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x):
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """ResNet generator (Johnson et al. 2016 as used by CycleGAN): (n, C_in, H, W) -> (n, C_out, H, W).

    7x7 stem -> two stride-2 downsamplings (channels ngf -> 2 ngf -> 4 ngf, size H/4) ->
    ``n_blocks`` residual blocks -> two transposed-conv upsamplings -> 7x7 conv -> tanh, so the
    output lies in (-1, 1) like the inputs.  H and W must be multiples of 4.
    """

    def __init__(self, in_channels: int, out_channels: int, ngf: int = 16, n_blocks: int = 4):
        super().__init__()
        layers = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, ngf, 7, bias=True),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        channels = ngf
        for _ in range(2):  # reference: n_downsampling = 2
            layers += [
                nn.Conv2d(channels, channels * 2, 3, stride=2, padding=1, bias=True),
                nn.InstanceNorm2d(channels * 2),
                nn.ReLU(True),
            ]
            channels *= 2
        layers += [ResnetBlock(channels) for _ in range(n_blocks)]
        for _ in range(2):
            layers += [
                nn.ConvTranspose2d(channels, channels // 2, 3, stride=2, padding=1, output_padding=1, bias=True),
                nn.InstanceNorm2d(channels // 2),
                nn.ReLU(True),
            ]
            channels //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(channels, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN discriminator: (n, C, H, W) -> (n, 1, h, w), one real/fake score per patch.

    Reference ``NLayerDiscriminator``: 4x4 convolutions, the first ``n_layers`` with stride 2,
    LeakyReLU(0.2), instance norm except on the first layer, then a stride-1 layer and a
    1-channel output.  Scores are raw (no sigmoid) because the LSGAN loss is used.
    Receptive field: 16 px for n_layers=1, 34 px for 2, 70 px for 3.
    """

    def __init__(self, in_channels: int, ndf: int = 32, n_layers: int = 2):
        super().__init__()
        layers = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            previous, mult = mult, min(2**n, 8)
            layers += [
                nn.Conv2d(ndf * previous, ndf * mult, 4, stride=2, padding=1, bias=True),
                nn.InstanceNorm2d(ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        previous, mult = mult, min(2**n_layers, 8)
        layers += [
            nn.Conv2d(ndf * previous, ndf * mult, 4, stride=1, padding=1, bias=True),
            nn.InstanceNorm2d(ndf * mult),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1),
        ]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)

    @property
    def receptive_field(self) -> int:
        """Side in pixels of the input patch that one output score sees, from the convolutions."""
        rf, jump = 1, 1
        for layer in self.model:
            if isinstance(layer, nn.Conv2d):
                rf += (layer.kernel_size[0] - 1) * jump
                jump *= layer.stride[0]
        return rf


def init_weights(module: nn.Module, gain: float = INIT_GAIN) -> None:
    """Reference ``init_type='normal'``: conv weights ~ N(0, gain^2), biases 0."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, gain)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


# Registry of named parts (style of the reference's define_G / define_D).
GENERATORS = {"resnet": ResnetGenerator}
DISCRIMINATORS = {"patch": PatchDiscriminator}


def define_G(arch: dict) -> ResnetGenerator:
    """Generator from a card's ``architecture`` dict (``channels``, ``ngf``, ``n_blocks``).

    Scaled from the reference (ngf 64, 9 blocks at 256 px; 6 blocks at 128 px) to ngf 16-32
    and 4-6 blocks at 32 px: with two downsamplings the residual blocks work on 8x8 maps.
    """
    cls = GENERATORS[arch.get("generator", "resnet")]
    return cls(arch["channels"], arch["channels"], arch["ngf"], arch["n_blocks"])


def define_D(arch: dict) -> PatchDiscriminator:
    """Discriminator from a card's ``architecture`` dict (``channels``, ``ndf``, ``d_layers``).

    The reference uses 3 layers (70x70 patches on 256 px images, about a quarter of the
    width).  At 32 px 3 layers would see the whole image, so the default here is 2 layers:
    34 px receptive field and a 6x6 grid of patch scores.
    """
    cls = DISCRIMINATORS[arch.get("discriminator", "patch")]
    return cls(arch["channels"], arch["ndf"], arch["d_layers"])


# --- losses ------------------------------------------------------------------------------
def lsgan_loss(scores: torch.Tensor, target_is_real: bool) -> torch.Tensor:
    """Least-squares GAN loss, mean over patches: ``mean((D(x) - t)^2)`` with t = 1 (real) or 0 (fake).

    Reference ``GANLoss('lsgan')`` = ``nn.MSELoss`` against a tensor of 1s or 0s.
    """
    target = torch.ones_like(scores) if target_is_real else torch.zeros_like(scores)
    return torch.mean((scores - target) ** 2)


def cycle_loss(original: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """Cycle-consistency term ``E ||F(G(x)) - x||_1`` as a mean absolute difference per pixel.

    Unweighted (multiply by :data:`LAMBDA_CYCLE`).  Pixels are in [-1, 1], so the value is in
    [0, 2]; 0 means the round trip returned the input exactly.
    """
    return torch.mean(torch.abs(reconstructed - original))


def identity_loss(target_domain_images: torch.Tensor, mapped: torch.Tensor) -> torch.Tensor:
    """Identity term ``E_y ||G(y) - y||_1``: a generator fed an image already in its output domain
    should leave it alone.  Mean absolute difference per pixel, in [0, 2]; unweighted
    (multiply by ``LAMBDA_IDENTITY_FRACTION * LAMBDA_CYCLE``)."""
    return torch.mean(torch.abs(mapped - target_domain_images))


def discriminator_loss(D: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Reference ``backward_D_basic``: ``0.5 * (lsgan(D(real), 1) + lsgan(D(fake), 0))``.

    The 0.5 slows D relative to G (paper, section 4 "Training details").  ``fake`` is
    detached so only D learns from this loss.
    """
    return 0.5 * (lsgan_loss(D(real), True) + lsgan_loss(D(fake.detach()), False))


@dataclass
class GeneratorLosses:
    """The generator terms of one step (unweighted; the semantic pair only when it is on) and the weighted total."""

    gan_ab: torch.Tensor
    gan_ba: torch.Tensor
    cycle_a: torch.Tensor
    cycle_b: torch.Tensor
    identity_a: torch.Tensor
    identity_b: torch.Tensor
    total: torch.Tensor
    fake_b: torch.Tensor = field(repr=False)
    fake_a: torch.Tensor = field(repr=False)
    semantic_a: torch.Tensor | None = None  # with a classifier: its disagreement on G_ab(a) (cross-entropy)
    semantic_b: torch.Tensor | None = None


def semantic_loss(classifier, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of ``classifier`` on the translations against its own reading of the inputs.

    The semantic consistency term of CyCADA (Hoffman et al. 2018, eq. 4): a frozen classifier of
    the content (here the digit, trained on real images of both domains) must read in ``G(x)``
    what it reads in ``x``.  Unlike the pixel cycle it says nothing about *where* the strokes go,
    so the generator may change shape (a printed 4 is drawn differently) and keep the digit.
    """
    with torch.no_grad():
        target = classifier(real).argmax(1)
    return F.cross_entropy(classifier(fake), target)


def generator_losses(
    G_ab, G_ba, D_a, D_b, real_a, real_b,
    lambda_cycle: float = LAMBDA_CYCLE,
    lambda_identity_fraction: float = LAMBDA_IDENTITY_FRACTION,
    classifier=None,
    lambda_semantic: float = 0.0,
    lambda_cycle_a: float | None = None,
) -> GeneratorLosses:
    """All generator terms of the CycleGAN objective for one batch (reference ``backward_G``).

    total = lsgan(D_b(G_ab(a)), 1) + lsgan(D_a(G_ba(b)), 1)
          + lambda_cycle * (|G_ba(G_ab(a)) - a| + |G_ab(G_ba(b)) - b|)
          + lambda_identity_fraction * lambda_cycle * (|G_ab(b) - b| + |G_ba(a) - a|)

          (+ lambda_semantic * (CE(C(G_ab(a)), C(a)) + CE(C(G_ba(b)), C(b))) with a frozen classifier C)

    With ``lambda_cycle = 0`` the cycle and identity terms vanish (the identity weight is a
    fraction of the cycle weight, as in the reference): the "no cycle" ablation.  The semantic
    term (:func:`semantic_loss`, not in the reference) is off unless ``lambda_semantic > 0``.

    ``lambda_cycle_a`` (default: ``lambda_cycle``) weighs the A -> B -> A cycle on its own, the
    reference's separate ``--lambda_A``; ``lambda_cycle`` then weighs B -> A -> B (``--lambda_B``).
    As in the reference, each identity term is scaled by the other direction's weight:
    ``|G_ab(b) - b|`` by lambda_B, ``|G_ba(a) - a|`` by lambda_A.  Why one would lower lambda_A:
    when A is the many-styles domain (handwriting) and B the canonical one (print), the
    A -> B -> A cycle can only be closed if G_ab hides A's style inside its output, which holds
    G_ab(a) close to a.
    """
    fake_b = G_ab(real_a)
    fake_a = G_ba(real_b)
    gan_ab = lsgan_loss(D_b(fake_b), True)
    gan_ba = lsgan_loss(D_a(fake_a), True)
    cycle_a = cycle_loss(real_a, G_ba(fake_b))
    cycle_b = cycle_loss(real_b, G_ab(fake_a))
    lambda_a = lambda_cycle if lambda_cycle_a is None else lambda_cycle_a
    lambda_b = lambda_cycle
    if lambda_identity_fraction * (lambda_a + lambda_b) > 0:
        identity_b = identity_loss(real_b, G_ab(real_b))
        identity_a = identity_loss(real_a, G_ba(real_a))
    else:  # skip two forward passes, as the reference does
        identity_a = identity_b = torch.zeros((), device=real_a.device)
    total = (gan_ab + gan_ba + lambda_a * cycle_a + lambda_b * cycle_b
             + lambda_identity_fraction * (lambda_b * identity_b + lambda_a * identity_a))
    semantic_a = semantic_b = None
    if lambda_semantic > 0:
        if classifier is None:
            raise ValueError("the semantic term needs a classifier")
        semantic_a, semantic_b = semantic_loss(classifier, real_a, fake_b), semantic_loss(classifier, real_b, fake_a)
        total = total + lambda_semantic * (semantic_a + semantic_b)
    return GeneratorLosses(gan_ab, gan_ba, cycle_a, cycle_b, identity_a, identity_b, total, fake_b, fake_a,
                           semantic_a, semantic_b)


class ImagePool:
    """History of generated images shown to the discriminators (Shrivastava et al. 2017).

    Reference ``util/image_pool.py``: while fewer than ``size`` images are stored, each new
    image is stored and returned; afterwards, each image is, with probability 0.5, swapped
    with a random stored one (the *old* image is returned, the new one stored), otherwise
    returned as is.  ``size = 0`` disables the pool.  Uses its own ``random.Random`` so a
    seeded run is reproducible.
    """

    def __init__(self, size: int = POOL_SIZE, seed: int | None = None):
        self.size = int(size)
        self.images: list[torch.Tensor] = []
        self.rng = random.Random(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif self.rng.random() > 0.5:
                index = self.rng.randrange(self.size)
                old = self.images[index].clone()
                self.images[index] = image.clone()
                out.append(old)
            else:
                out.append(image)
        return torch.cat(out, 0)

    def state_dict(self) -> dict:
        return {"images": [t.clone() for t in self.images], "rng": self.rng.getstate()}

    def load_state_dict(self, state: dict) -> None:
        self.images = [t.clone() for t in state["images"]]
        self.rng.setstate(state["rng"])


class DigitClassifier(nn.Module):
    """Small CNN (n, 1, 32, 32) in [-1, 1] -> 10 logits: the digit judge of the digit models
    shipped before the trainer used :func:`gan_core.images.classifier.train_classifier` (their
    ``classifier.safetensors`` has this layout; newer ones hold a ``classifier.SmallCNN``).
    Kept so those models still load.
    """

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 16, 10))

    def forward(self, x):
        return self.net(x)


# --- the shipped translator --------------------------------------------------------------
class CycleGANTranslator:
    """A loaded CycleGAN: ``.domains`` (name of A, name of B) and ``.translate(images, direction)``.

    Images are float tensors (n, channels, size, size) in [-1, 1]; for the digit model
    (n, 1, 32, 32) white digits on black as in MNIST.  Runs on the CPU in eval mode.
    """

    def __init__(self, G_ab: nn.Module, G_ba: nn.Module, card: dict, folder: Path | None = None,
                 classifier: nn.Module | None = None):
        self.G_ab = G_ab.eval()
        self.G_ba = G_ba.eval()
        self.classifier = classifier.eval() if classifier is not None else None
        self.card = card
        self.folder = folder
        self.domains = tuple(card["domains"])
        arch = card["architecture"]
        self.channels = int(arch["channels"])
        self.size = int(arch["image_size"])

    def _check(self, images) -> torch.Tensor:
        if not isinstance(images, torch.Tensor):
            raise TypeError("images must be a torch tensor of shape (n, channels, H, W)")
        expected = (self.channels, self.size, self.size)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must have shape (n, {expected[0]}, {expected[1]}, {expected[2]}), got {tuple(images.shape)}")
        return images.float()

    def generator(self, direction: str) -> nn.Module:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
        return self.G_ab if direction == "a2b" else self.G_ba

    @torch.no_grad()
    def translate(self, images: torch.Tensor, direction: str) -> torch.Tensor:
        """``G_ab(images)`` for ``"a2b"``, ``G_ba(images)`` for ``"b2a"``; same shape, values in (-1, 1)."""
        generator = self.generator(direction)
        images = self._check(images)
        if images.shape[0] == 0:
            return images.clone()
        return generator(images)

    @torch.no_grad()
    def round_trip(self, images: torch.Tensor, direction: str) -> dict:
        """x, G(x), F(G(x)), the identity mapping F(x) and the per-image L1 numbers shown on the page.

        For ``direction="a2b"``: ``translated = G_ab(x)``, ``reconstructed = G_ba(G_ab(x))``,
        ``identity = G_ba(x)`` (x already belongs to G_ba's output domain, so an ideal G_ba
        leaves it alone).  ``cycle_l1`` and ``identity_l1`` are per-image means of
        ``|. - x|`` over pixels (range [0, 2] since pixels lie in [-1, 1]).
        """
        images = self._check(images)
        forward = self.generator(direction)
        backward = self.generator("b2a" if direction == "a2b" else "a2b")
        translated = forward(images)
        reconstructed = backward(translated)
        identity = backward(images)
        return {
            "input": images,
            "translated": translated,
            "reconstructed": reconstructed,
            "identity": identity,
            "cycle_l1": (reconstructed - images).abs().flatten(1).mean(1),
            "identity_l1": (identity - images).abs().flatten(1).mean(1),
        }

    @torch.no_grad()
    def classify(self, images: torch.Tensor) -> torch.Tensor | None:
        """Digit probabilities (n, 10) from the shipped classifier, or None when the model has none."""
        if self.classifier is None:
            return None
        return torch.softmax(self.classifier(self._check(images)), dim=1)

    def gallery_names(self) -> list[str]:
        """Names of the gallery's rows (emoji names), or [] when none are stored."""
        path = Path(self.folder or ".") / "gallery.safetensors"
        if not path.is_file():
            return []
        from safetensors import safe_open

        with safe_open(str(path), "pt") as handle:
            metadata = handle.metadata() or {}
        try:
            return list(json.loads(metadata.get("names", "[]")))
        except ValueError:
            return []

    def gallery(self) -> dict:
        """Example inputs shipped with the model: ``{"a": uint8 (n,C,H,W), "b": ..., "a_labels": ...}``.

        Empty dict when the model folder has no ``gallery.safetensors``.
        """
        if self.folder is None:
            return {}
        path = Path(self.folder) / "gallery.safetensors"
        if not path.is_file():
            return {}
        from safetensors.torch import load_file

        return load_file(str(path))


def build_generators(arch: dict) -> tuple[nn.Module, nn.Module]:
    return define_G(arch), define_G(arch)


def load_from_card(folder: Path, card: dict, paths: dict[str, Path]) -> CycleGANTranslator:
    """Builder used by :func:`gan_core.images.pretrained.load`: the card's weights -> translator.

    Expects ``generators.safetensors`` with keys ``G_ab.*`` and ``G_ba.*`` (already sha256-checked
    by the caller).  ``gallery.safetensors`` (example inputs) is also checked when listed.
    """
    from safetensors.torch import load_file

    if "generators.safetensors" not in paths:
        raise ValueError("card lists no generators.safetensors")
    state = load_file(str(paths["generators.safetensors"]))
    G_ab, G_ba = build_generators(card["architecture"])
    G_ab.load_state_dict({k[len("G_ab."):]: v for k, v in state.items() if k.startswith("G_ab.")})
    G_ba.load_state_dict({k[len("G_ba."):]: v for k, v in state.items() if k.startswith("G_ba.")})
    classifier = None
    if "classifier.safetensors" in paths:  # the digit judge, trained on both styles
        weights = load_file(str(paths["classifier.safetensors"]))
        if any(k.startswith("net.") for k in weights):
            classifier = DigitClassifier()
        else:
            from gan_core.images.classifier import SmallCNN

            classifier = SmallCNN(1, 10)
        classifier.load_state_dict(weights)
    return CycleGANTranslator(G_ab, G_ba, card, Path(folder), classifier)


def generator_state(G_ab: nn.Module, G_ba: nn.Module) -> dict[str, torch.Tensor]:
    """Flat state dict with ``G_ab.`` / ``G_ba.`` prefixes, contiguous for safetensors."""
    state = {f"G_ab.{k}": v.detach().cpu().contiguous() for k, v in G_ab.state_dict().items()}
    state.update({f"G_ba.{k}": v.detach().cpu().contiguous() for k, v in G_ba.state_dict().items()})
    return state

