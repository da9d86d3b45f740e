"""The lab's explanations, and its closing summary computed from the measured mode table.

The summary's numbers come from ``docs/mode_table.json`` (written by ``scripts/mode_table.py``):
the sentences are built from the records, never typed, so they follow the table when it is
re-measured (issue 20, item 12).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from gan_core.lab.config import preset_description
from gan_core.lab.mode_table import load_rows

MODE_TABLE = Path(__file__).resolve().parents[2] / "docs" / "mode_table.json"

WHAT_YOU_SEE = (
    "Blue dots are real data, orange dots the generator's samples. The background is the discriminator's "
    "verdict on every point of the plane: **blue = “looks real”**, orange = “looks fake”. Each short black "
    "arrow starts at a generated point and points the way the generator's loss pushes it (lengths are rescaled "
    "for display; the caption gives their true size). The grey mesh is where the generator sends an evenly "
    "spaced grid of latent codes: its folds and stretches are the generator's manifold.")
ONE_SMOOTH_FUNCTION = (
    "**Why the original GAN chases modes.** The arrows of nearby samples point the same way: the generator is "
    "one smooth function, so it moves its whole cloud towards whichever blue region is closest. When the cloud "
    "reaches a mode, the discriminator learns that this is where fakes live, paints it orange, and the cloud "
    "moves on: the textbook picture of mode collapse (Metz et al. 2017). Nothing in the loss rewards covering "
    "*all* modes at once.")
MINIMAX = (
    "**The saturating loss (original minimax GAN).** Against the optimal discriminator the game's value is "
    r"$2\,\mathrm{JSD}(P\,\|\,Q) - \log 4$: the generator minimises the Jensen–Shannon divergence, which "
    r"saturates at $\log 2$ when the supports barely overlap (lesson “The GAN objective”). Its loss "
    r"$\log(1 - D(G(z)))$ then goes flat where the discriminator is confident, and the generator's gradient "
    "vanishes (lesson “Vanishing gradients”).")
NON_SATURATING = (
    "**The non-saturating loss.** Here the generator minimises $-\\log D(G(z))$ instead. Against the optimal "
    "discriminator its expected gradient is that of $\\mathrm{KL}(Q\\,\\|\\,P) - 2\\,\\mathrm{JSD}(P\\,\\|\\,Q)$ "
    "(Arjovsky & Bottou 2017, Theorem 2.5), not of the Jensen–Shannon divergence alone, and it does *not* "
    "vanish when the discriminator wins — that is what the loss was designed for (lesson “Vanishing "
    "gradients”). The reverse KL term punishes fakes where there is no data far more than data where there "
    "are no fakes, so dropping a mode costs little: a pull towards a few modes rather than all of them.")
WGAN_GP = (
    "**The critic's near-linear slope (WGAN-GP).** The critic is not a classifier: it is a scoring "
    "function whose slope the gradient penalty keeps close to 1. Between the fakes and the data it "
    "becomes an almost straight ramp, so every fake sample gets a push of similar size up the ramp, "
    "even far from the data — and samples spread to every mode instead of chasing one. Its value "
    "difference between data and fakes estimates the Wasserstein distance (lesson “Wasserstein distance”).")
WGAN_CLIP = (
    "**What weight clipping does to the critic.** Every weight is clamped to [−c, c] after each step. "
    "Most weights end up pinned at ±c, and a network made of such weights can only draw broad, simple "
    "slopes: look at the heatmap — a few wide bands rather than the shape of the data. Its gradients "
    "are small and blurry, so samples reach the modes slowly and stay smeared (low high-quality %). "
    "The gradient penalty avoids this by constraining the slope itself, only where it matters, "
    "and leaving the weights free.")


def explanations(losses: set[str]) -> list[str]:
    """The paragraphs that explain what runs with ``losses`` show."""
    parts = [WHAT_YOU_SEE]
    if losses & {"minimax", "non-saturating"}:
        parts.append(ONE_SMOOTH_FUNCTION)
    if "minimax" in losses:
        parts.append(MINIMAX)
        measured = preset_description("collapse")  # figures from docs/collapse_record.json
        if measured:
            parts.append("**What the mode-collapse preset does.** " + measured)
    if "non-saturating" in losses:
        parts.append(NON_SATURATING)
    if "wgan-gp" in losses:
        parts.append(WGAN_GP)
    if "wgan-clip" in losses:
        parts.append(WGAN_CLIP)
    return parts


def explain(losses: set[str]) -> None:
    st.markdown("#### What you are seeing")
    for paragraph in explanations(losses):
        st.markdown(paragraph)
    for title, path in (("The GAN objective", "pages/gan_objective.py"), ("Wasserstein distance", "pages/wasserstein.py")):
        try:
            st.page_link(path, label=f"Lesson: {title}", icon=":material/school:")
        except StreamlitPageNotFoundError:
            pass  # the page runs on its own (a single-file test): nothing to link into


# ------------------------------------------------------------------ the summary
def _pct(x: float) -> str:
    return f"{100 * x:.1f} %" if x < 0.1 else f"{100 * x:.0f} %"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _first_full_step(record: dict) -> int | None:
    return next((step for step, modes in record["trajectory"] if modes == record["n_modes"]), None)


def summary_sentences(records: list[dict]) -> list[str]:
    """The page's closing summary from the mode table's ring8 records (seeds in order)."""
    ring = sorted((r for r in records if r["dataset"] == "ring8"), key=lambda r: r["seed"])
    collapse = [r for r in ring if r["tag"] == "collapse"]
    gp = [r for r in ring if r["tag"] == "collapse-wgan-gp"] or [r for r in ring if r["tag"] == "default"
                                                                  and r["loss"] == "wgan-gp"]
    clip = [r for r in ring if r["tag"] == "default" and r["loss"] == "wgan-clip"]
    gp_default = [r for r in ring if r["tag"] == "default" and r["loss"] == "wgan-gp"]
    out = []
    if collapse and gp:
        n = collapse[0]["n_modes"]
        seeds = _join([str(r["seed"]) for r in collapse])
        full = [_first_full_step(r) for r in gp]
        gp_text = (f"WGAN-GP on the same data covered all {n} in every seed by step {max(full):,}"
                   if all(s is not None for s in full) else
                   f"WGAN-GP on the same data ended with {_join([str(r['modes']) for r in gp])} of {n}")
        if len(collapse) <= 3:
            modes, share = _join([str(r["modes"]) for r in collapse]), _join([_pct(r["hq"]) for r in collapse])
            runs = f"seeds {seeds}"
        else:  # many seeds: the mean and the range
            ms, hs = [r["modes"] for r in collapse], [r["hq"] for r in collapse]
            modes = f"{sum(ms) / len(ms):.1f} (from {min(ms)} to {max(ms)})"
            share = f"{_pct(sum(hs) / len(hs))} (from {_pct(min(hs))} to {_pct(max(hs))})"
            runs = f"means of {len(collapse)} seeds"
        most = sum(r["hq"] < 0.5 for r in collapse) > len(collapse) / 2
        out.append(
            f"In the mode-collapse setup (Unrolled GAN's), the original GAN ended {collapse[0]['iters']:,} steps "
            f"with {modes} of its {n} modes captured and {share} of its samples on a mode ({runs})"
            + (": most of its samples sit on no mode at all. " if most else ". ") + f"{gp_text}.")
    out.append("A discriminator's probability map is sharp and saturates; a WGAN-GP critic is a smooth ramp whose "
               "push on the fakes never vanishes.")
    if clip and gp_default:
        mean = lambda rs: sum(r["hq"] for r in rs) / len(rs)  # noqa: E731
        out.append(f"Weight clipping leaves a blurry critic and smeared samples ({_pct(mean(clip))} of them on a "
                   f"mode, against {_pct(mean(gp_default))} with the gradient penalty; lab defaults, mean of "
                   f"{len(clip)} seeds).")
    else:
        out.append("Weight clipping leaves a blurry critic and smeared samples; the gradient penalty does not.")
    return out


def summary(path: Path = MODE_TABLE) -> list[str]:
    """:func:`summary_sentences` of the recorded mode table ([] when it is missing or unreadable)."""
    try:
        return summary_sentences(load_rows(path))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return []
