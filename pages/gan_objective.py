"""Lesson 2: the GAN game, its optimal discriminator, V(G, D*) = -log 4 + 2 JSD, disjoint supports."""
import math

import numpy as np
import streamlit as st

from gan_core.lessons import toy1d, viz
from pages.ui.chrome import next_lesson, page_header, show_error
from pages.ui.figures import diagram, figure, plot
from pages.ui.widgets import format_value, metric, toy_controls

page_header(
    "The GAN objective: a game that secretly minimises Jensen–Shannon",
    "You will see the GAN as a picture, derive the best possible discriminator, check numerically that the "
    "game's value is −log 4 + 2·JSD, and watch that value go flat when data and fakes stop overlapping.",
)

# ---------------------------------------------------------------------- architecture
st.header("1. Two networks, one game")
diagram(viz.gan_architecture_dot())
st.markdown(
    r"""
The **generator** $G$ turns noise $z\sim p_z$ into samples whose distribution we call $p_g$.
The **discriminator** $D$ outputs the probability that its input is real. Both are trained on
one value function: $D$ climbs it, $G$ descends it.
"""
)
st.latex(
    r"\min_G \max_D\; V(G,D)=\mathbb{E}_{x\sim p_{data}}\big[\log D(x)\big]"
    r"+\mathbb{E}_{z\sim p_z}\big[\log\big(1-D(G(z))\big)\big]"
)
st.markdown(
    r"""
This is the binary cross-entropy of a classifier that labels data 1 and fakes 0, with the sign
flipped: $D$ maximising $V$ is $D$ minimising its classification loss.
"""
)

# ----------------------------------------------------------------- maximum likelihood
st.header("2. Why not just maximum likelihood? It is KL minimisation")
st.markdown(
    r"""
The classical way to fit a model $q_\theta$ is to maximise the likelihood of the data. With $n$
samples, dividing by $n$ and letting $n$ grow:
"""
)
st.latex(
    r"\frac1n\sum_{i=1}^n \log q_\theta(x_i)\;\xrightarrow{n\to\infty}\;\mathbb{E}_{p_{data}}[\log q_\theta]"
    r"= -H(p_{data}, q_\theta) = -H(p_{data}) - D_{KL}(p_{data}\,\|\,q_\theta)"
)
st.markdown(
    r"""
$H(p_{data})$ does not depend on $\theta$, so **maximising likelihood is minimising the forward
KL** $D_{KL}(p_{data}\|q_\theta)$. It needs a density $q_\theta(x)$ to evaluate — which a GAN's
generator does not have: it only produces samples. The GAN replaces the likelihood with a
learned judge. The last plot of section 3 checks this numerically: the model is
$\mathcal N(\mu, 1)$, the data is the density $p_{data}$ you set there, and the likelihood's
peak sits where the KL curve bottoms out.
"""
)

# ---------------------------------------------------------------------- optimal D
st.header("3. The optimal discriminator and the value of the game")
st.markdown(
    r"""
For a fixed $G$, $V$ is an integral over $x$ of $p_{data}(x)\log D(x) + p_g(x)\log(1-D(x))$.
Maximising $a\log y + b\log(1-y)$ over $y\in(0,1)$ gives $y=a/(a+b)$, so pointwise:
"""
)
st.latex(r"D^*(x)=\frac{p_{data}(x)}{p_{data}(x)+p_g(x)}")
col_p, col_q = st.columns(2)
with col_p:
    data_toy = toy_controls("p_data (the data)", "data", toy1d.Toy1D("mixture", -2.0, 0.6, 0.4, 1.5, 0.5))
with col_q:
    gen_toy = toy_controls("p_g (the generator)", "gen", toy1d.Toy1D("gaussian", 1.0, 1.2))
try:
    p_data, p_g = toy1d.discretise(data_toy), toy1d.discretise(gen_toy)
except ValueError as exc:
    show_error(f"These settings do not give a valid density: {exc}.")
    st.stop()
objective = toy1d.gan_objective(p_data, p_g)
x = p_data.grid.x
plot(figure(viz.d_star_figure, x, p_data.density, p_g.density, objective.d_star), key="d_star")
st.markdown(r"Substituting $D^*$ back into $V$ and rearranging around the mixture $M=\tfrac{p_{data}+p_g}{2}$:")
st.latex(
    r"V(G,D^*)=\mathbb{E}_{p_{data}}\!\left[\log\frac{p_{data}}{2M}\right]+\mathbb{E}_{p_g}\!\left[\log\frac{p_g}{2M}\right]"
    r"=-\log 4+D_{KL}(p_{data}\|M)+D_{KL}(p_g\|M)=-\log 4+2\,JSD(p_{data},p_g)"
)
c1, c2, c3 = st.columns(3)
c1.metric("V(G, D*) by numerical integration", format_value(objective.value, "nats"))
c2.metric("−log 4 + 2·JSD", format_value(objective.identity_rhs, "nats"))
c3.metric("Difference", f"{objective.value - objective.identity_rhs:.1e} nats")
st.markdown(
    f"""
The two numbers are computed independently — the left one by integrating $\\log D^*$ against
both densities, the right one from the JS divergence ({format_value(objective.js, 'nats')}) — and
they agree to rounding error. So when $D$ is optimal, **training $G$ minimises the Jensen–Shannon
divergence**; the lowest value, $-\\log 4 \\approx {-math.log(4):.4f}$ nats, is reached only when
$p_g = p_{{data}}$, where $D^* = \\tfrac12$ everywhere. Natural logarithms throughout, as in the
paper; in bits the identity reads $V = -2 + 2\\,JSD_{{bits}}$.
"""
)

locs = np.linspace(-5, 5, 201)
avg, minus_ce, kl = toy1d.log_likelihood_curve(p_data, locs, scale=1.0, n_samples=500, seed=0)
plot(figure(viz.likelihood_figure, locs, avg, minus_ce, kl, 500), key="likelihood")
st.caption(
    f"Back to section 2: the average log-likelihood of 500 samples from p_data (solid) peaks at "
    f"μ = {locs[np.argmax(avg)]:+.2f}; KL(p_data‖q_μ) (dashed) bottoms out at μ = {locs[np.argmin(kl)]:+.2f}. "
    "With more samples the two coincide exactly."
)

# ---------------------------------------------------------------- disjoint supports
st.header("4. Disjoint supports: when JS goes flat")
st.markdown(
    r"""
Real images live on thin manifolds in pixel space, and early in training the generator's
manifold barely touches the data's. The simplest picture: $P$ a narrow uniform around $0$ and
$Q$ the same shape around $\theta$ (both of width 0.1, nearly point masses). Drag $\theta$.
"""
)
theta = st.slider("θ, where Q sits", -2.0, 2.0, 1.0, 0.01, key="theta", bind="query-params")
if abs(theta) < 1e-9:
    st.info("At θ = 0 the two distributions are identical: every divergence is 0.")
thetas = np.linspace(-2, 2, 161)


@st.cache_data(show_spinner=False)
def sweep(thetas_key: tuple):
    return toy1d.disjoint_sweep(np.array(thetas_key))


curves = sweep(tuple(thetas))
p_pt, q_pt = toy1d.point_pair(theta)
now = toy1d.divergence_table(p_pt, q_pt, "nats")
plot(figure(viz.sweep_figure, thetas, curves.kl, curves.js, curves.w1, theta, "nats"), key="sweep")


def js_at(t: float) -> float:
    return toy1d.divergence_table(*toy1d.point_pair(t), "nats").js


def w1_at(t: float) -> float:
    return toy1d.divergence_table(*toy1d.point_pair(t), "nats").w1


def overlap_sentence(p_pt, q_pt, now) -> str:
    """What the supports do at this θ and the JS and TV that follow, from the computed values."""
    shared = int(np.sum((p_pt.mass > 0) & (q_pt.mass > 0)))
    values = (f"JS = {format_value(now.js, 'nats')} ({now.js / math.log(2):.1%} of log 2) and total variation "
              f"= {format_value(now.tv)} ({now.tv:.1%} of its maximum 1)")
    if shared == 0:
        return f"**At θ = {theta:.2f}** the supports share no grid point: {values}, and both stay there for any larger |θ|."
    if shared == len(p_pt.mass[p_pt.mass > 0]):
        return f"**At θ = {theta:.2f}** P and Q are the same: {values}."
    if shared == 1:
        return (f"**At θ = {theta:.2f}** the supports still share 1 grid point: each uniform includes its endpoints, "
                f"so at |θ| = 0.10 they touch. {values[0].upper() + values[1:]}, not yet at their maxima.")
    return f"**At θ = {theta:.2f}** the supports overlap on {shared} grid points: {values}, not yet at their maxima."


c1, c2, c3 = st.columns(3)
metric(c1, "KL(P‖Q)", now.kl_pq, "nats", "Q has no mass where P has mass")
c2.metric("JS(P, Q)", format_value(now.js, "nats"), help=f"log 2 = {math.log(2):.4f} nats is JS's maximum")
c3.metric("W1(P, Q)", format_value(now.w1, ""), help="In units of x; equals |θ| for a pure shift.")
st.markdown(overlap_sentence(p_pt, q_pt, now))
g_js, g_w1 = toy1d.derivative(js_at, theta), toy1d.derivative(w1_at, theta)
c1, c2 = st.columns(2)
c1.metric("dJS/dθ (finite difference)", format_value(g_js, "nats per unit θ"))
c2.metric("dW1/dθ (finite difference)", format_value(g_w1, "per unit θ"))
st.markdown(
    r"""
**What to look at.** Once $|\theta|$ exceeds the width (0.1) the supports are disjoint (at exactly
0.1 they still touch at one grid point, and JS and TV fall just short of their maxima, as computed above):
KL is $\infty$ (Q has no mass where P does), JS sits at exactly $\log 2$ whatever $\theta$ is, and
its slope is **0** — a generator trained on JS learns nothing about *which way* to move.
W1 $=|\theta|$ keeps a slope of $\pm1$ at every distance: it still says "move towards the
data". That is the Wasserstein GAN's argument. In a real GAN the same thing shows up as a
discriminator that separates data and fakes perfectly, saturates, and passes the generator a
vanishing gradient.
"""
)

with st.expander("Where the source texts slip (and what is right)"):
    st.markdown(
        r"""
- *"KL divergence is not asymmetry"* — KL **is** asymmetric: $D_{KL}(P\|Q)\neq D_{KL}(Q\|P)$ in
  general (section 2 of the first lesson shows both numbers).
- *"JS divergence is asymmetry, which means JSD(P‖Q) = JSD(Q‖P)"* — the formula is right but the
  word is wrong: JS is **symmetric**.
- *"the maximum value of KL divergence is 1"* — KL is **unbounded** and can be infinite (section 4
  above). It is JS that is bounded, by $\log 2$ nats = 1 bit.
- In the derivation of $V(G,D^*)$ the KL terms must compare each distribution with the mixture
  $\frac{p_{data}+p_g}{2}$, not with $\frac{p_{data}}{p_{data}+p_g}$ (which is $D^*$, not a density),
  and the second term of the JS sum uses $q$, not $p$; one text also writes
  $\frac{p_g+p_g}{2}$ for the mixture.
- The maximum-likelihood derivation drops the constant with a sign to watch: $\mathbb{E}_{p}[\log q]
  - \mathbb{E}_p[\log p] = -D_{KL}(p\|q)$, so *maximising* likelihood is *minimising* KL, as above.
- The discriminator — not the generator — maximises $V(G, D)$; and $JSD(p,q)=0$ (not $\ge 0$) iff
  $p=q$.
"""
    )

next_lesson(
    __file__,
    [
        "The optimal discriminator is D* = p_data / (p_data + p_g); at the optimum the game's value is −log 4 + 2·JSD.",
        "Maximum likelihood is forward-KL minimisation; the GAN game (with an optimal D) is JS minimisation.",
        "For disjoint supports KL is ∞ and JS is flat at log 2 (zero gradient), while W1 = |θ| still points the way.",
    ],
)
