"""Small fully connected networks for the 2-D lab (MLP generator, discriminator / critic, BiGAN encoder).

The lab trains up to four configurations side by side.  Rather than four separate
``nn.Sequential`` models run one after the other, :class:`StackedMLP` holds E models of
the same shape in one parameter tensor and evaluates them together with batched matrix
products (``torch.baddbmm``): one call does the work of E small ones, which is what makes
lockstep training cheaper than sequential training on a CPU, where small matrix products
are dominated by per-call overhead.

A single model is just E = 1, so separate runs and lockstep runs execute the same code,
and each model's initial weights come from its own seeded generator: model e of a stack
starts from exactly the weights a stand-alone run with the same seed would get.

(The DCGAN and CycleGAN networks live in their own modules.)
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["ACTIVATIONS", "StackedMLP", "mlp"]

#: Activation functions by name.  LeakyReLU slope 0.2 follows DCGAN (Radford et al. 2016).
ACTIVATIONS = {
    "relu": F.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
    "tanh": torch.tanh,
    "elu": F.elu,
    "silu": F.silu,
    "softplus": F.softplus,
}

_MODULES = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": lambda: nn.Tanh(),
    "elu": lambda: nn.ELU(),
    "silu": lambda: nn.SiLU(),
    "softplus": lambda: nn.Softplus(),
}


def _check_activation(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")


class StackedMLP(nn.Module):
    """E independent MLPs of identical shape, evaluated together.

    Shape: ``in_dim -> [width] * depth -> out_dim``, an activation after every hidden
    layer, a linear output (a generator's points, a discriminator's logit or a critic's
    score).

    Parameters
    ----------
    n_models : int
        E, the number of stacked models (1 for a single model).
    in_dim, out_dim : int
        Input and output sizes.
    depth : int
        Number of hidden layers (>= 0; 0 gives a linear map).
    width : int
        Units per hidden layer.
    activation : str
        One of :data:`ACTIVATIONS`.
    seeds : list of int, optional
        One seed per model for its initial weights (default 0, 1, ..., E - 1).

    Notes
    -----
    All weights and biases live in one parameter ``flat`` of shape (E, P); each layer
    reads a view of it.  Keeping them flat makes optimiser updates, weight clipping and
    NaN checks one tensor operation each.  Initialisation matches ``nn.Linear``'s default:
    weights and biases uniform in ``+-1/sqrt(fan_in)``.

    ``forward`` takes x of shape (E, B, in_dim) and returns (E, B, out_dim); a (B, in_dim)
    input is broadcast to all E models.
    """

    def __init__(self, n_models: int, in_dim: int, out_dim: int, depth: int, width: int,
                 activation: str = "relu", seeds=None):
        super().__init__()
        _check_activation(activation)
        if n_models < 1 or in_dim < 1 or out_dim < 1 or depth < 0 or (depth > 0 and width < 1):
            raise ValueError("StackedMLP needs n_models, in_dim, out_dim >= 1, depth >= 0, width >= 1")
        self.n_models, self.in_dim, self.out_dim = n_models, in_dim, out_dim
        self.depth, self.width, self.activation = depth, width, activation
        self._act = ACTIVATIONS[activation]
        dims = [in_dim] + [width] * depth + [out_dim]
        self.layer_dims = list(zip(dims[:-1], dims[1:]))
        self._slices = []  # (weight offset, bias offset, fan_in, fan_out)
        offset = 0
        for fan_in, fan_out in self.layer_dims:
            self._slices.append((offset, offset + fan_in * fan_out, fan_in, fan_out))
            offset += fan_in * fan_out + fan_out
        self.n_params = offset
        seeds = list(range(n_models)) if seeds is None else [int(s) for s in seeds]
        if len(seeds) != n_models:
            raise ValueError(f"need one seed per model: {n_models} models, {len(seeds)} seeds")
        self.flat = nn.Parameter(torch.stack([self._init_one(s) for s in seeds]))

    def _init_one(self, seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        parts = []
        for fan_in, fan_out in self.layer_dims:
            bound = 1.0 / math.sqrt(fan_in)
            parts.append((torch.rand(fan_in * fan_out, generator=gen) * 2 - 1) * bound)
            parts.append((torch.rand(fan_out, generator=gen) * 2 - 1) * bound)
        return torch.cat(parts)

    def layers(self, flat: torch.Tensor | None = None):
        """Per-layer ``(W, b)`` views of ``flat``: W (E, fan_in, fan_out), b (E, 1, fan_out)."""
        if flat is None:
            # The views of the parameter itself are made once and reused: in-place updates
            # of ``flat`` show through them, and slicing costs more than a small layer here.
            cache = self.__dict__.get("_layer_cache")
            if cache is None or cache[0] is not self.flat or cache[2] != self.flat.data_ptr():
                with torch.enable_grad():  # views made under no_grad would not link to flat
                    cache = (self.flat, self._make_layers(self.flat), self.flat.data_ptr())
                self.__dict__["_layer_cache"] = cache
            return cache[1]
        return self._make_layers(flat)

    def _make_layers(self, flat):
        e = flat.shape[0]
        out = []
        for w0, b0, fan_in, fan_out in self._slices:
            out.append((flat[:, w0:b0].view(e, fan_in, fan_out), flat[:, b0:b0 + fan_out].view(e, 1, fan_out)))
        return out

    def forward(self, x: torch.Tensor, flat: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(0).expand((self.flat if flat is None else flat).shape[0], -1, -1)
        h = x
        layers = self.layers(flat)
        last = len(layers) - 1
        for i, (w, b) in enumerate(layers):
            if w.shape[2] == 1:
                # A single output unit (a discriminator's logit): a multiply-and-sum rather
                # than a matrix product, because batched matrix-vector products are rounded
                # differently for E = 1 and E > 1 and lockstep runs must equal separate runs.
                h = (h * w.transpose(1, 2)).sum(-1, keepdim=True) + b
            else:
                h = torch.baddbmm(b, h, w)
            if i < last:
                h = self._act(h)
        return h

    def to_sequential(self, index: int = 0) -> nn.Sequential:
        """Model ``index`` of the stack as an ordinary ``nn.Sequential`` (a copy of its weights)."""
        seq = mlp(self.in_dim, self.out_dim, self.depth, self.width, self.activation)
        linears = [m for m in seq if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for lin, (w, b) in zip(linears, self.layers()):
                lin.weight.copy_(w[index].T)
                lin.bias.copy_(b[index, 0])
        return seq.to(self.flat.device)


def mlp(in_dim: int, out_dim: int, depth: int, width: int, activation: str = "relu") -> nn.Sequential:
    """An ordinary ``nn.Sequential`` MLP with the same shape as a :class:`StackedMLP` model."""
    _check_activation(activation)
    dims = [in_dim] + [width] * depth + [out_dim]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(dims) - 2:
            layers.append(_MODULES[activation]())
    return nn.Sequential(*layers)
