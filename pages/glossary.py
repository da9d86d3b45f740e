"""Reference: every symbol the lessons use, its meaning in one line, and where it appears."""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from gan_core.lessons import viz
from pages.ui.chrome import LESSONS, next_lesson, page_header
from pages.ui.figures import diagram
from pages.ui.widgets import literal

page_header(
    "Glossary of symbols",
    "Every symbol the lessons use, in one place: how it is written, what it means, and the lessons "
    "where it does its work.",
)

# Lesson files by short name, so each entry names its lessons briefly.
IT, OBJ, VAN, FDIV, W, LAB, DC, CG = (
    "information_theory", "gan_objective", "vanishing_gradients", "f_divergences", "wasserstein", "gan_lab",
    "dcgan", "cyclegan",
)

# (group, LaTeX, name, one line of meaning, lessons where it appears)
ENTRIES: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("Distributions", r"P,\ Q", "two distributions",
     "P is usually the data, Q the model that should come to resemble it.", (IT, FDIV, W)),
    ("Distributions", r"p(x),\ q(x)", "their densities",
     "How much probability P and Q put at x (a probability for discrete outcomes).", (IT, FDIV, VAN)),
    ("Distributions", r"p_{data}", "data distribution",
     "Where the training samples x come from; the GAN never sees its formula, only samples.", (OBJ, VAN)),
    ("Distributions", r"p_g", "generator's distribution",
     "The distribution of G(z) when z is drawn from the prior: what the generator makes.", (OBJ,)),
    ("Distributions", r"z,\ p_z", "latent code and its prior",
     "Random input of the generator, usually z ~ N(0, I); each draw gives one sample.", (OBJ, DC, LAB)),
    ("Distributions", r"M=\tfrac{P+Q}{2}", "mixture",
     "The half-half average of two distributions that the Jensen–Shannon divergence compares each with.",
     (IT, OBJ)),
    ("Distributions", r"F_P(t)", "cumulative distribution",
     "Probability that a draw from P is at most t; W₁ in 1-D is the area between two of them.", (IT,)),
    ("Measuring differences", r"H(P)", "entropy",
     "Average surprise −log P(x) of outcomes drawn from P: the shortest average code length.", (IT,)),
    ("Measuring differences", r"H(P,Q)", "cross-entropy",
     "Average code length when outcomes come from P but the code was built for Q.", (IT,)),
    ("Measuring differences", r"D_{KL}(P\,\|\,Q)", "Kullback–Leibler divergence",
     "H(P, Q) − H(P): the extra cost of using Q for P; asymmetric, infinite where q = 0 < p.", (IT, OBJ, FDIV)),
    ("Measuring differences", r"JS(P,Q),\ JSD", "Jensen–Shannon divergence",
     "Mean KL of P and Q to their mixture M; symmetric, at most log 2, stuck there once supports split.",
     (IT, OBJ)),
    ("Measuring differences", r"\delta(P,Q)", "total variation (TV)",
     "Largest difference in probability P and Q give to one event; half the area between the densities.",
     (IT, W)),
    ("Measuring differences", r"W_1(P,Q)", "Wasserstein-1 (earth mover's) distance",
     "Least average distance that mass must travel to turn P into Q; keeps growing when supports split.",
     (IT, W, LAB)),
    ("Measuring differences", r"\gamma,\ \Pi(P,Q)", "transport plan, set of plans",
     "γ(x, y) says how much mass moves from x to y; Π(P, Q) holds every plan with marginals P and Q.", (W,)),
    ("Measuring differences", r"f,\ D_f(P\,\|\,Q)", "f-divergence and its generator f",
     "D_f = E_Q[f(p/q)] for a convex f with f(1) = 0; each f gives one divergence (KL, JS, χ², ...).",
     (FDIV,)),
    ("Measuring differences", r"f^*(t)", "convex conjugate",
     "sup over u of u·t − f(u); it turns D_f into a maximisation a network can estimate from below.", (FDIV,)),
    ("Measuring differences", r"T(x),\ g_f", "f-GAN critic and its output activation",
     "T is the network in the lower bound E_P[T] − E_Q[f*(T)]; g_f keeps its output where f* is finite.",
     (FDIV,)),
    ("The GAN game", r"G", "generator",
     "Network that maps a latent code z to a sample G(z); trained to make D mistake fakes for data.",
     (OBJ, LAB, DC, CG)),
    ("The GAN game", r"D", "discriminator",
     "Network that outputs D(x), its probability that x is real rather than generated.", (OBJ, VAN, LAB, DC)),
    ("The GAN game", r"D^*", "optimal discriminator",
     "The best D for a fixed G: D*(x) = p_data(x) / (p_data(x) + p_g(x)).", (OBJ, VAN)),
    ("The GAN game", r"V(G,D)", "value function",
     "E[log D(x)] + E[log(1 − D(G(z)))]: D maximises it, G minimises it; at D* it is −log 4 + 2·JSD.", (OBJ,)),
    ("The GAN game", r"\theta,\ \phi", "parameters",
     "θ: the generator's weights (in the 1-D lessons, just its mean); φ: the discriminator's weights.",
     (OBJ, VAN, W)),
    ("The GAN game", r"a,\ \sigma(a)", "logit and sigmoid",
     "The discriminator's raw score a becomes a probability D = σ(a) = 1/(1 + e^(−a)).", (VAN,)),
    ("The GAN game", r"f \;(\text{critic})", "Wasserstein critic",
     "A score with slope at most 1 (1-Lipschitz); E_P[f] − E_Q[f] at its best equals W₁.", (W, LAB)),
    ("Training a critic", r"\|f\|_L\le 1", "1-Lipschitz",
     "|f(x) − f(y)| ≤ |x − y| everywhere: the constraint under which the critic measures W₁.", (W,)),
    ("Training a critic", r"c", "weight-clipping bound",
     "WGAN clamps every critic weight to [−c, c] after each step (the paper: c = 0.01).", (W, LAB)),
    ("Training a critic", r"\lambda,\ \hat x", "gradient-penalty weight, penalty point",
     "WGAN-GP adds λ·E[(|∇f(x̂)| − 1)²] at points x̂ between real and fake samples (the paper: λ = 10).",
     (W, LAB)),
    ("Training a critic", r"n_{critic}", "critic steps per generator step",
     "How many discriminator or critic updates come before each generator update.", (LAB,)),
    ("Training a critic", r"\bar m \pm t\,s/\sqrt n,\ \hat p", "mean over seeds with its 95 % interval, share",
     "A sweep's summary of n runs: the mean number of modes with its Student-t interval, and the share p̂ = k/n of "
     "runs that found every mode (Wilson interval).", ("sweeps",)),
    ("Image GANs", r"z_t,\ \omega", "interpolation path, angle",
     "Latents between z₀ and z₁; spherical interpolation walks the arc of angle ω between them.", (DC,)),
    ("Image GANs", r"G,\ F", "CycleGAN's two generators",
     "G translates domain X to Y, F translates back; F(G(x)) should return x.", (CG,)),
    ("Image GANs", r"D_X,\ D_Y", "CycleGAN's discriminators",
     "Each judges whether an image looks like it belongs to its domain.", (CG,)),
    ("Image GANs", r"\lambda_{cyc},\ \lambda_{id}", "cycle and identity weights",
     "Weights of the round-trip L1 term and of the identity term in CycleGAN's objective.", (CG,)),
    ("Units", r"\text{bits},\ \text{nats}", "units of information",
     "Logarithms in base 2 give bits, natural logarithms nats; 1 nat ≈ 1.443 bits.", (IT, OBJ)),
]

LESSON_BY_NAME = {Path(lesson.path).stem: lesson for lesson in LESSONS}


def lesson_links(names) -> None:
    for name in names:
        lesson = LESSON_BY_NAME[name]
        try:
            st.page_link(lesson.path, label=lesson.title, icon=lesson.icon)
        except StreamlitPageNotFoundError:  # the page run on its own: there is no navigation to link into
            st.markdown(f"*{lesson.title}*")


st.markdown("Where the symbols of the GAN game sit:")
diagram(viz.gan_architecture_dot())

typed = st.text_input("Find a symbol or a word", key="glossary_filter", bind="query-params",
                      placeholder="e.g. entropy, critic, λ", max_chars=100).strip()
query = typed.lower()
shown = [e for e in ENTRIES if not query or any(query in part.lower() for part in e[1:4])]
if not shown:
    # What was typed (or came with a link) is shown as written, never as Markdown: no link, no image.
    st.info(f"No symbol matches {literal(typed)}. Clear the box to see all {len(ENTRIES)}.")

group = None
for entry_group, latex, name, meaning, lessons in shown:
    if entry_group != group:
        group = entry_group
        st.subheader(group)
    symbol, text = st.columns([1, 5], vertical_alignment="center")
    symbol.markdown(f"${latex}$")
    with text:
        st.markdown(f"**{name}.** {meaning}")
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            st.caption("Used in", width="content")
            lesson_links(lessons)

next_lesson(__file__)
