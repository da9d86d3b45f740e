"""A CycleGAN card's measured quality as a table with baselines and sentences a presenter can say.

No Streamlit here: :func:`quality_rows` and :func:`quality_sentences` turn the card's ``metrics``
into plain rows and words; the page draws them.

Keys are read by their parts, so a metric added to the cards later appears without a change here:

* the direction: ``a2b`` / ``b2a`` anywhere in the key, or a last part ``a`` / ``b`` naming the
  domain the images came from (``cycle_l1_a``: held-out images of domain A, sent A -> B -> A);
* the role, from the last part: none or ``translation`` is the model's own figure; ``identity``,
  ``do_nothing``, ``untranslated`` or ``input`` the same figure for the untranslated input;
  ``blur`` for a 3 x 3 blur of the input; ``real`` / ``real_target`` for real images (no generator);
* what is left is the metric's name (``domain_share``, ``label_agreement``, ``l1``, ``ssim``...).

So ``ssim_a2b``, ``ssim_a2b_identity`` and ``ssim_a2b_blur`` make one row with two baselines.
Known names get words, a unit and which way is better (:data:`METRICS`); any other name is shown
with its key's words and no judgement.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

DIRECTIONS = ("a2b", "b2a")
# role suffix -> column
ROLES = {
    "translation": "model", "identity": "input", "do_nothing": "input", "untranslated": "input",
    "input": "input", "blur": "blur", "real": "real", "real_target": "real",
}
COLUMNS = {"model": "this model", "input": "untranslated input (doing nothing)", "blur": "3×3 blur of the input",
           "real": "real images (no generator)"}
PERCENT_WORDS = ("share", "agreement", "accuracy", "fraction")


@dataclass(frozen=True)
class Metric:
    """How to say a metric: its label, the sentence's words, and which way is better."""

    label: str  # for the table; {target} / {source} are filled in
    words: str  # "<words> <value>" in a sentence
    higher_is_better: bool | None


METRICS = {
    "domain_share": Metric("judged {target} by the domain classifier", "judged {target} in", True),
    "label_agreement": Metric("digit kept (the digit classifier reads the input's digit)",
                              "the digit classifier reads the input's digit in", True),
    "label_agreement_cycle": Metric("digit kept after the round trip", "the digit survives the round trip in", True),
    "mnist_classifier_agreement": Metric("digit kept, read by the MNIST-only classifier",
                                         "a classifier trained on MNIST alone reads the input's digit in", True),
    "frechet": Metric("Fréchet distance to real {target} images (domain classifier's features)",
                      "the Fréchet distance to real {target} images is", False),
    "frechet_distance": Metric("Fréchet distance to real {target} images (domain classifier's features)",
                               "the Fréchet distance to real {target} images is", False),
    "l1": Metric("L1 to the true {target} counterpart, per pixel", "the L1 distance to the true {target} drawing is",
                 False),
    "ssim": Metric("SSIM to the true {target} counterpart (7×7 window)", "the SSIM to the true {target} drawing is",
                   True),
    "cycle_l1": Metric("cycle L1 ‖F(G(x)) − x‖₁ per pixel", "the round trip lands at an L1 of", False),
    "identity_l1": Metric("identity L1 ‖F(x) − x‖₁ per pixel (x fed to the generator into its own domain)",
                          "an image fed to the generator into its own domain changes by an L1 of", False),
    "classifier_accuracy": Metric("digit classifier's accuracy on real {source} images",
                                  "the digit classifier is right on", True),
    "mnist_classifier_accuracy": Metric("MNIST-only classifier's accuracy on real {source} images",
                                        "the MNIST-only classifier is right on", True),
}


def parse_key(key: str) -> tuple[str, str, str] | None:
    """``(metric, direction, role)`` of a card key, or None when it names no direction."""
    parts = key.split("_")
    direction = next((p for p in parts if p in DIRECTIONS), None)
    if direction is not None:
        parts.remove(direction)
    elif len(parts) > 1 and parts[-1] in ("a", "b"):
        direction = "a2b" if parts.pop() == "a" else "b2a"
    else:
        return None
    role = "model"
    for size in (2, 1):  # "do_nothing" is two parts
        tail = "_".join(parts[-size:])
        if len(parts) > size and tail in ROLES:
            role = ROLES[tail]
            parts = parts[:-size]
            break
    return "_".join(parts), direction, role


def _is_percent(metric: str) -> bool:
    return any(word in metric for word in PERCENT_WORDS)


def format_value(metric: str, value: float) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return "—"
    if _is_percent(metric):
        return f"{100 * value:.1f}%"
    return f"{value:.3f}" if abs(value) < 100 else f"{value:,.1f}"


def _metric(metric: str) -> Metric:
    return METRICS.get(metric) or Metric(metric.replace("_", " "), metric.replace("_", " ") + " is", None)


def collect(metrics: dict) -> dict[tuple[str, str], dict[str, float]]:
    """``{(metric, direction): {role: value}}`` for every numeric key with a direction."""
    found: dict[tuple[str, str], dict[str, float]] = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        parsed = parse_key(key)
        if parsed is None:
            continue
        metric, direction, role = parsed
        found.setdefault((metric, direction), {})[role] = float(value)
    return found


def _in_order(found: dict) -> list:
    """Known metrics in the order of :data:`METRICS`, then the others by name; a2b before b2a."""
    order = {name: i for i, name in enumerate(METRICS)}
    return sorted(found.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0][0], kv[0][1]))


def _direction_words(direction: str, domains: tuple[str, str]) -> tuple[str, str]:
    source, target = domains if direction == "a2b" else domains[::-1]
    return source, target


def quality_rows(metrics: dict, domains: tuple[str, str]) -> list[dict[str, str]]:
    """One row per metric and direction: what is measured, then this model and each baseline.

    Columns appear only where some row has a value; a metric with no model figure (only real
    images, e.g. the classifier's accuracy) shows under its baseline column alone."""
    found = collect(metrics)
    used = [role for role in COLUMNS if any(role in values for values in found.values())]
    rows = []
    for (metric, direction), values in _in_order(found):
        source, target = _direction_words(direction, domains)
        row = {"direction": f"{source} → {target}",
               "measured": _metric(metric).label.format(source=source, target=target)}
        for role in used:
            row[COLUMNS[role]] = format_value(metric, values[role]) if role in values else ""
        better = _metric(metric).higher_is_better
        row["better"] = "" if better is None or "model" not in values else ("higher" if better else "lower")
        rows.append(row)
    return rows


def has_baselines(metrics: dict) -> bool:
    """Whether any model figure of the card comes with a baseline (untranslated input or blur)."""
    return any("model" in v and ("input" in v or "blur" in v) for v in collect(metrics).values())


def _verdict(model: float, baseline: float, higher_is_better: bool | None) -> str:
    if higher_is_better is None or model == baseline:
        return "level with" if model == baseline else "different from"
    return "better than" if (model > baseline) == higher_is_better else "worse than"


def quality_sentences(metrics: dict, domains: tuple[str, str]) -> list[str]:
    """A sentence per metric and direction that has the model's figure and at least one baseline,
    computed from the numbers (e.g. "handwritten → printed: judged printed in 97.0% of
    translations, against 3.0% of the untranslated inputs")."""
    sentences = []
    for (metric, direction), values in _in_order(collect(metrics)):
        baselines = [role for role in ("input", "blur") if role in values]
        if "model" not in values or not baselines:
            continue
        source, target = _direction_words(direction, domains)
        how = _metric(metric)
        words = how.words.format(source=source, target=target)
        value = format_value(metric, values["model"])
        if _is_percent(metric):
            said = f"{words} {value} of translations"
            against = [f"{format_value(metric, values['input'])} of the untranslated inputs" if role == "input"
                       else f"{format_value(metric, values['blur'])} of blurred inputs" for role in baselines]
        else:
            said = f"{words} {value} for the translations"
            against = [f"{format_value(metric, values[role])} for the " +
                       ("untranslated input" if role == "input" else "3×3 blur of the input") for role in baselines]
        verdicts = [f"{_verdict(values['model'], values[role], how.higher_is_better)} "
                    + ("doing nothing" if role == "input" else "a blur") for role in baselines]
        if "real" in values and metric == "domain_share":  # what the classifier says of real target images
            against.append(f"{format_value(metric, values['real'])} of real {target} images")
        sentences.append(f"{source} → {target}: {said}, against {', '.join(against[:-1]) + ' and ' if len(against) > 1 else ''}"
                         f"{against[-1]} ({', '.join(verdicts)}).")
    return sentences
