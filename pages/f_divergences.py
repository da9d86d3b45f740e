"""Lesson: the f-divergence family, convex conjugates, and f-GAN's variational lower bound trained live."""
import math

import pandas as pd
import streamlit as st

from gan_core.lessons import critic1d, fgan, toy1d
from gan_core.lessons import viz_lessons as vl
from gan_core.lessons.divergences import F_DIVERGENCES
from pages.ui.background import training_panel
from pages.ui.chrome import next_lesson, page_header, show_error
from pages.ui.figures import figure, plot
from pages.ui.widgets import format_value, metric, toy_controls

page_header(
    "f-divergences and f-GAN: one recipe, many divergences",
    "You will see seven divergences written as one formula, build each one's convex conjugate from tangent "
    "lines, and train a small network whose score climbs to the exact divergence from below.",
)

NAMES = list(F_DIVERGENCES)
LABELS = {key: entry.label for key, entry in F_DIVERGENCES.items()}

# --------------------------------------------------------------------- 1. the family
st.header("1. One formula, a family of divergences")
st.markdown(
    r"""
Pick a convex function $f$ with $f(1)=0$ and measure how far $P$ is from $Q$ by averaging $f$ of
the density ratio under $Q$:
"""
)
st.latex(r"D_f(P\,\|\,Q)=\int q(x)\,f\!\left(\frac{p(x)}{q(x)}\right)dx")
st.markdown(
    r"""
Where $P=Q$ the ratio is 1 everywhere and $D_f=f(1)$. Since $f$ is convex, Jensen's inequality gives
$D_f=\mathbb{E}_Q\big[f(p/q)\big]\ge f\big(\mathbb{E}_Q[p/q]\big)=f(1)$: every row with $f(1)=0$ is
$\ge0$, and the GAN row, whose $f(1)=-\log4$, is $\ge-\log4$ and negative (see below).
Each choice of $f$ gives a known divergence. The table follows the f-GAN paper (Nowozin et al.,
2016); logarithms are natural, so the rows with a logarithm (KL, reverse KL, JS, GAN) are in nats,
while Pearson $\chi^2$, squared Hellinger and total variation have no logarithm and no unit.
"""
)
st.markdown(fgan.table_markdown())
st.caption(
    "Two rows need care. With the f-GAN paper's f, the Jensen–Shannon row equals 2·JSD (the paper's table "
    "prints a factor ½ in front of the integral, which does not match its own f and f*). The GAN row's f has "
    "f(1) = −log 4, not 0, so its 'divergence' is 2·JSD − log 4 ∈ [−log 4, 0]: the value of the original GAN "
    "game at the optimal discriminator, from the lesson 'The GAN objective'."
)

# --------------------------------------------------------------- 2. conjugates
st.header("2. The convex conjugate, built from tangent lines")
st.markdown(
    r"""
The **convex conjugate** (Legendre–Fenchel transform) of $f$ is
$f^*(t)=\sup_{u}\,\{\,u\,t-f(u)\,\}$. Picture it with lines: among all lines of slope $t$ lying below
$f$, take the highest one; it touches $f$ at the point $u_0$ where $f'(u_0)=t$, and it crosses the
vertical axis at $-f^*(t)$. So $f^*(t)=u_0\,t-f(u_0)$, and for every $u$ and $t$
"""
)
st.latex(r"f(u)\;\ge\;u\,t-f^*(t)\qquad\text{with equality when } t=f'(u).")
name = st.selectbox("Divergence", NAMES, index=NAMES.index("kl"), format_func=LABELS.get, key="fdiv_name",
                    bind="query-params")
entry = F_DIVERGENCES[name]
u0 = st.slider("Touching point u₀ (a density ratio p/q)", 0.05, 4.0, 2.0, 0.05, key="fdiv_u0", bind="query-params")
tangent = fgan.tangent(name, u0)
shape = fgan.curves(name, tangent.t0)
plot(figure(vl.legendre_figure, shape["u"], shape["f"], shape["t"], shape["conjugate"], tangent, entry.label), key="legendre")
c1, c2, c3 = st.columns(3)
c1.metric("Slope t₀ = f′(u₀)", format_value(tangent.t0, entry.unit))
c2.metric("f*(t₀) = u₀t₀ − f(u₀)", format_value(tangent.conjugate_t0, entry.unit))
c3.metric("Tangent's intercept at u = 0", format_value(tangent.intercept, entry.unit),
          help="Always equal to −f*(t₀): the conjugate is read off where the tangent meets the axis.")
st.markdown(
    rf"""
**What to look at.** Move $u_0$: the tangent (dashed) slides along $f$ and its intercept (green diamond,
left) is always $-f^*(t_0)$, the diamond on the right. For this divergence,
$f^*(t)={entry.conjugate_latex}$ on ${entry.domain_latex}$ — outside that range no line of slope $t$
stays below $f$ and $f^*=+\infty$. That range matters for f-GAN: the network's raw output $v$ must be
mapped into it, by the output activation $g_f(v)={entry.activation_latex}$.
"""
)
if name == "tv":
    st.caption("Total variation's f has a kink at u = 1; there the slope is taken as 0 (any value in [−½, ½] works).")

# -------------------------------------------------------------- 3. the bound, live
st.header("3. The variational lower bound, trained live")
st.markdown(
    r"""
Apply the inequality with $u=p(x)/q(x)$ and any number $t=T(x)$, multiply by $q(x)$ and integrate:
"""
)
st.latex(
    r"D_f(P\,\|\,Q)\;\ge\;\int q\left(\frac{p}{q}\,T-f^*(T)\right)dx"
    r"=\mathbb{E}_{x\sim P}\big[T(x)\big]-\mathbb{E}_{x\sim Q}\big[f^*(T(x))\big]"
)
st.markdown(
    r"""
The right side needs only *samples* of $P$ and $Q$ — no densities — so a network $T$ can maximise it,
and the best $T$, $T^*(x)=f'\!\big(p(x)/q(x)\big)$, makes it an equality. That is the f-GAN
discriminator: a network trained to climb this bound, and the generator then lowers the climbed
value. Set two densities and press **Train**: a network with two hidden layers of 32 units is trained
full-batch on a grid of 1001 points, and both the bound and the exact $D_f$ are computed from the same
grid masses, so the bound can never pass the exact value. Where the densities themselves make $D_f$
infinite (a support not covered, or tails too thin), the exact value reads ∞, decided from the densities
rather than from the grid's finite sum.
"""
)
GRID = toy1d.Grid(-10.0, 10.0, 1001)
col_p, col_q = st.columns(2)
with col_p:
    p_toy = toy_controls("P", "fp", toy1d.Toy1D("gaussian", -1.0, 1.0))
with col_q:
    q_toy = toy_controls("Q", "fq", toy1d.Toy1D("gaussian", 1.0, 1.5))
try:
    p_d, q_d = toy1d.discretise(p_toy, GRID), toy1d.discretise(q_toy, GRID)
except ValueError as exc:
    show_error(f"These settings do not give a valid density on the grid [−10, 10]: {exc}.")
    st.stop()

def divergence_table(p_toy, q_toy, p_d, q_d) -> None:
    """All seven D_f for the pair, infinite where the densities make them so, with independent checks."""
    table = toy1d.divergence_table(p_d, q_d, unit="nats")
    independent = {"kl": table.kl_pq, "reverse_kl": table.kl_qp, "js": 2 * table.js,
                   "gan": 2 * table.js - math.log(4), "tv": table.tv}
    rows = []
    for key, row_entry in F_DIVERGENCES.items():
        row = fgan.exact_divergence(p_toy, q_toy, key, GRID)
        check = independent.get(key)
        rows.append({
            "divergence": row_entry.label,
            "D_f": format_value(row.value, "", row.reason or ""),
            "unit": row_entry.unit or "none (no logarithm)",
            "independent check": "—" if check is None else format_value(check, ""),
        })
    with st.expander("All seven divergences for this pair (with an independent check where one exists)"):
        st.table(pd.DataFrame(rows), hide_index=True)
        st.caption("Checks: KL both ways, JS and total variation from the information-theory lesson's own code "
                   "(2·JSD, 2·JSD − log 4). ∞ is decided from the densities' supports and tails, not from the "
                   "sum over the grid, which stops at ±10.")


exact = fgan.exact_divergence(p_toy, q_toy, name, GRID)
plot(figure(vl.densities_figure, GRID.x, p_d.density, q_d.density, "P and Q on the training grid"), key="fgan_densities")
divergence_table(p_toy, q_toy, p_d, q_d)


def exact_metric(column, label: str) -> None:
    metric(column, label, exact.value, entry.unit, exact.reason or "")
    if exact.reason and math.isfinite(exact.grid_sum):
        column.caption(f"The sum over the grid is finite ({format_value(exact.grid_sum, entry.unit)}): the grid "
                       "stops at ±10, the divergence does not.")


def idle() -> None:
    exact_metric(st, f"Exact D_f, {entry.label}")
    st.caption("Press Train to estimate it from below with a network.")


def show(trainer) -> None:
    bound = trainer.history.bounds[-1]
    c1, c2, c3 = st.columns(3)
    exact_metric(c1, "Exact D_f (grid)")
    c2.metric("Variational bound now", format_value(bound, entry.unit))
    if math.isfinite(exact.value) and math.isfinite(bound):
        c3.metric("Gap: exact − bound", format_value(exact.value - bound, entry.unit),
                  help="Never negative: the bound is a lower bound, computed from the same grid masses.")
    else:
        c3.metric("Gap: exact − bound", "∞" if not math.isfinite(exact.value) else "—")
    if trainer.done:  # figures are drawn once, at the end
        plot(vl.bound_training_figure(trainer.history.steps, trainer.history.bounds, exact.value, entry.unit),
             key="fgan_history")
        plot(vl.critic_vs_optimal_figure(GRID.x, trainer.critic(), fgan.optimal_critic(p_d.log_mass, q_d.log_mass, name),
                                         p_d.density, q_d.density, entry.unit), key="fgan_critic")


training_panel(
    "fgan", (name, p_toy, q_toy), button_label=f"Train T for {entry.label} ({fgan.FGAN_STEPS} steps)",
    changed_message="The settings changed since the last training run: press Train to train for these densities.",
    build=lambda: fgan.VariationalBoundTrainer(GRID.x, p_d.log_mass, q_d.log_mass, name, seed=0, exact=exact.value),
    show=show, idle=idle)
st.markdown(
    r"""
**What to look at.** The bound (vermillion) starts far below the exact value and climbs towards it,
never crossing. The learned critic $T$ matches the optimal $T^*=f'(p/q)$ where the densities have
mass and is free to wander where they have none (it does not affect either side there). Try the
same pair under different divergences: each $f$ weighs the mismatch between $P$ and $Q$ differently,
so the numbers — and the shapes of $T^*$ — differ. Reverse KL and KL can be infinite (a uniform that
does not cover the other's support); the bound then keeps rising without ever reaching the top.
Pearson $\chi^2$ is infinite also between two Gaussians, once $Q$ is far thinner than $P$: the integrand
$p^2/q$ grows like $e^{x^2(1/(2\sigma_Q^2)-1/\sigma_P^2)}$, which is not integrable when
$\sigma_Q^2\le\sigma_P^2/2$ (try $\sigma_P=1$, $\sigma_Q=0.7$).
"""
)

with st.expander("Where the source texts slip (and what is right)"):
    st.markdown(
        r"""
- In the derivation of the bound the ratio is $p(x)/q(x)$; one text writes $p(x)/d(x)$.
- The subtracted term is $f^*(T(x))$, the **conjugate** evaluated at the critic; one text writes
  $f(D(x))$.
- Replacing the pointwise supremum by a single function $T$ gives an **inequality**
  $D_f\ge\mathbb{E}_P[T]-\mathbb{E}_Q[f^*(T)]$; it becomes an (approximate) equality only after
  maximising over a rich enough family of $T$. The sup is over $t$ in the domain of $f^*$, which is why
  the output activations exist.
- "$(f^*)^*=f$" holds for convex, lower semi-continuous $f$ — true for every row of the table.
- The KL divergence is $\int p\log\frac{p}{q}$; one text's formula drops the logarithm.
"""
    )

next_lesson(
    __file__,
    [
        "KL, reverse KL, χ², Hellinger, JS, the GAN value and total variation are all D_f = E_Q[f(p/q)] for some convex f.",
        "The conjugate f*(t) is minus the intercept of f's tangent of slope t; f(u) ≥ ut − f*(t) gives the bound.",
        "A network T trained on E_P[T] − E_Q[f*(T)] approaches D_f from below; f-GAN's discriminator is that network.",
    ],
)
critic1d.preload_torch()  # last: the page is drawn, the first Train click need not wait for torch
