"""Lesson 1: entropy, cross-entropy, KL, JS, total variation and W1 on toy distributions."""
import numpy as np
import streamlit as st

from gan_core.lessons import divergences as dv
from gan_core.lessons import toy1d, viz
from pages.ui.chrome import next_lesson, page_header, show_error
from pages.ui.figures import figure, plot
from pages.ui.widgets import format_value, metric, toy_controls, unit_choice

page_header(
    "Information theory: measuring how far apart two distributions are",
    "You will edit distributions with sliders and watch entropy, cross-entropy, KL, JS, total variation "
    "and the Wasserstein distance respond — the yardsticks every GAN is trained against.",
)
unit = unit_choice()
k = "bit" if unit == "bits" else "nat"

# ------------------------------------------------------------------------ 1. discrete
st.header("1. Entropy and cross-entropy of a small distribution")
st.markdown(
    r"""
A source emits outcomes $x$ with probabilities $P(x)$. An optimal code spends $-\log P(x)$ on
outcome $x$, so rare outcomes get long code words. The **entropy** is the average code length
when the code is built for the true source:
"""
)
st.latex(r"H(P) = -\sum_x P(x)\log P(x)")
st.markdown(
    r"""
If we build the code for a *wrong* guess $Q$ and use it on data from $P$, the average length is
the **cross-entropy** $H(P, Q) = -\sum_x P(x)\log Q(x)$. It is never shorter than $H(P)$; the
extra cost is the **Kullback–Leibler divergence** $D_{KL}(P\,\|\,Q) = H(P,Q) - H(P)$.
Set the weights below (they are normalised to sum to 1).
"""
)
labels = ["A", "B", "C", "D", "E", "F"]
n = st.slider("Number of outcomes", 2, 6, 4, key="n_outcomes", bind="query-params")
default_p = [0.5, 0.25, 0.125, 0.125, 0.1, 0.1]
col_p, col_q = st.columns(2)
p_weights, q_weights = [], []
with col_p:
    st.markdown("**P — the true source**")
    for i in range(n):
        p_weights.append(st.slider(f"P({labels[i]})", 0.0, 1.0, default_p[i], 0.005, key=f"dp{i}", bind="query-params"))
with col_q:
    st.markdown("**Q — the code's guess**")
    for i in range(n):
        q_weights.append(st.slider(f"Q({labels[i]})", 0.0, 1.0, 0.25, 0.005, key=f"dq{i}", bind="query-params"))

p_w, q_w = np.array(p_weights), np.array(q_weights)
if p_w.sum() <= 0 or q_w.sum() <= 0:
    show_error("Give at least one outcome a positive weight in both P and Q: a distribution must put its mass somewhere.")
else:
    p, q = p_w / p_w.sum(), q_w / q_w.sum()
    base = 2 if unit == "bits" else np.e
    h_p = dv.entropy(p, base)
    ce = dv.cross_entropy(p, q, base)
    kl = dv.kl_divergence(p, q, base)
    h_max = np.log(n) / (np.log(2) if unit == "bits" else 1.0)
    missing = "Q gives probability 0 to an outcome P can produce: that outcome has no code word"
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Entropy H(P)", format_value(h_p, unit))
    metric(c2, "Cross-entropy H(P, Q)", ce, unit, "Q = 0 for an outcome P can produce")
    metric(c3, "KL(P ‖ Q) = H(P,Q) − H(P)", kl, unit, "Q = 0 for an outcome P can produce")
    c4.metric("Largest possible H (uniform)", format_value(h_max, unit))
    if np.isinf(kl):
        st.warning(f"Cross-entropy and KL are infinite: {missing}.")
    left, right = st.columns(2)
    with left:
        plot(figure(viz.bars_pq, labels[:n], p, q), key="bars_pq")
    with right:
        plot(figure(viz.code_lengths, labels[:n], p, q, unit), key="code_lengths")
    st.caption(
        "Look at the outcomes where Q's bar (right) is taller than P's: the code built for Q wastes "
        f"{k}s there, and those outcomes are what make H(P, Q) exceed H(P)."
    )

# ---------------------------------------------------------------------- 2. densities
st.header("2. Two densities, every measure at once")
st.markdown(
    r"""
For continuous data the sums become integrals. Set a density $P$ (think: the data) and a density
$Q$ (think: the generator) and pick a measure: its **integrand** — the quantity whose area is the
measure — is shaded under the curves, so you can see *where* the two distributions disagree
and how much each region contributes.
"""
)
st.latex(
    r"D_{KL}(P\|Q)=\int p\log\frac{p}{q}\,dx,\quad "
    r"JS(P,Q)=\tfrac12 D_{KL}\!\left(P\,\middle\|\,M\right)+\tfrac12 D_{KL}\!\left(Q\,\middle\|\,M\right),\ M=\tfrac{P+Q}{2}"
)
st.latex(
    r"\delta(P,Q)=\tfrac12\int|p-q|\,dx=\sup_A|P(A)-Q(A)|,\qquad "
    r"W_1(P,Q)=\int |F_P(t)-F_Q(t)|\,dt"
)
col_p, col_q, col_m = st.columns([1, 1, 1])
with col_p:
    p_toy = toy_controls("P (data)", "p", toy1d.Toy1D("gaussian", -1.0, 1.0))
with col_q:
    q_toy = toy_controls("Q (model)", "q", toy1d.Toy1D("mixture", 1.0, 0.6, 0.3, 3.0, 0.8))
with col_m:
    st.markdown("**What to shade**")
    which = st.selectbox("Integrand", toy1d.INTEGRANDS, key="integrand", bind="query-params")

try:
    p_d, q_d = toy1d.discretise(p_toy), toy1d.discretise(q_toy)
except ValueError as exc:
    show_error(f"These settings do not give a valid density: {exc}.")
    st.stop()
table = toy1d.divergence_table(p_d, q_d, unit)
x = p_d.grid.x
plot(figure(viz.densities_with_integrand, x, p_d.density, q_d.density, toy1d.integrand(which, p_d, q_d, unit), which, unit),
     key="densities")

reason_pq = "Q is 0 where P has mass"
reason_qp = "P is 0 where Q has mass"
reasons = {"Cross-entropy h(P, Q)": reason_pq, "KL(P ‖ Q)": reason_pq, "Cross-entropy h(Q, P)": reason_qp,
           "KL(Q ‖ P)": reason_qp}
rows = [{"measure": name, "value": format_value(value, "", reasons.get(name, "")), "unit": u}
        for name, value, u in table.rows()]
st.table(rows, hide_index=True)
st.caption(
    "Entropies of densities are *differential* entropies (they can be negative for a narrow density: "
    "a Gaussian with σ = 0.1 has h ≈ −1.3 bits). Computed on a grid of "
    f"{p_d.grid.n} points with spacing {p_d.grid.dx:g}."
)

js_max = 1.0 if unit == "bits" else float(np.log(2))
a, b, c = st.columns(3)
a.metric("KL(P‖Q) − KL(Q‖P)", format_value(table.kl_pq - table.kl_qp, unit) if np.isfinite(table.kl_pq - table.kl_qp) else "one side is ∞",
         help="KL is asymmetric: swapping the arguments changes the value.")
b.metric("JS(P,Q) − JS(Q,P)", format_value(float(toy1d.divergence_table(q_d, p_d, unit).js - table.js), unit),
         help="JS is symmetric: always 0.")
c.metric("JS as a fraction of its maximum", f"{table.js / js_max:.1%}",
         help=f"JS never exceeds log 2 = {js_max:.4g} {unit}; it reaches it exactly when supports do not overlap.")
st.markdown(
    f"""
**What to look at.** KL is *asymmetric*: KL(P‖Q) charges for places where P has mass and Q has
little; KL(Q‖P) charges the other way, so the two numbers differ. Make Q a uniform that does
not cover P's tails and KL(P‖Q) becomes ∞ while JS stays below its ceiling of 1 bit
({np.log(2):.4f} nats) — JS compares each distribution with their average M, which is never zero
where either has mass. Total variation is the biggest difference in probability any event
can have; W1 is how far, on average, mass must travel to turn P into Q (in units of x).
"""
)

# -------------------------------------------------------------- 3. forward vs reverse KL
st.header("3. Forward vs reverse KL: covering modes or seeking one")
st.markdown(
    r"""
Suppose the data $P$ has two modes but the model $Q$ can only be a single Gaussian. Which
Gaussian is "closest" depends on which way round we measure. Both fits below are found by
numerical minimisation (""" + toy1d.FIT_METHOD + r""" with the exact gradient, over the mean and log-σ).

* **Forward** $D_{KL}(P\|Q)=\int p\log\frac{p}{q}$ explodes wherever $p>0$ but $q\approx 0$, so the
  best $Q$ stretches over *both* modes — and puts mass in the empty valley between them.
* **Reverse** $D_{KL}(Q\|P)=\int q\log\frac{q}{p}$ explodes wherever $q>0$ but $p\approx 0$, so the
  best $Q$ hides inside *one* mode and ignores the other.
"""
)
c1, c2, c3 = st.columns(3)
separation = c1.slider("Distance between the modes", 0.0, 8.0, 6.0, 0.1, key="fit_sep", bind="query-params")
width = c2.slider("Width σ of each mode", 0.2, 2.0, 0.7, 0.05, key="fit_sigma", bind="query-params")
right_weight = c3.slider("Weight of the right mode", 0.05, 0.95, 0.5, 0.05, key="fit_weight", bind="query-params")


@st.cache_data(max_entries=64, show_spinner=False)
def fits(separation: float, width: float, right_weight: float):
    target = toy1d.discretise(toy1d.Toy1D("mixture", -separation / 2, width, right_weight, separation / 2, width))
    return target, toy1d.fit_gaussian(target, "forward"), toy1d.fit_gaussian(target, "reverse")


target, forward, reverse = fits(separation, width, right_weight)
x = target.grid.x
forward_d = toy1d.discretise(forward.toy()).density
reverse_d = toy1d.discretise(reverse.toy()).density
plot(figure(viz.fits_figure, x, target.density, forward_d, reverse_d, [o[0] for o in reverse.local_optima]), key="fits")
nat_to_unit = toy1d.unit_factor(unit)
c1, c2 = st.columns(2)
c1.metric("Forward fit (mode covering)", f"μ = {forward.loc:+.2f}, σ = {forward.scale:.2f}",
          help=f"KL(P‖Q) at the optimum: {forward.kl / nat_to_unit:.4g} {unit}")
c2.metric("Reverse fit (mode seeking)", f"μ = {reverse.loc:+.2f}, σ = {reverse.scale:.2f}",
          help=f"KL(Q‖P) at the optimum: {reverse.kl / nat_to_unit:.4g} {unit}")
st.markdown(
    f"""
Minimised values: KL(P‖Q) = **{forward.kl / nat_to_unit:.4g} {unit}** for the forward fit,
KL(Q‖P) = **{reverse.kl / nat_to_unit:.4g} {unit}** for the reverse fit. The reverse objective has a
separate local optimum on each mode (dotted lines); starting the optimiser elsewhere lands on
another one. Make one mode heavier and the reverse fit prefers it; shrink the distance and the
two behaviours merge.

**Is this why GANs collapse onto a few modes?** It is a tempting story: a GAN's generator is judged
on whether its own samples look real, so, like the reverse fit, it is not charged for a mode it leaves
out. Goodfellow's tutorial ([NIPS 2016 Tutorial: Generative Adversarial
Networks](https://arxiv.org/abs/1701.00160), arXiv:1701.00160, section 5.1.1, "Mode collapse") argues that
this is not the root cause: it notes that GANs trained with a maximum-likelihood objective, which is forward KL and charges heavily for a missing
mode, still settle on a small number of modes; and with an optimal discriminator the original game
minimises Jensen–Shannon, which looks both ways (next lesson). The tutorial puts the blame on training
instead: alternating gradient steps need not solve $\\min_G\\max_D$, and can behave more like
$\\max_D\\min_G$, where the generator's best reply is to send every $z$ to the one point the current
discriminator rates most real. So read the two fits as what dropping a mode costs under each divergence,
not as the mechanism of mode collapse; the training lab shows collapse as it happens.
"""
)

next_lesson(
    __file__,
    [
        "Cross-entropy is entropy plus KL; KL is zero only when the distributions match.",
        "KL is asymmetric and can be infinite; JS is symmetric and never exceeds 1 bit.",
        "Forward KL covers all modes, reverse KL seeks one; GANs' mode collapse comes mostly from training "
        "dynamics, not from the choice of divergence (Goodfellow 2016, §5.1.1).",
    ],
)
