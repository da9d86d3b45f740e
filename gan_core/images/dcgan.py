"""DCGAN for 32 x 32 images, built from the guidelines of Radford, Metz & Chintala (2016).

The lecture notes (seed 002) list the paper's architecture guidelines; each one is visible
below, and :data:`GUIDELINES` names them so the page can put each next to the layer it shapes:

1. ``strided``      -- replace pooling with strided convolutions (D) and fractionally-strided
                       (transposed) convolutions (G): the network learns its own resampling.
2. ``batchnorm``    -- batch normalisation in both networks, except G's output layer and D's
                       input layer (normalising those destabilises training / fixes the mean
                       and scale of the images).
3. ``no_fc``        -- no fully connected hidden layers: z is treated as a 1 x 1 image with
                       ``latent_dim`` channels and D ends in a 4 x 4 convolution to one logit.
4. ``relu_tanh``    -- ReLU in every G layer except the output, which uses Tanh (images in
                       [-1, 1]).
5. ``leaky_relu``   -- LeakyReLU with slope 0.2 in every D layer.
6. ``init``         -- weights from N(0, 0.02²); batch-norm scales from N(1, 0.02²), shifts 0.
7. ``adam``         -- Adam with learning rate 2e-4 and beta1 0.5 (the default 0.9 oscillated).

Shapes (``ngf = ndf = 32``, a quarter of the paper's 128 so that CPUs can train it: the shipped
``dcgan-mnist`` took 8,400 steps of batch 64 in 4,866 s on one shared CPU thread, its card says;
``nc`` image channels):

G: z (latent_dim, 1, 1) -> (4 ngf, 4, 4) -> (2 ngf, 8, 8) -> (ngf, 16, 16) -> (nc, 32, 32)
D: x (nc, 32, 32) -> (ndf, 16, 16) -> (2 ndf, 8, 8) -> (4 ndf, 4, 4) -> one logit

D returns a logit: the sigmoid of the paper is folded into ``BCEWithLogitsLoss`` because
``log(sigmoid(t))`` computed in one step does not underflow.

:func:`load_from_card` builds a :class:`DCGANSampler` from a ``pretrained/`` folder; use it
through ``gan_core.images.pretrained.load(name)``, which checks the sha256 first.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gan_core.images.image_data import to_signed, to_uint8

# Defaults cite Radford et al. 2016, section 3 / 4 (via the seed 002 lecture notes).
LATENT_DIM = 100          # "a 100 dimensional uniform distribution Z" (we draw N(0, I), as is usual)
NGF = 32                  # feature maps at G's last hidden layer (paper 128; 32 keeps a CPU step near 0.6 s)
NDF = 32
LEARNING_RATE = 2e-4      # "learning rate of 0.0002"
BETA1 = 0.5               # "reducing beta1 to 0.5 helped stabilize training"
LEAKY_SLOPE = 0.2         # "slope of the leak was set to 0.2"
INIT_STD = 0.02           # "zero-centered Normal distribution with standard deviation 0.02"
BATCH_SIZE = 64           # the paper used 128; 64 is what the shipped models were trained and timed with

GUIDELINES = {
    "strided": "Strided convolutions instead of pooling (D); transposed convolutions to upsample (G).",
    "batchnorm": "Batch norm in G and D, except G's output layer and D's input layer.",
    "no_fc": "No fully connected hidden layers: z enters as a 1x1 image, D ends in a 4x4 convolution.",
    "relu_tanh": "G uses ReLU in hidden layers and Tanh at the output (images in [-1, 1]).",
    "leaky_relu": "D uses LeakyReLU with slope 0.2 in every layer.",
    "init": "All weights drawn from N(0, 0.02²): mean 0, standard deviation 0.02 (variance 0.0004).",
    "adam": "Adam, learning rate 2e-4, beta1 0.5.",
}


def weights_init(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights ~ N(0, 0.02²); batch-norm scale ~ N(1, 0.02²), shift 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, INIT_STD)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, INIT_STD)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """G: z ``(n, latent_dim)`` or ``(n, latent_dim, 1, 1)`` -> images ``(n, channels, 32, 32)`` in [-1, 1]."""

    def __init__(self, latent_dim: int = LATENT_DIM, channels: int = 1, ngf: int = NGF):
        super().__init__()
        self.latent_dim, self.channels, self.ngf = latent_dim, channels, ngf
        # bias=False before batch norm: BN's shift makes a conv bias redundant.
        self.net = nn.Sequential(
            # no_fc: z is a 1x1 image; a 4x4 transposed conv "projects and reshapes" it.
            nn.ConvTranspose2d(latent_dim, ngf * 4, 4, 1, 0, bias=False),   # strided (transposed)
            nn.BatchNorm2d(ngf * 4),                                         # batchnorm
            nn.ReLU(True),                                                   # relu_tanh
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),      # strided: 4 -> 8
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),          # strided: 8 -> 16
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # output layer: no batch norm (guideline), Tanh (guideline)
            nn.ConvTranspose2d(ngf, channels, 4, 2, 1, bias=False),         # strided: 16 -> 32
            nn.Tanh(),
        )
        self.apply(weights_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() == 2:
            z = z[:, :, None, None]
        return self.net(z)


class Discriminator(nn.Module):
    """D: images ``(n, channels, 32, 32)`` -> logits ``(n,)`` (positive means "real")."""

    def __init__(self, channels: int = 1, ndf: int = NDF):
        super().__init__()
        self.channels, self.ndf = channels, ndf
        self.net = nn.Sequential(
            # input layer: no batch norm (guideline)
            nn.Conv2d(channels, ndf, 4, 2, 1, bias=False),                   # strided: 32 -> 16
            nn.LeakyReLU(LEAKY_SLOPE, inplace=True),                         # leaky_relu
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),                    # strided: 16 -> 8
            nn.BatchNorm2d(ndf * 2),                                         # batchnorm
            nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),                # strided: 8 -> 4
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
            # no_fc: a 4x4 convolution over the whole 4x4 map gives one logit
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
        )
        self.apply(weights_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def make_optimizers(generator: nn.Module, discriminator: nn.Module,
                    lr: float = LEARNING_RATE, beta1: float = BETA1):
    """The paper's Adam (lr 2e-4, betas (0.5, 0.999)) for G and for D."""
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(beta1, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(beta1, 0.999))
    return opt_g, opt_d


# ---------------------------------------------------------------------------------------------
# Architecture table: one row per layer with its output shape and the guideline that shapes it.

_LAYER_GUIDELINES = {
    ("G", nn.ConvTranspose2d): "strided",
    ("G", nn.BatchNorm2d): "batchnorm",
    ("G", nn.ReLU): "relu_tanh",
    ("G", nn.Tanh): "relu_tanh",
    ("D", nn.Conv2d): "strided",
    ("D", nn.BatchNorm2d): "batchnorm",
    ("D", nn.LeakyReLU): "leaky_relu",
}


def _describe(layer: nn.Module) -> str:
    if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        return (f"{type(layer).__name__}({layer.in_channels}->{layer.out_channels}, "
                f"k={layer.kernel_size[0]}, s={layer.stride[0]}, p={layer.padding[0]})")
    if isinstance(layer, nn.BatchNorm2d):
        return f"BatchNorm2d({layer.num_features})"
    if isinstance(layer, nn.LeakyReLU):
        return f"LeakyReLU({layer.negative_slope})"
    return f"{type(layer).__name__}()"


def architecture_table(network: nn.Module) -> list[dict]:
    """Rows ``{network, index, layer, output_shape, parameters, guideline, note}`` for G or D.

    Output shapes are measured by running one input through the network with forward hooks
    (not typed by hand), so the table cannot drift from the code.
    """
    which = "G" if isinstance(network, Generator) else "D"
    if which == "G":
        x = torch.zeros(2, network.latent_dim, 1, 1)
        first = {"network": "G", "index": 0, "layer": f"input z ~ N(0, I)",
                 "output_shape": (network.latent_dim, 1, 1), "parameters": 0,
                 "guideline": "no_fc", "note": GUIDELINES["no_fc"]}
    else:
        x = torch.zeros(2, network.channels, 32, 32)
        first = {"network": "D", "index": 0, "layer": "input image",
                 "output_shape": (network.channels, 32, 32), "parameters": 0,
                 "guideline": "", "note": "Real or generated image, values in [-1, 1]."}
    shapes = {}
    hooks = [layer.register_forward_hook(lambda m, i, o, k=k: shapes.__setitem__(k, tuple(o.shape[1:])))
             for k, layer in enumerate(network.net)]
    was_training = network.training
    network.eval()
    with torch.no_grad():
        network(x)
    network.train(was_training)
    for h in hooks:
        h.remove()
    rows = [first]
    layers = list(network.net)
    for k, layer in enumerate(layers):
        key = _LAYER_GUIDELINES.get((which, type(layer)), "")
        note = GUIDELINES.get(key, "")
        is_last_conv = isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)) and not any(
            isinstance(l, (nn.Conv2d, nn.ConvTranspose2d)) for l in layers[k + 1:])
        if which == "G" and k == 0:
            note = "z (1x1) projected to 4x4 by a transposed convolution. " + note
            key = "strided, no_fc"
        if which == "G" and is_last_conv:
            note = "Output layer: no batch norm after it. " + note
            key = "strided; no batchnorm"
        if which == "D" and k == 0:
            note = "Input layer: no batch norm after it. " + note
            key = "strided; no batchnorm"
        if which == "D" and is_last_conv:
            key, note = "no_fc", GUIDELINES["no_fc"] + " The logit's sigmoid is inside the loss."
        rows.append({
            "network": which, "index": k + 1, "layer": _describe(layer),
            "output_shape": shapes[k],
            "parameters": sum(p.numel() for p in layer.parameters()),
            "guideline": key, "note": note,
        })
    return rows


# ---------------------------------------------------------------------------------------------
# Latent-space helpers used by the page.

def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation ``(1 - t) z0 + t z1`` for each ``t``; returns ``(len(t), d)``."""
    t = t.reshape(-1, 1).to(z0.dtype)
    return (1 - t) * z0.reshape(1, -1) + t * z1.reshape(1, -1)


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation along the great circle between ``z0`` and ``z1``.

    ``slerp = sin((1-t) w) / sin w * z0 + sin(t w) / sin w * z1`` with ``w`` the angle between
    them.  Why: a Gaussian latent lives near a sphere of radius sqrt(d); the straight line's
    midpoint has norm ~ sqrt(d / 2), a region G never saw in training.  When ``w`` is ~0 the
    formula is 0/0 and we fall back to :func:`lerp`.
    """
    a, b = z0.reshape(-1), z1.reshape(-1)
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if float(torch.sin(omega)) < 1e-6:
        return lerp(z0, z1, t)
    t = t.reshape(-1, 1).to(a.dtype)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def latents(n: int, latent_dim: int, seed: int | None = None) -> torch.Tensor:
    """``n`` latent vectors ``z ~ N(0, I_latent_dim)``; reproducible for a given integer ``seed``.

    Drawn with NumPy's sequential generator so the draws are prefix-stable: the first ``k`` rows
    for ``n`` are exactly the rows for ``k`` (``torch.randn`` changes its algorithm with the
    size), so asking for more samples on the page keeps the ones already shown.
    """
    rng = np.random.default_rng(None if seed is None else int(seed))
    return torch.from_numpy(rng.standard_normal((int(n), int(latent_dim)), dtype=np.float32))


# ---------------------------------------------------------------------------------------------
# The loaded model.

@dataclass
class DCGANSampler:
    """A shipped DCGAN generator, ready to sample on the CPU.

    ``sample(n, seed)`` returns a float tensor ``(n, channels, 32, 32)`` in [-1, 1] in the data's
    own convention (-1 is the black background).  The generator runs in eval mode, so its batch
    norms use the population statistics stored with the weights and a sample depends only on
    its own z, not on what else is in the batch.
    """

    name: str
    generator: Generator
    card: dict
    folder: Path

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @property
    def channels(self) -> int:
        return self.generator.channels

    @property
    def class_names(self) -> list[str]:
        return list(self.card.get("data", {}).get("classes", []))

    def latents(self, n: int, seed: int | None = None) -> torch.Tensor:
        return latents(n, self.latent_dim, seed)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Images for given latents ``z`` ``(n, latent_dim)``; values in [-1, 1]."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (n, {self.latent_dim}), got {tuple(z.shape)}")
        return self.generator(z.float()).clamp_(-1.0, 1.0)

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        """``n`` samples ``(n, channels, 32, 32)`` in [-1, 1]; same ``seed`` -> same images."""
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return self.generate(self.latents(n, seed))

    # Extras shipped next to the weights (not needed for sampling, used by the page).
    def _extra(self, key: str) -> dict | None:
        from safetensors.torch import load_file

        filename = self.card.get("files", {}).get(key)
        if not filename:
            return None
        path = self.folder / filename
        if not path.is_file():
            return None
        return load_file(str(path))

    def training_images(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The shipped subset of training images, uint8 ``(n, 32, 32)`` and int64 labels, or None."""
        data = self._extra("training_subset")
        if data is None:
            return None
        # Shipped at 28 x 28 (23% smaller); padded here exactly as the training data was.
        return torch.from_numpy(pad_to_32(data["images"].numpy())), data["labels"]

    def progression(self) -> tuple[torch.Tensor, list[int]] | None:
        """Per-epoch samples of a fixed z: uint8 ``(epochs, k, 32, 32)`` and their epoch numbers."""
        data = self._extra("progression")
        if data is None:
            return None
        return data["images"], [int(e) for e in data["epochs"].tolist()]

    def losses(self) -> dict | None:
        """The recorded per-epoch losses (``losses.json``), or None when not shipped or unreadable."""
        filename = self.card.get("files", {}).get("losses")
        path = self.folder / filename if filename else None
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):  # a damaged record must not take the page down
            return None


def build_generator(architecture: dict) -> Generator:
    """A fresh G with the hyper-parameters of a card's ``architecture`` entry."""
    return Generator(latent_dim=int(architecture.get("latent_dim", LATENT_DIM)),
                     channels=int(architecture.get("channels", 1)),
                     ngf=int(architecture.get("ngf", NGF)))


def load_from_card(folder: Path, card: dict, paths: dict[str, Path]) -> DCGANSampler:
    """Builder for ``kind == "dcgan"`` used by :func:`gan_core.images.pretrained.load` (sha256 already checked)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    weights = card.get("files", {}).get("generator", "generator.safetensors")
    if weights not in paths:
        raise ValueError(f"the card does not list the sha256 of {weights}")
    generator = build_generator(card.get("architecture", {}))
    generator.load_state_dict(load_file(str(paths[weights])))
    generator.eval()
    return DCGANSampler(name=folder.name, generator=generator, card=card, folder=folder)


def nearest_images(queries: torch.Tensor, pool_uint8: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Index and L2 distance (in [-1, 1] pixel units) of each query's nearest image in ``pool``.

    ``queries`` ``(n, 1, 32, 32)`` in [-1, 1]; ``pool_uint8`` ``(m, 32, 32)``.  Distance is
    ``||q - p||_2`` over the 1024 pixels, computed as ``|q|^2 + |p|^2 - 2 q.p`` in float64.
    """
    q = queries.reshape(len(queries), -1).double()
    p = to_signed(pool_uint8.reshape(len(pool_uint8), -1), torch.float64)
    d2 = (q * q).sum(1, keepdim=True) + (p * p).sum(1)[None, :] - 2.0 * q @ p.T
    d2 = d2.clamp_min(0.0)
    best = d2.argmin(dim=1)
    return best.numpy(), d2.gather(1, best[:, None]).sqrt().squeeze(1).numpy()


# ---------------------------------------------------------------------------------------------
# Pictures (pure numpy / Pillow; the page and the training script share them).

def to_uint8_images(images: torch.Tensor) -> np.ndarray:
    """``(n, c, h, w)`` in [-1, 1] -> uint8 ``(n, h, w)`` (c = 1) or ``(n, h, w, c)`` for display
    (:func:`gan_core.images.image_data.to_uint8`, channels last)."""
    x = to_uint8(images).transpose(0, 2, 3, 1)
    return x[..., 0] if x.shape[-1] == 1 else x


def pad_to_32(images_uint8: np.ndarray) -> np.ndarray:
    """Pad 28 x 28 uint8 images with 2 pixels of black background to 32 x 32 (32 x 32 pass through)."""
    images_uint8 = np.asarray(images_uint8)
    if images_uint8.shape[1:3] == (28, 28):
        return np.pad(images_uint8, ((0, 0), (2, 2), (2, 2)))
    return images_uint8


def image_grid(images_uint8: np.ndarray, columns: int, pad: int = 2, scale: int = 1,
               background: int = 128) -> np.ndarray:
    """Tile uint8 images ``(n, h, w)`` into one ``(H, W)`` array, ``pad`` grey pixels between tiles.

    ``scale`` repeats each pixel (nearest neighbour) so small images stay crisp when enlarged.
    Empty cells of the last row stay grey.  ``n = 0`` gives a 1 x 1 grey image.
    """
    images_uint8 = np.asarray(images_uint8)
    if len(images_uint8) == 0:
        return np.full((1, 1), background, dtype=np.uint8)
    n, h, w = images_uint8.shape[:3]
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    canvas = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad) + images_uint8.shape[3:],
                     background, dtype=np.uint8)
    for k in range(n):
        r, c = divmod(k, columns)
        y0, x0 = pad + r * (h + pad), pad + c * (w + pad)
        canvas[y0:y0 + h, x0:x0 + w] = images_uint8[k]
    if scale > 1:
        canvas = canvas.repeat(scale, axis=0).repeat(scale, axis=1)
    return canvas


def png_bytes(array_uint8: np.ndarray) -> bytes:
    """Encode a uint8 grey ``(H, W)`` or RGB ``(H, W, 3)`` array as PNG bytes."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array_uint8)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Latent walks used by the page (pure tensors in, tensors out).

def interpolation_path(z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "linear") -> torch.Tensor:
    """``steps`` latents from ``z0`` to ``z1`` (both ends included), ``method`` linear or spherical."""
    if steps < 2:
        raise ValueError("an interpolation needs at least 2 steps")
    t = torch.linspace(0.0, 1.0, steps)
    if method == "linear":
        return lerp(z0, z1, t)
    if method == "spherical":
        return slerp(z0, z1, t)
    raise ValueError(f"method must be 'linear' or 'spherical', got {method!r}")


def direction_walk(z: torch.Tensor, direction: torch.Tensor, amounts: torch.Tensor) -> torch.Tensor:
    """``z + a u`` for every amount ``a``, ``u`` the unit vector of ``direction``; returns ``(len(z) * len(a), d)``.

    Rows are grouped by base latent: the first ``len(amounts)`` rows walk from ``z[0]``.
    """
    u = direction.reshape(-1) / direction.norm().clamp_min(1e-12)
    return (z[:, None, :] + amounts.reshape(1, -1, 1) * u.reshape(1, 1, -1)).reshape(-1, z.shape[1])


def unit_direction(latent_dim: int, kind: str, coordinate: int = 0, seed: int = 0) -> torch.Tensor:
    """A unit vector: the ``coordinate``-th axis (``kind="axis"``) or a random direction (``"random"``)."""
    if kind == "axis":
        if not 0 <= coordinate < latent_dim:
            raise ValueError(f"coordinate must be in 0..{latent_dim - 1}, got {coordinate}")
        u = torch.zeros(latent_dim)
        u[coordinate] = 1.0
        return u
    if kind == "random":
        u = torch.randn(latent_dim, generator=torch.Generator().manual_seed(int(seed)))
        return u / u.norm()
    raise ValueError(f"kind must be 'axis' or 'random', got {kind!r}")


# ---------------------------------------------------------------------------------------------
# Figures (plotly imported lazily: data in, figure out).

def loss_curves_figure(history: list[dict]):
    """Per-epoch mean D and G losses (nats) and mean D outputs (probabilities) on two y axes."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    epochs = [h["epoch"] for h in history]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Losses (nats, mean per epoch)",
                                                        "Discriminator outputs (probability)"))
    fig.add_scatter(x=epochs, y=[h["d_loss"] for h in history], name="D loss", row=1, col=1)
    fig.add_scatter(x=epochs, y=[h["g_loss"] for h in history], name="G loss (non-saturating)", row=1, col=1)
    fig.add_scatter(x=epochs, y=[h["d_real"] for h in history], name="D(x), real", row=1, col=2)
    fig.add_scatter(x=epochs, y=[h["d_fake"] for h in history], name="D(G(z)), generated", row=1, col=2)
    fig.add_hline(y=2 * np.log(2), line_dash="dot", row=1, col=1,
                  annotation_text="2 ln 2 = D loss at equilibrium", annotation_position="top left")
    fig.add_hline(y=0.5, line_dash="dot", row=1, col=2, annotation_text="1/2 = equilibrium")
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="nats", row=1, col=1)
    fig.update_yaxes(title_text="probability", range=[0, 1], row=1, col=2)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), uirevision="losses",
                      legend=dict(orientation="h", y=-0.25))
    return fig


def class_histogram_figure(counts: dict[str, int]):
    """Bar chart of the share of samples the classifier puts in each class, with the uniform line."""
    import plotly.graph_objects as go

    names = list(counts)
    total = max(1, sum(counts.values()))
    shares = [100.0 * counts[k] / total for k in names]
    # Each value sits in the middle of its bar (above it when the bar is too short to hold it), so
    # the uniform line near the tops of the bars crosses no label.
    fig = go.Figure(go.Bar(x=names, y=shares, text=[f"{s:.1f}%" for s in shares], textposition="auto",
                           insidetextanchor="middle"))
    fig.add_hline(y=100.0 / len(names), line_dash="dot", annotation_text="uniform", annotation_position="right")
    fig.update_layout(height=330, margin=dict(l=10, r=70, t=30, b=10), yaxis_title="share of samples (%)",
                      xaxis_title="class the classifier assigns", uirevision="hist")
    fig.update_xaxes(type="category")  # digits' names are numbers: every class gets its tick
    return fig


def latent_norm_figure(norms: dict[str, np.ndarray], latent_dim: int):
    """Norm of the latent along each interpolation path, with sqrt(d), where N(0, I) puts its mass."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, values in norms.items():
        fig.add_scatter(x=np.linspace(0, 1, len(values)), y=values, mode="lines+markers", name=label)
    fig.add_hline(y=float(np.sqrt(latent_dim)), line_dash="dot",
                  annotation_text=f"√d = {np.sqrt(latent_dim):.1f} (typical |z| for d = {latent_dim})")
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="position t along the path",
                      yaxis_title="|z| (latent units)", uirevision="norms")
    return fig


def animation_figure(frames_uint8: np.ndarray, labels: list[str], scale: int = 8):
    """A plotly animation (play button and slider) of grey images ``(frames, h, w)``."""
    import plotly.express as px

    big = frames_uint8.repeat(scale, axis=1).repeat(scale, axis=2)
    fig = px.imshow(big, animation_frame=0, binary_string=True, labels=dict(animation_frame="step"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    for step, label in zip(fig.layout.sliders[0].steps, labels):
        step.label = label
    fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["duration"] = 250
    fig.layout.sliders[0].currentvalue.prefix = ""
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=10, b=10))
    return fig
