"""Lesson: the Wasserstein (earth mover's) distance, its transport plans, and a critic trained on its dual."""
import math

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from gan_core.lessons import divergences as dv
from gan_core.lessons import critic1d, toy1d, transport
from gan_core.lessons import viz_lessons as vl
from pages.ui.background import training_panel
from pages.ui.chrome import next_lesson, page_header, show_error
from pages.ui.figures import figure, plot
from pages.ui.widgets import format_value, metric, toy_controls

page_header(
    "The Wasserstein distance: the cost of moving earth",
    "You will see the cheapest way to move one histogram onto another and one point cloud onto another, read "
    "the distance off as an area between CDFs, and train a critic that estimates it through its dual form.",
)

# ------------------------------------------------------------------- 1. 1-D transport
st.header("1. Earth mover's distance between two histograms")
st.markdown(
    r"""
Think of $P$ as piles of earth and $Q$ as holes of the same total volume. A **transport plan**
$\gamma(x,y)$ says how much earth goes from $x$ to $y$; its row sums must give $P$ and its column
sums $Q$. Moving mass $m$ a distance $d$ costs $m\cdot d$, and the Wasserstein-1 distance is the
cost of the cheapest plan:
"""
)
st.latex(r"W_1(P,Q)=\inf_{\gamma\in\Pi(P,Q)}\ \mathbb{E}_{(x,y)\sim\gamma}\,|x-y|")
st.markdown(
    r"""
On a line the cheapest plan never lets two flows cross: the leftmost earth fills the leftmost hole
(match quantiles in order). Its cost equals the area between the two cumulative distribution
functions, which gives a second, independent way to compute $W_1$. Both histograms live on 33 bins of
width 0.5 between −8 and 8.
"""
)
HIST_GRID = toy1d.Grid(-8.0, 8.0, 33)
col_p, col_q = st.columns(2)
with col_p:
    p_toy = toy_controls("P (the earth)", "wp", toy1d.Toy1D("mixture", -3.0, 0.6, 0.3, 0.0, 0.5))
with col_q:
    q_toy = toy_controls("Q (the holes)", "wq", toy1d.Toy1D("gaussian", 2.0, 1.0))
try:
    p_hist, q_hist = toy1d.discretise(p_toy, HIST_GRID).mass, toy1d.discretise(q_toy, HIST_GRID).mass
except ValueError as exc:
    show_error(f"These settings put no mass on the histogram's bins (a uniform narrower than a bin, or off the "
               f"range −8 to 8): {exc}. Widen it or move it.")
    st.stop()
x_hist = HIST_GRID.x
plan = transport.monotone_plan(p_hist, q_hist, x_hist)
cdf_p, cdf_q, w1_area = transport.cdf_gap(p_hist, q_hist, x_hist)
plot(figure(vl.transport_plan_figure, x_hist, p_hist, q_hist, plan), key="plan")
c1, c2, c3 = st.columns(3)
c1.metric("Cost of the drawn plan", format_value(plan.cost, "units of x"))
c2.metric("Area between the CDFs", format_value(w1_area, "units of x"))
c3.metric("Difference", f"{abs(plan.cost - w1_area):.1e} units of x")
plot(figure(vl.cdf_area_figure, x_hist, cdf_p, cdf_q, w1_area), key="cdf_area")
st.markdown(
    r"""
**What to look at.** The lines never cross, and the thickest ones join the big piles to the big
holes. The plan's cost (mass × distance, summed over the lines) and the area between the CDFs are
computed independently and agree to rounding error. Slide $Q$ further right: every unit of distance
adds exactly the moved mass to $W_1$ — unlike KL or JS, the distance keeps growing smoothly even after
the histograms stop overlapping.
"""
)

# ---------------------------------------------------------------- 2. 2-D assignment
st.header("2. In two dimensions: an assignment problem")
st.markdown(
    r"""
For two clouds of $n$ points with equal weights $1/n$, some optimal plan moves each point of $P$
whole to one point of $Q$ (a permutation), so $W_1$ is the smallest average distance over all
$n!$ matchings. The **Hungarian algorithm** finds it exactly in $O(n^3)$ steps.
"""
)
col1, col2, col3 = st.columns(3)
n_points = col1.slider("Points per cloud n", 2, 40, 12, key="w2d_n", bind="query-params")
shift = col2.slider("How far Q sits to the right", 0.0, 6.0, 3.0, 0.1, key="w2d_shift", bind="query-params")
seed = col3.slider("Random seed", 0, 20, 0, key="w2d_seed", bind="query-params")
cloud_a, cloud_b = transport.point_clouds(n_points, shift, seed=seed)
assignment = transport.exact_assignment(cloud_a, cloud_b)
plot(figure(vl.assignment_figure, cloud_a, cloud_b, assignment.col), key="assignment")
c1, c2 = st.columns(2)
c1.metric("W1 = average length of a line", format_value(assignment.w1, "units of x"))
c2.metric("Total length of all lines", format_value(float(assignment.distances.sum()), "units of x"))
st.markdown(
    r"""
**What to look at.** P is a blob and Q a ring; when Q sits on top of P (shift 0), points still have to
travel from the centre out to the ring. The optimal lines never cross (if two did, swapping their
ends would be shorter — the triangle inequality). Increase the shift and $W_1$ grows by about the
shift, as for the 1-D histograms.
"""
)

# ------------------------------------------------------------------ 3. sup vs max
st.header("3. Supremum, not maximum")
st.markdown(
    r"""
The next formula takes a **supremum** over functions. The supremum of a set of numbers is its
least upper bound; the maximum is a largest element *of the set*. Every maximum is a supremum, but
not conversely:

- $\{x : x\le2\}$ has maximum 2 and supremum 2;
- $\{x : x<2\}$ has **no maximum** (no number below 2 is the largest) but supremum 2;
- $\{x : x>2\}$ is unbounded: no maximum, and no (finite) supremum.

For the Wasserstein dual, the supremum is always reached by some 1-Lipschitz function (for
distributions on a bounded range), so reading "sup" as "max" loses nothing here; a trained critic
approaches that best function from below.
"""
)

# ------------------------------------------------------------- 4. duality and critics
st.header("4. Kantorovich–Rubinstein duality: a critic estimates W1")
st.markdown(
    r"""
Computing the infimum over plans is hopeless in high dimensions, but it has a dual form: over all
functions $f$ with slope at most 1 in size (**1-Lipschitz**: $|f(x)-f(y)|\le|x-y|$),
"""
)
st.latex(r"W_1(P,Q)=\sup_{\|f\|_L\le1}\ \mathbb{E}_{x\sim P}\big[f(x)\big]-\mathbb{E}_{x\sim Q}\big[f(x)\big]")
st.markdown(
    r"""
This is the contrast-maximisation objective of the lesson "Vanishing gradients", now exact, with no
sigmoid — but with a constraint on the critic's slope. A Wasserstein GAN trains a network $f$ on it.
Below, a ReLU network with two hidden layers of 32 units is trained on the histograms of section 1
(full-batch: the expectations are sums over the 33 bins), with the constraint imposed one of two ways:

- **weight clipping** (WGAN): after every RMSprop step each weight is clamped to $[-c,c]$ — which
  bounds the slope by *some* constant $K$, not by 1, so the critic estimates $K\cdot W_1$;
- **gradient penalty** (WGAN-GP): add $\lambda\,\mathbb{E}\big[(|f'(\hat x)|-1)^2\big]$ at points
  $\hat x$ between a sample of $P$ and one of $Q$, which pulls the slope towards 1 there.
"""
)
method_label = st.radio("Lipschitz constraint", ["weight clipping (WGAN)", "gradient penalty (WGAN-GP)"],
                        horizontal=True, key="w_method", bind="query-params")
method = "clip" if method_label.startswith("weight") else "gp"
col1, col2 = st.columns(2)
clip = col1.select_slider("Clip value c (weight clipping)", [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
                          value=transport.CLIP_DEFAULT, key="w_clip", bind="query-params",
                          help="WGAN's paper uses c = 0.01.", disabled=method != "clip")
gp_lambda = col2.select_slider("Penalty weight λ (gradient penalty)", [0.1, 1.0, 10.0, 100.0, 1000.0],
                               value=transport.GP_LAMBDA_DEFAULT, key="w_lambda", bind="query-params",
                               help="WGAN-GP's paper uses λ = 10.", disabled=method != "gp")
x_fine = np.linspace(-8.0, 8.0, 801)


def idle() -> None:
    st.metric("True W1 of the two histograms", format_value(w1_area, "units of x"))
    st.caption("Press Train to see what a critic makes of it.")


def gp_slope_sentence(snap, gp_lambda: float) -> str:
    """What the trained critic's slope does, from its own numbers (the penalised optimum is not a straight line)."""
    low, high = snap.slope_spread
    straight = transport.gp_equilibrium_slope(snap.w1, gp_lambda)
    return (f"Between the outermost bins with mass, |f′| runs from {low:.3f} to {high:.3f} per unit x (10th to 90th "
            f"percentile; median {snap.typical_slope:.3f}): the penalised critic's slope varies with x. For "
            f"comparison, the best straight-line critic would have slope 1 + W1/(2λ) = {straight:.3f} when one CDF "
            "lies wholly above the other.")


def show(trainer) -> None:
    snap = trainer.snapshot(x_fine)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("True W1", format_value(snap.w1, "units of x"))
    c2.metric("Critic's estimate E_P f − E_Q f", format_value(snap.estimate, "units of x"))
    c3.metric("Steepest slope K = max |f′|", format_value(snap.lipschitz, "per unit x"),
              help="Measured between the outermost bins that carry mass.")
    metric(c4, "Estimate ÷ K (a certified lower bound)", snap.normalised, "units of x",
           help="f/K is 1-Lipschitz, so (E_P f − E_Q f)/K can never exceed W1.")
    if trainer.method == "clip":
        st.caption(f"{100 * snap.weight_fraction_at_clip:.0f}% of the critic's weights sit at ±c = ±{trainer.clip:g}.")
    else:
        st.caption(gp_slope_sentence(snap, trainer.gp_lambda))
    if trainer.done:  # drawn once at the end: redrawing it every poll slowed the training on a busy machine
        plot(vl.critic_figure(x_hist, p_hist, q_hist, snap, method_label), key="critic_fig")
    plot(vl.critic_history_figure(trainer.history.steps, trainer.history.estimates, snap.w1), key="critic_hist")


training_panel(
    "critic", (method, clip if method == "clip" else gp_lambda, p_toy, q_toy),
    button_label=f"Train the critic ({transport.CRITIC_STEPS} steps)",
    changed_message="The settings changed since the last training run: press Train to train a critic for these.",
    build=lambda: transport.CriticTrainer(x_hist, p_hist, q_hist, method, clip=clip, gp_lambda=gp_lambda, seed=0),
    show=show, idle=idle, building="Building the critic…")
st.markdown(
    r"""
**What to look at.** With **clipping** at the paper's $c=0.01$ the slope plot is a flat line near 0:
the estimate is a tiny multiple of $W_1$, and even divided by its own steepest slope it falls short —
most weights are pinned at $\pm c$ and the critic can only make simple, almost straight shapes. It
uses little of its capacity, and larger $c$ only scales the answer by an unknown $K$. With the
**gradient penalty** the slope between and across the piles sits near 1 but not at 1, and not the same
at every $x$: the penalty is a soft price, not a wall, so the penalised critic buys a little extra
contrast where the cost is low (the caption above gives the spread of its slope). Where its slope
exceeds 1 the estimate overshoots the true $W_1$; raise $\lambda$ and it closes in. What a generator needs from the critic is the *direction*
of its slope, and both keep pointing from $Q$ towards $P$ however far apart they are.
"""
)

# ------------------------------------------------------------- 5. the point masses
st.header("5. Back to two point masses")
st.markdown(
    r"""
The example from "The GAN objective", now exact: $P$ puts all its mass at 0, $Q$ all its mass at $\theta$.
"""
)
theta = st.slider("θ, where Q's point mass sits", -3.0, 3.0, 1.0, 0.05, key="w_theta", bind="query-params")
if abs(theta) < 1e-12:
    support, p_pt, q_pt = np.array([0.0]), np.array([1.0]), np.array([1.0])
else:
    support = np.array(sorted([0.0, theta]))
    p_pt = np.array([1.0, 0.0]) if support[0] == 0.0 else np.array([0.0, 1.0])
    q_pt = 1.0 - p_pt
kl = dv.kl_divergence(p_pt, q_pt, math.e)
js = dv.js_divergence(p_pt, q_pt, math.e)
w1_pt = dv.wasserstein1(p_pt, q_pt, support)
c1, c2, c3 = st.columns(3)
metric(c1, "KL(P‖Q)", kl, "nats", "Q has no mass at 0, where all of P's mass is")
c2.metric("JS(P, Q)", format_value(js, "nats"), help=f"log 2 = {math.log(2):.4f} nats for any θ ≠ 0")
c3.metric("W1(P, Q)", format_value(w1_pt, "units of x"), help="= |θ|")
st.markdown(
    r"""
KL is $\infty$ and JS is stuck at $\log2$ for every $\theta\ne0$ — neither changes as $Q$ moves, so
neither has a gradient to offer. $W_1=|\theta|$ shrinks steadily as $Q$ approaches $P$.
"""
)
try:
    st.page_link("pages/gan_objective.py", label="See the same example swept over θ in 'The GAN objective'",
                 icon=":material/arrow_back:")
except StreamlitPageNotFoundError:
    st.markdown("See the same example swept over θ in 'The GAN objective'.")

with st.expander("Where the source texts slip (and what is right)"):
    st.markdown(
        r"""
- $\|f\|_L\le1$ means the Lipschitz constant is **at most** 1, not exactly 1; and the supremum is over
  1-Lipschitz functions only, not "any real-valued function".
- Clipping the weights bounds the Lipschitz constant by some $K$ that depends on $c$ and the
  architecture; the critic then estimates $K\cdot W_1$, a scaled distance whose scale is unknown (it
  still gives useful *directions*).
- The gradient penalty is a soft constraint: it does not force $|f'|=1$, and the estimate can exceed
  $W_1$ (section 4).
- In the total variation distance the supremum is of $|P(A)-Q(A)|$ (one text drops a bracket), and
  the JS divergence is $\tfrac12 D_{KL}(P\|M)+\tfrac12 D_{KL}(Q\|M)$ with $M=\tfrac{P+Q}{2}$.
"""
    )

next_lesson(
    __file__,
    [
        "W1 is the cost of the cheapest transport plan; in 1-D that plan matches quantiles and W1 is the area "
        "between the CDFs.",
        "For point clouds the plan is an assignment (Hungarian algorithm); W1 keeps growing smoothly with distance.",
        "The dual needs a 1-Lipschitz critic: clipping gives an unknown scale and under-used capacity, a gradient "
        "penalty gives slopes near 1 and an estimate near W1.",
    ],
)
critic1d.preload_torch()  # last: the page is drawn, the first Train click need not wait for torch
