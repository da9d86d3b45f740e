"""The lab's training engine: E configurations of one architecture trained together on stacked tensors.

:class:`_Engine` owns the stacked networks (:class:`gan_core.lab.nets.StackedMLP`), one stacked
optimiser per network (:class:`_StackedOptimizer`), every member's random streams and its
history and snapshots.  A single run is E = 1, so a run alone and a run in a group execute the
same code.  :func:`group_engines` splits a list of configurations into engines by shape.

Design
------
* All models of a group live in stacked tensors and are updated by one stacked optimiser,
  so E configurations cost little more than one.
* Every configuration owns its random streams (weights of G, D, E; data; latent codes;
  gradient-penalty mixing), all derived from its seed, drawn on the CPU.  A configuration
  therefore sees exactly the same numbers whether it trains alone or next to others, and
  on CPU or GPU.
* Configurations with different numbers of critic steps share the loop: at D sub-step k
  only the configurations with ``n_critic > k`` update (a mask), the others skip.
* Snapshots use a fixed set of evaluation latents, so successive snapshots show the same
  latent points moving, and taking snapshots never changes the training streams.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from gan_core.lab import bigan as _bigan
from gan_core.lab import metrics as _metrics
from gan_core.lab.config import draw_latent
from gan_core.lab.losses import get_loss, gradient_penalty
from gan_core.lab.nets import StackedMLP
from gan_core.lab.toy2d import Mixture

__all__ = ["DIVERGENCE_LIMIT", "Divergence", "Snapshot", "resolve_device", "stream_seed", "group_engines"]

#: Loss magnitude beyond which a run counts as diverged, even if still finite.
DIVERGENCE_LIMIT = 1e6

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


def stream_seed(seed: int, stream: int) -> int:
    # Independent, reproducible sub-seeds per purpose (weights of G / D / E, data, z, eps).
    return int(np.random.SeedSequence([int(seed), stream]).generate_state(1, dtype=np.uint32)[0])


_G_INIT, _D_INIT, _E_INIT, _DATA, _LATENT, _MIX, _EVAL = range(7)
_ENC_NOISE = 7  # the Gaussian BiGAN encoder's eps (gan_core.lab.bigan)


# --- stacked optimiser ---------------------------------------------------------------------------

def _strided_col(vals, dtype, dev) -> torch.Tensor:
    """``vals`` as an (E, 1) column whose elements lie two apart in memory (see ``_StackedOptimizer``)."""
    buf = torch.zeros(len(vals), 2, dtype=dtype, device=dev)
    buf[:, 0] = torch.tensor(vals, dtype=dtype, device=dev)
    return buf[:, :1]


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
        # The betas are raised to the step count in every step (Adam's bias correction).  PyTorch's
        # CPU kernel computes a contiguous run of 16 or more floats with a vectorised pow whose
        # rounding differs from the scalar pow it uses for shorter runs, so a stack of 16 runs
        # drifted from its runs alone (1 ulp after ~200 steps, other modes after 3,000).  Kept as
        # strided columns, the betas take the scalar path for every stack size, as a run alone does.
        self.b1 = _strided_col([(b[0] if b else 0.0) for b in betas], param.dtype, dev)
        self.b2 = _strided_col([(b[1] if b else 0.99) for b in betas], param.dtype, dev)
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
        # In place: a captured CUDA graph (_StaticStep) reads this very tensor.
        self.lr.copy_(self.base_lr * torch.tensor(scales, dtype=self.lr.dtype, device=self.lr.device).view(-1, 1))

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
                            seeds=[stream_seed(s, _G_INIT) for s in self.seeds]).to(device)
        d_in = 2 + (c0.latent_dim if self.bigan else 0)
        self.D = StackedMLP(self.E, d_in, 1, c0.d_depth, c0.d_width, c0.activation,
                            seeds=[stream_seed(s, _D_INIT) for s in self.seeds]).to(device)
        self.encoder = c0.encoder if self.bigan else None
        self.Enc = (StackedMLP(self.E, 2, _bigan.encoder_outputs(c0.encoder, c0.latent_dim), c0.e_depth, c0.e_width,
                               c0.activation,
                               seeds=[stream_seed(s, _E_INIT) for s in self.seeds]).to(device)
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
        self.gen_data = [torch.Generator().manual_seed(stream_seed(s, _DATA)) for s in self.seeds]
        self.gen_z = [torch.Generator().manual_seed(stream_seed(s, _LATENT)) for s in self.seeds]
        self.gen_mix = [torch.Generator().manual_seed(stream_seed(s, _MIX)) for s in self.seeds]
        self.gen_enc = [torch.Generator().manual_seed(stream_seed(s, _ENC_NOISE)) for s in self.seeds]
        self.centres = torch.tensor(dataset.centres, dtype=torch.float32)
        self.std = float(dataset.std)
        # Fixed evaluation latents and real points, one set per configuration.
        self.eval_z = []
        self.eval_real = []
        for s, c in zip(self.seeds, self.configs):
            g = torch.Generator().manual_seed(stream_seed(s, _EVAL))
            self.eval_z.append(draw_latent(c.eval_samples, self.latent_dim, c.latent_dist, g))
            self.eval_real.append(dataset.sample(_metrics.PROTOCOL_SAMPLES, stream_seed(s, _EVAL)))
        self._ones = torch.ones(self.E, 1, device=device)
        self._group_losses()
        self._static: _StaticStep | None = None
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
    # Each member draws from its own generators (one call per member and draw, straight into
    # a row of a preallocated buffer); the arithmetic on the draws is done once for the stack.
    def _rows(self, shape, active):
        buf = torch.empty((self.E,) + shape)
        if not all(active):
            buf.zero_()
        return buf

    def _draw_real(self, active):
        idx = torch.zeros(self.E, self.batch, dtype=torch.long)
        noise = self._rows((self.batch, 2), active)
        k = len(self.centres)
        for e in range(self.E):
            if active[e]:
                torch.randint(k, (self.batch,), generator=self.gen_data[e], out=idx[e])
                torch.randn(self.batch, 2, generator=self.gen_data[e], out=noise[e])
        x = self.centres[idx] + self.std * noise
        if not all(active):
            x.mul_(self._mask(active).cpu().view(self.E, 1, 1))
        return x.to(self.device, non_blocking=True)

    def _draw_z(self, active):
        z = self._rows((self.batch, self.latent_dim), active)
        for e in range(self.E):
            if active[e]:
                draw_latent_into(z[e], self.configs[e].latent_dist, self.gen_z[e])
        return z.to(self.device, non_blocking=True)

    def _draw_mix(self, active):
        eps = self._rows((self.batch, 1), active)
        for e in range(self.E):
            if active[e]:
                torch.rand(self.batch, 1, generator=self.gen_mix[e], out=eps[e])
        return eps.to(self.device, non_blocking=True)

    def _member_losses(self, kind, *outs):
        # One call per distinct loss function in the stack (not one per member): the rows of
        # each loss are gathered, reduced together, and put back in member order.
        groups, order = self._loss_groups[kind]
        if len(groups) == 1:
            return groups[0][0](*outs)
        parts = [fn(*(o[idx] for o in outs)) for fn, idx in groups]
        return torch.cat(parts)[order]

    def _encode_real(self, x, active):
        # BiGAN: the real pair's code; a Gaussian encoder draws its eps from each member's stream.
        if self.encoder != "gaussian":
            return self.Enc(x)
        eps = torch.zeros(self.E, self.batch, self.latent_dim)
        for e in range(self.E):
            if active[e]:
                torch.randn(self.batch, self.latent_dim, generator=self.gen_enc[e], out=eps[e])
        return _bigan.encode(self.Enc, x, self.encoder, noise=eps.to(self.device, non_blocking=True))

    @torch.no_grad()
    def encode_mean(self, e, x):
        """Member ``e``'s code of points ``x`` (1, n, 2): E(x), or its mean for a Gaussian encoder."""
        return _bigan.encode(self.Enc, x, self.encoder, flat=self.Enc.flat[e:e + 1])

    def _mask(self, active):
        if all(active):
            return self._ones
        return torch.tensor(active, dtype=torch.float32, device=self.device).view(self.E, 1)

    def _group_losses(self):
        # Members by loss function, for _member_losses: per kind, [(fn, row indices)] and the
        # permutation that puts the concatenated groups back in member order.
        self._loss_groups = {}
        for kind in ("d_loss", "g_loss", "ge_loss"):
            fns: dict = {}
            for e, spec in enumerate(self.specs):
                fns.setdefault(getattr(spec, kind), []).append(e)
            groups = [(fn, torch.tensor(idx, device=self.device)) for fn, idx in fns.items()]
            order = torch.argsort(torch.cat([idx for _, idx in groups]))
            self._loss_groups[kind] = (groups, order)

    # one discriminator step -------------------------------------------------------------
    def d_step(self, active):
        x = self._draw_real(active)
        z = self._draw_z(active)
        # Each draw comes from its own per-member generator, so drawing the penalty's mixing
        # weights here, before the arithmetic, gives the same numbers as drawing them where used.
        eps = self._draw_mix(active) if self.any_gp else None
        return self._d_compute(active, x, z, eps)

    def _d_compute(self, active, x, z, eps):
        # The step's arithmetic on its draws: x real points, z latent codes, eps the penalty's
        # mixing weights (None without a penalty).
        with torch.no_grad():
            x_fake = self.G(z)
            if self.bigan:
                real_in = torch.cat([x, self._encode_real(x, active)], dim=-1)
                fake_in = torch.cat([x_fake, z], dim=-1)
            else:
                real_in, fake_in = x, x_fake
        b = self.batch
        out = self.D(torch.cat([real_in, fake_in], dim=1)).squeeze(-1)
        real, fake = out[:, :b], out[:, b:]
        losses = self._member_losses("d_loss", real, fake)
        total = losses
        if self.any_gp:
            gp = gradient_penalty(lambda t: self.D(t).squeeze(-1), real_in, fake_in, eps)
            total = losses + self.gp_lambda[:, 0] * gp
        mask = self._mask(active)
        (grad,) = _flat_grads((total * mask[:, 0]).sum(), [self.D])
        self.opt_d.step(grad, mask)
        if self.any_clip:
            with torch.no_grad():
                torch.clamp(self.D.flat.data, -self.clip, self.clip, out=self.D.flat.data)
        return total.detach()

    # one generator (and encoder) step ----------------------------------------------------
    def g_step(self, active):
        return self._g_compute(active, self._draw_z(active))

    def _g_compute(self, active, z):
        mask = self._mask(active)
        if self.bigan:
            x = self._draw_real(active)
            x_fake = self.G(z)
            real = self.D(torch.cat([x, self._encode_real(x, active)], dim=-1)).squeeze(-1)
            fake = self.D(torch.cat([x_fake, z], dim=-1)).squeeze(-1)
            losses = self._member_losses("ge_loss", real, fake)
            g_grad, e_grad = _flat_grads((losses * mask[:, 0]).sum(), [self.G, self.Enc])
            self.opt_g.step(g_grad, mask)
            self.opt_e.step(e_grad, mask)
        else:
            fake = self.D(self.G(z)).squeeze(-1)
            losses = self._member_losses("g_loss", fake)
            (g_grad,) = _flat_grads((losses * mask[:, 0]).sum(), [self.G])
            self.opt_g.step(g_grad, mask)
        return losses.detach()

    def _check(self, values, active, which):
        vals = values.tolist() if isinstance(values, torch.Tensor) else values
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
    def use_static_step(self, capture: bool | None = None) -> None:
        """Train whole iterations on fixed buffers from now on (:class:`_StaticStep`): on a CUDA
        device captured once as a CUDA graph and replayed (``capture`` None: when the device is
        CUDA), on the CPU run as it is.  Same numbers as :meth:`step`; iterations that the static
        step cannot do (some members only, a member diverged) go the usual way."""
        self._static = _StaticStep(self, self.device.type == "cuda" if capture is None else capture)

    def step(self, n_d=None, n_g=None, members=None):
        """One iteration: each member's n_critic D steps then one G step, or exactly n_d / n_g."""
        if self._static is not None and n_d is None and n_g is None and members is None and all(self.alive):
            return self._step_static()
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
            self._record_d(self.d_step(active), active)
        for _ in range(n_g):
            active = [self.alive[e] and e in members for e in range(self.E)]
            if not any(active):
                break
            vals = self.g_step(active)
            self._record_g(vals, active)
        self._after_step(members, t0)

    def _record_d(self, vals, active):
        for e in range(self.E):
            self.d_steps[e] += active[e]
        self._check(vals, active, "d_loss")

    def _record_g(self, vals, active):
        self._check(vals, active, "g_loss")
        for e in range(self.E):
            if active[e]:
                self.g_steps[e] += 1
                self.history[e].append({"step": self.g_steps[e], "d_loss": self.last_d[e], "g_loss": self.last_g[e]})

    def _after_step(self, members, t0):
        dt = time.perf_counter() - t0
        for e in members:
            self.t_train[e] += dt
        for e in members:
            k = self.configs[e].snapshot_every
            if self.alive[e] and k and self.g_steps[e] % k == 0 and self.snapshots[e][-1].step != self.g_steps[e]:
                self.snapshot(e)

    def _step_static(self):
        # One iteration of every member on the static buffers; the bookkeeping of step() after it,
        # critic step by critic step, so a member that diverges stops where step() would stop it.
        t0 = time.perf_counter()
        if self.any_decay:
            self._apply_schedule()
        d_out, g_out = self._static.run()
        d_vals, g_vals = d_out.tolist(), g_out.tolist()   # the iteration's one wait for the device
        for vals in d_vals:
            self._record_d(vals, list(self.alive))
        self._record_g(g_vals, list(self.alive))
        if not all(self.alive):
            # A diverged member is masked from now on, which the static step does not do.  (It
            # trained to the end of this iteration here, unlike in step(); its weights are
            # cleared all the same, and the other members never see it.)
            self._static = None
        self._after_step(range(self.E), t0)

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


class _StaticStep:
    """One training iteration of an engine (each member's critic steps, then its generator step)
    reading its random draws from fixed buffers and writing its losses to fixed buffers.

    A step whose inputs and outputs never move can be captured once as a CUDA graph and replayed:
    the GPU then runs the iteration's hundreds of small kernels without the host launching each
    one (issue 19: one stacked step launches far more kernels than these networks need time for).
    The draws still come from each member's CPU generators, in the order :meth:`_Engine.step`
    draws them, and are copied into the buffers before every replay, so a member's numbers are
    the same as in a step; on the CPU the same code runs without capture (tests/lab/test_sweep.py
    checks that it equals the usual step bit for bit).

    Needs every member with the same number of critic steps and no encoder (BiGAN).  Capturing
    runs the step three times on a side stream first (PyTorch's rule for capturing autograd) and
    puts the weights and optimiser states back afterwards.
    """

    WARMUP = 3

    def __init__(self, eng: _Engine, capture: bool):
        if eng.bigan:
            raise ValueError("the static step does not train BiGANs")
        if len(set(eng.n_critic)) != 1:
            raise ValueError("the static step needs every member with the same number of critic steps")
        self.eng, self.k = eng, eng.n_critic[0]
        dev, e, b, latent = eng.device, eng.E, eng.batch, eng.latent_dim
        self.x = torch.zeros(self.k, e, b, 2, device=dev)
        self.z_d = torch.zeros(self.k, e, b, latent, device=dev)
        self.eps = torch.zeros(self.k, e, b, 1, device=dev) if eng.any_gp else None
        self.z_g = torch.zeros(e, b, latent, device=dev)
        self.d_out = torch.zeros(self.k, e, device=dev)
        self.g_out = torch.zeros(e, device=dev)
        self.graph = None
        if capture:
            self._capture()

    def _state(self):
        eng = self.eng
        return [eng.G.flat.data, eng.D.flat.data] + [t for opt in (eng.opt_d, eng.opt_g) for t in (opt.m, opt.v, opt.t)]

    def _body(self):
        eng, active = self.eng, [True] * self.eng.E
        for k in range(self.k):
            eps = None if self.eps is None else self.eps[k]
            self.d_out[k].copy_(eng._d_compute(active, self.x[k], self.z_d[k], eps))
        self.g_out.copy_(eng._g_compute(active, self.z_g))

    def _fill(self):
        eng, active = self.eng, [True] * self.eng.E
        for k in range(self.k):
            self.x[k].copy_(eng._draw_real(active))
            self.z_d[k].copy_(eng._draw_z(active))
            if self.eps is not None:
                self.eps[k].copy_(eng._draw_mix(active))
        self.z_g.copy_(eng._draw_z(active))

    def _capture(self):
        saved = [t.clone() for t in self._state()]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(self.WARMUP):
                self._body()
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self._body()
        with torch.no_grad():
            for t, s in zip(self._state(), saved):
                t.copy_(s)

    def run(self):
        """Draw, copy into the buffers, run (or replay) the iteration; the critic losses (k, E)
        and generator losses (E,) of the iteration."""
        self._fill()
        if self.graph is not None:
            self.graph.replay()
        else:
            self._body()
        return self.d_out, self.g_out


def draw_latent_into(out: torch.Tensor, dist: str, generator: torch.Generator) -> torch.Tensor:
    """:func:`gan_core.lab.config.draw_latent` written into ``out`` (same numbers, no new tensor)."""
    if dist == "uniform":
        return torch.rand(out.shape, generator=generator, out=out).mul_(2).sub_(1)
    return torch.randn(out.shape, generator=generator, out=out)


def _flat_grads(loss, nets):
    # Gradients with respect to each layer's weight and bias views, concatenated in the layout
    # of ``flat``: asking for the gradient of ``flat`` itself makes autograd scatter every
    # view's gradient into a zero tensor the size of the whole stack and add them up.
    views = [[t for wb in net.layers() for t in wb] for net in nets]
    grads = torch.autograd.grad(loss, [t for v in views for t in v])
    out, i = [], 0
    for net, v in zip(nets, views):
        e = net.flat.shape[0]
        out.append(torch.cat([g.reshape(e, -1) for g in grads[i:i + len(v)]], dim=1))
        i += len(v)
    return out


def group_engines(configs, dataset, seeds, device):
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
