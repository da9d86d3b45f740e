"""Does a CycleGAN translate?  The numbers its card reports, each next to a baseline.

A translation can fail in two ways: it changes nothing (the output is still in the source
style) or it changes everything (the style is right but the content is lost).  So, per
direction (``a2b``: G_ab on held-out images of domain A; ``b2a``: G_ba on those of B):

* **domain share** -- the share of translations that a *domain classifier* (a small CNN trained
  by :mod:`gan_core.images.domain` to tell the two domains apart, on training images only)
  assigns to the target domain.  Baselines: the untranslated input ("do nothing"), and real
  target images (what a perfect translator would score).
* **Frechet distance** in that classifier's 128 features, from the translations to real target
  images (the FID formula, :func:`gan_core.images.classifier.frechet_distance`); baseline: the
  untranslated input's distance to the same images.
* **content**: cycle and identity L1 (``content_metrics``); for digits the digit classifier's
  label agreement (in ``train_cyclegan``); for emoji, whose held-out code points are true
  pairs, the L1 and SSIM to the true counterpart (``paired_metrics``), next to the
  untranslated input and to a 3 x 3 box blur of it.

SSIM (Wang et al. 2004) uses a 7 x 7 uniform window over the window positions that fit inside
the image, the unbiased (n - 1) variances, ``C1 = (0.01 R)^2``, ``C2 = (0.03 R)^2`` with the
data range ``R = 2`` (pixels in [-1, 1]), averaged over windows and channels -- the choices of
scikit-image's ``structural_similarity(win_size=7, data_range=2)``.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch.nn import functional as F

SSIM_WINDOW = 7


# --- image measures ------------------------------------------------------------------------
def l1_per_image(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference per image, over pixels and channels (range [0, 2] in [-1, 1])."""
    return (x.double() - y.double()).abs().flatten(1).mean(1)


def ssim_per_image(x: torch.Tensor, y: torch.Tensor, window: int = SSIM_WINDOW, data_range: float = 2.0,
                   k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """Mean SSIM per image of ``(n, c, h, w)`` tensors (see the module doc for the conventions)."""
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(f"need two (n, c, h, w) tensors of one shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if min(x.shape[-2:]) < window:
        raise ValueError(f"images of {tuple(x.shape[-2:])} px are smaller than the {window} x {window} window")
    x, y = x.double(), y.double()

    def mean(t):
        return F.avg_pool2d(t, window, stride=1)

    mx, my = mean(x), mean(y)
    unbiased = window * window / (window * window - 1.0)
    vx = unbiased * (mean(x * x) - mx * mx)
    vy = unbiased * (mean(y * y) - my * my)
    vxy = unbiased * (mean(x * y) - mx * my)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.flatten(1).mean(1)


def box_blur(x: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Each pixel replaced by the mean of the ``size x size`` block around it (edges repeated)."""
    pad = size // 2
    return F.avg_pool2d(F.pad(x.float(), (pad, pad, pad, pad), mode="replicate"), size, stride=1)


def share_assigned(predicted: torch.Tensor, target_class: int) -> float:
    """Share of images whose predicted class is ``target_class`` (nan for no images)."""
    return float((predicted == target_class).double().mean()) if len(predicted) else float("nan")


# --- the domain classifier -------------------------------------------------------------------
def find_domain_classifier(task: str, folder: str | Path | None = None):
    """``(model, description)`` of the task's domain classifier, or ``(None, why not)``.

    ``folder``: a classifier folder (``--domain-classifier``); default
    ``<pretrained>/classifier-<task>-domain``.
    """
    from gan_core.images import pretrained

    path = Path(folder) if folder else pretrained.pretrained_dir() / f"classifier-{task}-domain"
    try:
        model = pretrained.load(path.name, root=path.parent)
    except pretrained.PretrainedError as exc:
        return None, (f"not measured: {exc} Train it with: python -m gan_core.images.domain --task {task}")
    accuracy = model.card.get("metrics", {}).get("test_accuracy")
    return model, f"{path.name} (own CNN telling the two domains apart; held-out accuracy {accuracy})"


def domain_metrics(a: torch.Tensor, b: torch.Tensor, fake_b: torch.Tensor, fake_a: torch.Tensor, found) -> dict:
    """Domain share and Frechet distance per direction, with the do-nothing and real-target baselines.

    ``found`` is :func:`find_domain_classifier`'s answer; class 0 is domain A, class 1 domain B.
    """
    from gan_core.images.classifier import frechet_distance

    model, description = found
    if model is None:
        return {"domain_classifier": description}
    out = {"domain_classifier": description}
    features = {key: model.features(x).numpy() for key, x in (("a", a), ("b", b), ("fake_a", fake_a), ("fake_b", fake_b))}
    for direction, source, target, fake, target_class in (("a2b", a, b, fake_b, 1), ("b2a", b, a, fake_a, 0)):
        out[f"domain_share_{direction}"] = round(share_assigned(model.predict(fake), target_class), 4)
        out[f"domain_share_{direction}_do_nothing"] = round(share_assigned(model.predict(source), target_class), 4)
        out[f"domain_share_{direction}_real_target"] = round(share_assigned(model.predict(target), target_class), 4)
        target_key, source_key = ("b", "a") if direction == "a2b" else ("a", "b")
        out[f"frechet_{direction}"] = round(frechet_distance(features["fake_" + target_key], features[target_key]), 3)
        out[f"frechet_{direction}_do_nothing"] = round(frechet_distance(features[source_key], features[target_key]), 3)
    return out


# --- content -------------------------------------------------------------------------------
def content_metrics(a: torch.Tensor, b: torch.Tensor, rt_a: dict, rt_b: dict) -> dict:
    """Mean cycle and identity L1 from :meth:`CycleGANTranslator.round_trip` answers."""
    return {"cycle_l1_a": round(float(rt_a["cycle_l1"].mean()), 4),
            "cycle_l1_b": round(float(rt_b["cycle_l1"].mean()), 4),
            "identity_l1_a": round(float(rt_a["identity_l1"].mean()), 4),
            "identity_l1_b": round(float(rt_b["identity_l1"].mean()), 4)}


def paired_metrics(a: torch.Tensor, b: torch.Tensor, fake_b: torch.Tensor, fake_a: torch.Tensor) -> dict:
    """L1 and SSIM to the true counterpart (rows of ``a`` and ``b`` are pairs), per direction, for
    the translation, the untranslated input and a 3 x 3 box blur of the input."""
    out = {}
    for direction, source, target, fake in (("a2b", a, b, fake_b), ("b2a", b, a, fake_a)):
        for name, answer in (("translation", fake), ("do_nothing", source), ("blur", box_blur(source))):
            out[f"l1_{direction}_{name}"] = round(float(l1_per_image(answer, target).mean()), 4)
            out[f"ssim_{direction}_{name}"] = round(float(ssim_per_image(answer, target).mean()), 4)
    out["note"] = ("held-out code points are true pairs, never seen in training; L1 per pixel and channel, "
                   "pixels in [-1, 1] (range 0-2); SSIM 7x7 window, data range 2")
    return out


_DEFINITIONS = {
    "cycle_l1_a": "mean |G_ba(G_ab(a)) - a| per pixel, pixels in [-1, 1] (range 0-2)",
    "cycle_l1_b": "mean |G_ab(G_ba(b)) - b| per pixel",
    "identity_l1_a": "mean |G_ba(a) - a| per pixel",
    "identity_l1_b": "mean |G_ab(b) - b| per pixel",
    "domain_share_a2b": "share of held-out G_ab(a) the domain classifier assigns to domain B "
                        "(_do_nothing: of the untranslated a; _real_target: of real held-out b)",
    "domain_share_b2a": "share of held-out G_ba(b) the domain classifier assigns to domain A (baselines likewise)",
    "frechet_a2b": "Frechet distance in the domain classifier's 128 features from G_ab(a) to real held-out b "
                   "(_do_nothing: from the untranslated a)",
    "frechet_b2a": "Frechet distance from G_ba(b) to real held-out a (_do_nothing: from the untranslated b)",
    "label_agreement_a2b": "fraction of held-out a whose G_ab(a) the digit classifier reads as a's label "
                           "(_do_nothing: of a itself)",
    "label_agreement_b2a": "fraction of held-out b whose G_ba(b) the digit classifier reads as b's label",
    "l1_a2b_translation": "mean |G_ab(a) - true b of the same code point| per pixel and channel "
                          "(_do_nothing: the input a itself; _blur: a 3x3 box blur of a)",
    "ssim_a2b_translation": "mean SSIM (7x7 window) of G_ab(a) and the true b (baselines as for L1)",
    "l1_b2a_translation": "mean |G_ba(b) - true a| per pixel and channel (baselines as above)",
    "ssim_b2a_translation": "mean SSIM of G_ba(b) and the true a (baselines as above)",
}


def definitions(metrics: dict) -> dict:
    """The plain-words definitions of the metrics present in ``metrics``."""
    return {k: v for k, v in _DEFINITIONS.items() if k in metrics}

