"""Home: what the app teaches, and the path through the lessons."""
import numpy as np
import streamlit as st

from gan_core.lessons import toy1d, viz
from pages.ui.chrome import LESSONS, page_header
from pages.ui.figures import diagram, figure, plot

page_header(
    "GANs from the ground up",
    "An interactive course from information theory to generative adversarial networks: "
    "move sliders, watch the numbers, and see why GANs train — and fail — the way they do.",
)
st.subheader("The whole story in one picture")


@st.cache_data(show_spinner=False)
def teaser():
    thetas = np.linspace(-2, 2, 81)
    return thetas, toy1d.disjoint_sweep(thetas)


thetas, curves = teaser()
plot(figure(viz.sweep_figure, thetas, curves.kl, curves.js, curves.w1, 1.0, "nats"), key="teaser")
st.caption(
    "Two near-point masses, one at 0 and one at θ. Once they stop overlapping, KL is infinite and JS is "
    "stuck at log 2 — neither tells a generator which way to move — while the Wasserstein distance W1 = |θ| "
    "does. The lessons build up to why this matters for training GANs."
)
st.markdown(
    r"""
A GAN pits a **generator**, which turns noise into samples, against a **discriminator**, which
tries to tell those samples from real data. Whether that game converges depends on how we
measure the distance between the data's distribution and the generator's — entropy, KL,
Jensen–Shannon, Wasserstein. Each lesson below makes one idea interactive on small examples
you can change, with every number computed live. The game they build up to, in Goodfellow et
al.'s words a minimax game between $G$ and $D$:
"""
)
st.latex(r"\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_{data}}\big[\log D(x)\big]"
         r" + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big]")
st.subheader("The path")
diagram(viz.journey_dot([(lesson.title, lesson.section) for lesson in LESSONS]))
for number, lesson in enumerate(LESSONS, start=1):
    st.page_link(lesson.path, label=f"{number}. {lesson.title}", icon=lesson.icon)
    st.caption(lesson.question)
st.divider()
st.markdown(
    "Sources: the lessons follow four texts on GANs (blog posts and lecture notes listed in the README) "
    "and the original papers — Goodfellow et al., "
    "[*Generative Adversarial Nets*](https://arxiv.org/abs/1406.2661) (2014); Arjovsky, Chintala & Bottou, "
    "[*Wasserstein GAN*](https://arxiv.org/abs/1701.07875) (2017). All explanations are this project's own."
)
