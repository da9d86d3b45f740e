"""The lab's widgets <-> configuration mapping, written once: a table of fields.

Each :class:`Field` names a widget key (also its query parameter: every field is bound to the
address bar with ``bind="query-params"``, which uses the key as the parameter's name), the
``ToyConfig`` field it sets (if any), the kind of widget, its options or bounds, and how it is
labelled.  From the table alone the page

* draws the widgets (:func:`widget`),
* builds the single-run configuration from the widgets (:func:`state_to_config`),
* writes a configuration into the widgets, for presets and the choice of a loss or a dataset
  (:func:`config_to_state`),
* and keeps the permalink exact (:func:`widget_defaults`).

The permalink.  Streamlit leaves a bound widget's parameter out of the address when the value
equals the *widget's default*, so a link reopens a value only if the page, opened from that link,
would give the widget the same default.  The defaults handed to the widgets are therefore exactly
what a link fills in for an absent parameter: the first-visit state (the mode-collapse preset),
with the settings that come with the link's loss (its optimiser settings) and dataset (its network
sizes).  With a widget's first option as its default, a link to ``lab_batch=32`` or
``lab_g_depth=0`` used to reopen the preset's value instead (issue 20, item 5).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import math

from gan_core.lab.config import LATENT_DISTS, ToyConfig, lab_defaults, preset
from gan_core.lab.losses import LOSSES
from gan_core.lab.nets import ACTIVATIONS
from gan_core.lab.toy2d import DATASETS
from gan_core.lab import viz_lab

SPEEDS = {"1 step per refresh": 1, "5 steps": 5, "25 steps": 25, "Full speed": None}
LR_OPTIONS = (1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2)
CLIP_OPTIONS = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0)
GP_OPTIONS = (0.0, 0.01, 0.1, 1.0, 10.0, 100.0)
BATCH_OPTIONS = (32, 64, 128, 256, 512, 1024)
LATENT_OPTIONS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
WIDTH_OPTIONS = (8, 16, 32, 64, 128, 256, 512)
DATASET_LABELS = {"ring8": "Ring of 8 Gaussians", "grid25": "Grid of 25 Gaussians", "spiral": "Spiral",
                  "moons": "Two moons", "custom": "Your own points"}
LOSS_LABELS = {"minimax": "Original GAN (minimax, saturating)", "non-saturating": "Non-saturating GAN",
               "wgan-clip": "WGAN, weight clipping", "wgan-gp": "WGAN-GP (gradient penalty)",
               "lsgan": "Least-squares GAN", "hinge": "Hinge GAN"}
LATENT_DIST_LABELS = {"gaussian": "Gaussian N(0, I)", "uniform": "Uniform on [−1, 1]"}
OPTIMIZER_LABELS = {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}
CHARTS = {"losses": "Loss curves", "metrics": "Mode metrics over time", "latents": "Encoder latents (BiGAN)"}
#: Side-by-side slots: label and a factory of the configuration (None: the single-run settings).
NAMED = {
    "collapse": ("Original GAN, mode-collapse setup", lambda dataset: preset("collapse")[0]),
    **{loss: (label, (lambda dataset, loss=loss: lab_defaults(loss, dataset))) for loss, label in (
        ("minimax", "Original GAN, lab defaults"), ("non-saturating", "Non-saturating GAN"),
        ("wgan-clip", "WGAN, weight clipping"), ("wgan-gp", "WGAN-GP"), ("lsgan", "Least-squares GAN"),
        ("hinge", "Hinge GAN"))},
    "yours": ("Your settings (single-run panel)", None),
}
COMPARE_ALL = ("collapse", "wgan-clip", "wgan-gp")
#: Largest number of custom-point characters the text area (and a link) may hold.
CUSTOM_TEXT_MAX_CHARS = 4000


def _g(v) -> str:
    return f"{v:g}"


def _off(v) -> str:
    return "off" if v == 0 else f"{v:g}"


@dataclass(frozen=True)
class Field:
    """One bound widget: its key (= query parameter), the ToyConfig field it sets, its kind,
    options (choices) or bounds ``(low, high)``, label and keyword arguments for the widget."""

    key: str
    label: str
    kind: str  # selectbox | select_slider | slider | number | toggle | radio | multiselect | segmented | text
    options: tuple = ()
    config: str | None = None  # ToyConfig attribute; "betas:0" is an item of a tuple field
    labels: Callable[[Any], str] | dict | None = None
    kwargs: dict = field(default_factory=dict)

    @property
    def param(self) -> str:
        """Its query parameter (``bind="query-params"`` names it by the widget key)."""
        return self.key

    @property
    def bounds(self) -> tuple | None:
        return self.options if self.kind in ("slider", "number") else None

    def format(self, value) -> str:
        if isinstance(self.labels, dict):
            return self.labels.get(value, str(value))
        return self.labels(value) if self.labels else str(value)

    def from_config(self, cfg: ToyConfig):
        """The widget value that shows ``cfg``'s setting (the nearest option of a choice)."""
        name, _, item = self.config.partition(":")
        value = getattr(cfg, name)
        if name == "betas":
            value = (value if value is not None else (0.0, 0.99))[int(item)]
        if name == "clip":
            value = value or 0.0
        if self.kind == "select_slider" and isinstance(value, (int, float)):
            return _nearest(self.options, value)
        kind = type(self.options[0]) if self.options and self.kind in ("slider", "number") else None
        return kind(value) if kind else value

    def to_config(self, value):
        """The ToyConfig value of a widget value."""
        if self.config == "clip":
            return float(value) or None
        if self.kind == "toggle":
            return bool(value)
        if self.kind in ("slider", "number", "select_slider") and isinstance(value, (int, float)):
            return type(self.options[0])(value)
        return value


def _nearest(options, value):
    return min(options, key=lambda o: abs(math.log(o) - math.log(value)) if o > 0 and value > 0 else abs(o - value))


# The table. Page fields first (no ToyConfig field), then the single run's settings.
FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("lab_mode", "Mode", "radio", ("single", "compare"), labels={"single": "Single run", "compare": "Side by side"},
          kwargs={"horizontal": True}),
    Field("lab_dataset", "Data", "selectbox", (*DATASETS, "custom"), labels=DATASET_LABELS),
    Field("lab_seed", "Seed", "number", (0, 9999), kwargs={
        "step": 1, "help": "Seeds the weights, the data stream and the noise of every configuration."}),
    Field("lab_custom_text", "Points, one “x, y” per line", "text", kwargs={
        "height": 200, "max_chars": CUSTOM_TEXT_MAX_CHARS,
        "help": "Each point becomes the centre of a small Gaussian (std 0.05). Click points on the plot (shift-click "
                "for several, or the lasso and box in its toolbar): they are added here, so the link keeps them."}),
    Field("lab_count", "Configurations side by side", "segmented", (2, 3, 4), kwargs={"required": True}),
    *(Field(f"lab_slot_{i}", f"Configuration {i + 1}", "selectbox", tuple(NAMED), labels=lambda n: NAMED[n][0])
      for i in range(4)),
    Field("lab_speed", "Speed", "select_slider", tuple(SPEEDS), kwargs={
        "label_visibility": "collapsed",
        "help": "Generator steps per refresh (about 4 refreshes a second). Slow speeds let you follow single moves; "
                "full speed trains as fast as the server allows."}),
    # Chips with a cross, rather than pills: a chosen pill looked like an unchosen one (issue 21, item 7).
    Field("lab_layers", "Plane layers", "multiselect", viz_lab.LAYERS, labels=viz_lab.LAYER_LABELS),
    Field("lab_charts", "Charts", "multiselect", tuple(CHARTS), labels=CHARTS),
    # ---- the single run's settings (ToyConfig fields)
    Field("lab_loss", "Loss", "selectbox", tuple(LOSSES), "loss", LOSS_LABELS,
          {"help": "Changing the loss loads its optimiser settings."}),
    Field("lab_optimizer", "Optimiser (both networks)", "selectbox", tuple(OPTIMIZER_LABELS), "optimizer",
          OPTIMIZER_LABELS),
    Field("lab_lr_d", "Learning rate of D", "select_slider", LR_OPTIONS, "lr_d", _g),
    Field("lab_lr_g", "Learning rate of G", "select_slider", LR_OPTIONS, "lr_g", _g),
    Field("lab_beta1", "β₁", "number", (0.0, 0.99), "betas:0", kwargs={
        "step": 0.05, "format": "%.2f", "help": "Adam's first-moment decay (unused by RMSprop and SGD)."}),
    Field("lab_beta2", "β₂ / α", "number", (0.0, 0.9999), "betas:1", kwargs={
        "step": 0.001, "format": "%.4f", "help": "Adam's second-moment decay; RMSprop's smoothing constant α."}),
    Field("lab_n_critic", "Critic steps per generator step", "slider", (1, 10), "n_critic"),
    Field("lab_clip", "Weight clip c", "select_slider", CLIP_OPTIONS, "clip", _off,
          {"help": "WGAN's paper: c = 0.01."}),
    Field("lab_gp_lambda", "Gradient penalty λ", "select_slider", GP_OPTIONS, "gp_lambda", _off,
          {"help": "WGAN-GP's paper: λ = 10 on images; its toy-data code uses 0.1."}),
    Field("lab_batch", "Batch size (points)", "select_slider", BATCH_OPTIONS, "batch_size"),
    Field("lab_latent", "Latent size", "select_slider", LATENT_OPTIONS, "latent_dim"),
    Field("lab_latent_dist", "Latent distribution", "selectbox", LATENT_DISTS, "latent_dist", LATENT_DIST_LABELS,
          {"help": "Where the generator's input z comes from. GAN Lab offers both; with a uniform prior the manifold "
                   "view covers the whole square [−1, 1]²."}),
    Field("lab_g_depth", "G depth", "slider", (0, 4), "g_depth", kwargs={"help": "Hidden layers of the generator."}),
    Field("lab_g_width", "G width", "select_slider", WIDTH_OPTIONS, "g_width"),
    Field("lab_d_depth", "D depth", "slider", (0, 4), "d_depth", kwargs={"help": "Hidden layers of the discriminator."}),
    Field("lab_d_width", "D width", "select_slider", WIDTH_OPTIONS, "d_width"),
    Field("lab_activation", "Activation", "selectbox", tuple(ACTIVATIONS), "activation"),
    Field("lab_bigan", "BiGAN", "toggle", config="bigan", kwargs={"help": "Add an encoder E(x) → z; D judges (x, z) pairs."}),
)}
CONFIG_FIELDS = [f for f in FIELDS.values() if f.config]
#: Settings that follow the dataset (on_dataset_change), and those a new loss keeps (on_loss_change).
NETWORK_KEYS = ("lab_g_width", "lab_d_width", "lab_g_depth", "lab_d_depth")
LOSS_KEEPS = ("lab_loss", "lab_batch", "lab_latent", *NETWORK_KEYS, "lab_activation", "lab_bigan", "lab_latent_dist")


def collapse_config() -> ToyConfig:
    return preset("collapse")[0]


def config_to_state(cfg: ToyConfig) -> dict:
    """Widget values (keyed as on the page) that reproduce ``cfg``."""
    return {f.key: f.from_config(cfg) for f in CONFIG_FIELDS}


def state_to_config(state, dataset: str | None = None) -> ToyConfig:
    """The single-run configuration the widget values ``state`` describe (fields without a widget:
    the loss's lab defaults). Raises ValueError for an invalid combination."""
    values, items = {}, {}
    for f in CONFIG_FIELDS:
        name, _, item = f.config.partition(":")
        value = f.to_config(state[f.key])
        if item:
            items.setdefault(name, {})[int(item)] = float(value)
        else:
            values[name] = value
    values.update({name: tuple(parts[i] for i in sorted(parts)) for name, parts in items.items()})
    # With BiGAN on, the fields without a widget (encoder, its width, the rate decay) are the BiGAN's defaults.
    return replace(lab_defaults(state["lab_loss"], dataset, bigan=bool(values.get("bigan"))), **values).validate()


#: The first visit: the mode-collapse preset, single run, ring of 8, full speed, every layer.
FIRST_VISIT: dict = {
    **config_to_state(collapse_config()), "lab_mode": "single", "lab_dataset": "ring8", "lab_seed": 0,
    "lab_speed": "Full speed", "lab_count": 3, "lab_custom_text": "", "lab_layers": list(viz_lab.LAYERS),
    "lab_charts": list(CHARTS), **{f"lab_slot_{i}": name for i, name in enumerate((*COMPARE_ALL, "wgan-gp"))},
}


def widget_defaults(loss: str, dataset: str) -> dict:
    """Each widget's default given the chosen loss and dataset: what a link that gives ``loss`` and
    ``dataset`` but not that widget's value opens with. A new loss brings its optimiser settings
    (lab defaults), a named dataset other than the ring its network sizes (the grid: wider)."""
    state = dict(FIRST_VISIT)
    if loss != FIRST_VISIT["lab_loss"] or dataset not in (FIRST_VISIT["lab_dataset"], "custom"):
        own = config_to_state(lab_defaults(loss, dataset if dataset != "custom" else None))
        if loss != FIRST_VISIT["lab_loss"]:
            state.update({k: v for k, v in own.items() if k not in LOSS_KEEPS})
        if dataset not in (FIRST_VISIT["lab_dataset"], "custom"):
            state.update({k: own[k] for k in NETWORK_KEYS})
    state["lab_loss"], state["lab_dataset"] = FIRST_VISIT["lab_loss"], FIRST_VISIT["lab_dataset"]
    return state


def paper_state(loss: str) -> dict:
    """The optimiser settings exactly as the loss's paper gives them (gan_core.lab.losses.LOSSES)."""
    d = LOSSES[loss].defaults
    betas = d.get("betas") or (0.0, 0.99)
    values = {"lab_optimizer": d["optimizer"], "lab_lr_d": d["lr_d"], "lab_lr_g": d["lr_g"], "lab_beta1": betas[0],
              "lab_beta2": betas[1], "lab_n_critic": d["n_critic"], "lab_clip": d["clip"] or 0.0,
              "lab_gp_lambda": d["gp_lambda"]}
    return {k: (_nearest(FIELDS[k].options, v) if FIELDS[k].kind == "select_slider" else type(FIELDS[k].options[0])(v)
                if FIELDS[k].kind in ("slider", "number") else v) for k, v in values.items()}


def widget(f: Field, where, default, **extra):
    """Draw field ``f`` in container ``where`` (st or a column), bound to the address bar, with
    ``default`` as the widget's default (see :func:`widget_defaults`)."""
    kw = {"key": f.key, "bind": "query-params", **f.kwargs, **extra}
    fmt = {"format_func": f.format} if f.labels else {}
    if f.kind == "selectbox":
        return where.selectbox(f.label, list(f.options), index=list(f.options).index(default), **fmt, **kw)
    if f.kind == "radio":
        return where.radio(f.label, list(f.options), index=list(f.options).index(default), **fmt, **kw)
    if f.kind == "select_slider":
        return where.select_slider(f.label, list(f.options), value=default, **fmt, **kw)
    if f.kind == "slider":
        return where.slider(f.label, *f.options, value=default, **kw)
    if f.kind == "number":
        return where.number_input(f.label, *f.options, value=default, **kw)
    if f.kind == "toggle":
        return where.toggle(f.label, value=default, **kw)
    if f.kind == "multiselect":
        return where.multiselect(f.label, list(f.options), default=default, **fmt, **kw)
    if f.kind == "segmented":
        return where.segmented_control(f.label, list(f.options), default=default, **fmt, **kw)
    if f.kind == "text":
        return where.text_area(f.label, value=default, **kw)
    raise ValueError(f"unknown widget kind {f.kind!r}")
