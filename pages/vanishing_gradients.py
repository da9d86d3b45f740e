"""Lesson: why the original generator loss stops teaching, and what the non-saturating loss changes."""
import math

import numpy as np
import streamlit as st

from gan_core.lessons import gradients1d as g1
from gan_core.lessons import viz_lessons as vl
from pages.ui.chrome import next_lesson, page_header, show_error
from pages.ui.figures import figure, plot
from pages.ui.widgets import format_value

page_header(
    "Vanishing gradients: when a confident discriminator stops teaching",
    "You will compare the generator's two possible losses, pull a generator away from the data and watch the "
    "optimal discriminator saturate, and see one loss's gradient vanish while the other's does not.",
)

# ------------------------------------------------------------------ 1. the two losses
st.header("1. Two losses for the same goal")
st.markdown(
    r"""
The discriminator ends in a sigmoid: it computes a score (a *logit*) $a$ and reports
$D=\sigma(a)=1/(1+e^{-a})$, its probability that the input is real. The minimax game asks the
generator to **minimise** the *saturating* loss; Goodfellow et al. suggest instead minimising the
*non-saturating* loss. Both are smallest when the discriminator is fooled ($D(G(z))\to1$):
"""
)
st.latex(
    r"L_{\text{sat}} = \log\big(1-D(G(z))\big) \qquad\qquad L_{\text{ns}} = -\log D(G(z))"
)
st.markdown(
    r"""
What the generator learns from is not the loss but its **gradient**, and that gradient reaches the
generator *through the sigmoid*, i.e. through the logit $a$. With $\frac{dD}{da}=D(1-D)$:
"""
)
st.latex(
    r"\frac{\partial L_{\text{sat}}}{\partial a} = -\frac{1}{1-D}\cdot D(1-D) = -D"
    r"\qquad\qquad"
    r"\frac{\partial L_{\text{ns}}}{\partial a} = -\frac{1}{D}\cdot D(1-D) = -(1-D)"
)
wrt = st.radio(
    "Plot the gradient with respect to",
    ["the logit a", "D itself"],
    help="The logit is what backpropagation passes through on its way to the generator.",
    horizontal=True, key="grad_wrt", bind="query-params",
)
d_grid = np.linspace(0.002, 0.998, 499)
if wrt.startswith("the logit"):
    grad_sat, grad_ns = g1.loss_gradient_wrt_logit(d_grid, "saturating"), g1.loss_gradient_wrt_logit(d_grid, "non_saturating")
else:
    grad_sat, grad_ns = g1.loss_gradient_wrt_d(d_grid, "saturating"), g1.loss_gradient_wrt_d(d_grid, "non_saturating")
plot(figure(vl.generator_losses_figure, d_grid, g1.generator_loss(d_grid, "saturating"),
                                g1.generator_loss(d_grid, "non_saturating"), grad_sat, grad_ns, wrt),
     key="losses")
d_value = st.slider("Read off the numbers at D(G(z)) =", 0.001, 0.999, 0.01, 0.001, format="%.3f",
                    key="d_value", bind="query-params")
c1, c2, c3, c4 = st.columns(4)
c1.metric("log(1 − D)", format_value(float(g1.generator_loss(d_value, "saturating")), "nats"))
c2.metric("−log D", format_value(float(g1.generator_loss(d_value, "non_saturating")), "nats"))
c3.metric("∂ log(1 − D) / ∂a (nats per unit logit)", format_value(float(g1.loss_gradient_wrt_logit(d_value, "saturating"))))
c4.metric("∂(−log D) / ∂a (nats per unit logit)", format_value(float(g1.loss_gradient_wrt_logit(d_value, "non_saturating"))))
st.markdown(
    r"""
**What to look at.** Early in training the discriminator easily rejects fakes, so $D(G(z))$ sits
near 0 (the grey band). There the saturating loss is flat: its gradient with respect to the logit
is $-D\approx0$, so almost nothing flows back to the generator. The non-saturating loss has
gradient $-(1-D)\approx-1$ there — full strength exactly when the generator is worst. Switch the
plot to "D itself" and both gradients look large near $D=0$ ($-1$ and $-1/D$): the vanishing happens
in the sigmoid, which is why one of the source texts' explanation ("$\log x$ is steeper than
$\log(1-x)$ near 0") is only half the story — the factor $D(1-D)$ from the sigmoid is what kills
the saturating loss's gradient.
"""
)

# --------------------------------------------------------------------- 2. the toy
st.header("2. Pull the generator away from the data")
st.markdown(
    r"""
Data $p=\mathcal N(0,\sigma_{data}^2)$, generator $q=\mathcal N(\theta,\sigma_g^2)$. For these the optimal
discriminator is exactly a sigmoid, $D^*(x)=\sigma\big(a^*(x)\big)$ with logit
$a^*(x)=\log p(x)-\log q(x)$. Holding $D^*$ fixed and shifting the generator, the gradient the
generator receives is
"""
)
st.latex(
    r"\frac{\partial L}{\partial\theta}=\mathbb{E}_{x\sim q}\!\left[\frac{\partial L}{\partial a}\big(a^*(x)\big)\,"
    r"\frac{d a^*}{dx}(x)\right]"
)
col1, col2, col3 = st.columns(3)
theta = col1.slider("θ, the generator's mean", -8.0, 8.0, 3.0, 0.1, key="vg_theta", bind="query-params")
data_scale = col2.slider("σ_data", 0.2, 3.0, 1.0, 0.05, key="vg_data_scale", bind="query-params")
gen_scale = col3.slider("σ_g, the generator's spread", 0.2, 3.0, 1.0, 0.05, key="vg_gen_scale", bind="query-params")
try:
    pair = g1.GaussianPair(theta, 0.0, data_scale, gen_scale)
except ValueError as exc:
    show_error(f"These settings do not give a valid pair of densities: {exc}.")
    st.stop()

x_fine = g1.GRID_X
x_plot = np.linspace(-14.0, 14.0, 1401)
lp, lq = g1.log_p(pair, x_plot), g1.log_q(pair, x_plot)
d_star = np.exp(-np.logaddexp(0.0, -(lp - lq)))
plot(figure(vl.saturation_figure, x_plot, np.exp(lp), np.exp(lq), d_star,
                          g1.gradient_density(pair, "saturating", x_plot),
                          g1.gradient_density(pair, "non_saturating", x_plot)), key="saturation")
grad_sat = g1.generator_gradient(pair, "saturating", x_fine)
grad_ns = g1.generator_gradient(pair, "non_saturating", x_fine)
mean_d = g1.expected_fake_score(pair, x_fine)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Average D*(x) on fakes (probability)", format_value(mean_d),
          help="E over the generator's samples of D*(x): how 'real' the best discriminator finds them.")
c2.metric("dL_sat/dθ (nats per unit θ)", format_value(grad_sat))
c3.metric("dL_ns/dθ (nats per unit θ)", format_value(grad_ns))
if abs(grad_sat) > 0 and math.isfinite(grad_ns / grad_sat):
    c4.metric("Non-saturating ÷ saturating", format_value(abs(grad_ns / grad_sat), "×"))
else:
    c4.metric("Non-saturating ÷ saturating", "— (both gradients are 0)")


@st.cache_data(show_spinner=False)
def sweep(data_scale: float, gen_scale: float):
    thetas = np.linspace(-8.0, 8.0, 161)
    sat, ns = g1.gradient_sweep(thetas, 0.0, data_scale, gen_scale)
    return thetas, sat, ns


thetas, sweep_sat, sweep_ns = sweep(data_scale, gen_scale)
plot(figure(vl.gradient_sweep_figure, thetas, sweep_sat, sweep_ns, theta), key="sweep")
far = np.argmin(np.abs(thetas - 6.0))
st.markdown(
    rf"""
**What to look at.** Drag $\theta$ away from 0. In the top plot the discriminator's curve $D^*$ drops
to 0 over the generator's samples — it is confident they are fake and its sigmoid saturates.
The lower plot shows where each loss's gradient comes from: the non-saturating area (blue) stays
large, the saturating area (vermillion) shrinks to nothing. On the log-scale sweep the saturating
gradient falls off like a Gaussian tail (for equal unit spreads it is $\theta\,\mathbb{{E}}_q[D^*]$, and
$\mathbb{{E}}_q[D^*]$ shrinks roughly like $e^{{-\theta^2/8}}$), while the non-saturating one grows like
$\theta$: at $\theta=6$ the saturating gradient is
{format_value(abs(float(sweep_sat[far])), "")} against {format_value(abs(float(sweep_ns[far])), "")} for the
non-saturating loss, in nats per unit θ. The saturating loss teaches least exactly when the
generator is furthest from the data. (At $\theta=0$ with equal spreads $D^*=\tfrac12$ everywhere
and both gradients are 0: there is nothing left to learn.)
"""
)
st.info(
    "Both losses have the same fixed point (the generator matching the data); they differ only in how "
    "strongly they push when the generator is bad. That is why practical GANs use the non-saturating loss.",
    icon=":material/lightbulb:",
)
slope_js2, slope_ns = g1.divergence_slopes(pair)


def resolved(value: float) -> str:
    """Finite differences of JSD near its ceiling resolve slopes down to about 1e-10, not below."""
    return "below 10⁻¹⁰" if abs(value) < 1e-10 else format_value(value)


st.markdown(
    rf"""
**Which divergence each gradient follows.** With $D^*$ held fixed at the current $\theta$ (as in the
metrics above), the saturating loss's gradient is the slope of $2\,JSD(P,Q)$ — the game's value is
$-\log4+2\,JSD$ — and the non-saturating loss's is the slope of $KL(Q\|P)-2\,JSD(P,Q)$ (Arjovsky &
Bottou, 2017, [*Towards Principled Methods for Training Generative Adversarial Networks*](https://arxiv.org/abs/1701.04862),
arXiv:1701.04862, Theorem 2.5). Checked here from the divergences alone, by finite differences in $\theta$:
$d(2\,JSD)/d\theta$ = {resolved(slope_js2)} against $dL_{{sat}}/d\theta$ = {resolved(grad_sat)}, and
$d(KL(Q\|P)-2\,JSD)/d\theta$ = {resolved(slope_ns)} against $dL_{{ns}}/d\theta$ = {resolved(grad_ns)}
(nats per unit θ). JS flattens once the densities barely overlap, so the saturating gradient goes with it;
$KL(Q\|P)$ keeps growing (like $\theta^2/(2\sigma_{{data}}^2)$ for a shift), so the non-saturating one does
not. The price, as Arjovsky & Bottou note: that KL is the reverse, mode-seeking one of the first lesson,
cheap on dropped modes, and the $-2\,JSD$ term pushes the two distributions *apart*.
"""
)

# --------------------------------------------------------- 3. contrast maximisation
st.header("3. Contrast maximisation: an approximation that only holds for a good discriminator")
st.markdown(
    r"""
When the discriminator is already good, $D\approx1$ on real data and $D\approx0$ on fakes. Replace
each logarithm by its tangent line at that point — $\log D\approx D-1$ (tangent at $D=1$) and
$\log(1-D)\approx-D$ (tangent at $D=0$) — and the game's value becomes a plain difference of average
scores, the "contrast" between real and fake:
"""
)
st.latex(
    r"V(G,D)=\mathbb{E}_{p}[\log D]+\mathbb{E}_{q}[\log(1-D)]\;\approx\;"
    r"\mathbb{E}_{p}[D]-\mathbb{E}_{q}[D]-1"
)
st.markdown(
    r"""
Because $\log y\le y-1$ for every $y>0$, each tangent lies **above** its curve: the approximation
always overestimates $V$, and the error is small only near the touching points. The right plot
uses the optimal discriminator of section 2 at every $\theta$ (same spreads).
"""
)


@st.cache_data(show_spinner=False)
def contrast(data_scale: float, gen_scale: float):
    thetas = np.linspace(-8.0, 8.0, 161)
    result = g1.contrast_sweep(thetas, 0.0, data_scale, gen_scale)
    return thetas, result.exact, result.approx


c_thetas, c_exact, c_approx = contrast(data_scale, gen_scale)
parts = g1.contrast_approximation(d_grid)
plot(figure(vl.contrast_figure, d_grid, parts, c_thetas, c_exact, c_approx), key="contrast")
v_exact, v_approx = g1.contrast_value(pair, x_fine)
c1, c2, c3 = st.columns(3)
c1.metric("V(G, D*) at this θ", format_value(v_exact, "nats"))
c2.metric("E_p D* − E_q D* − 1", format_value(v_approx, "nats"))
c3.metric("Approximation error", format_value(v_approx - v_exact, "nats"))
st.markdown(
    rf"""
**What to look at.** At $\theta=0$ (same spreads) the discriminator is useless ($D^*=\tfrac12$) and the
approximation is off by $\log4-1\approx{math.log(4) - 1:.3f}$ nats; as the generator moves away the
discriminator becomes confident and the error shrinks towards 0. The Wasserstein GAN keeps the
contrast $\mathbb{{E}}_p[D]-\mathbb{{E}}_q[D]$ as its objective *exactly*, drops the sigmoid, and instead
limits how steep $D$ may be (lesson "Wasserstein distance").
"""
)

with st.expander("Where the source texts slip (and what is right)"):
    st.markdown(
        r"""
- The second expectation of the value function is $\mathbb{E}_{q}[\log(1-D)]$; one text writes
  $\mathbb{E}_{q}[1-\log D]$.
- The contrast approximation linearises $\log D$ around $D=1$ and $\log(1-D)$ around $D=0$ (i.e. $\log$
  around its argument 1) — not "at $\log(1)$" — and it is a one-sided approximation: it never
  underestimates $V$.
- "The gradient of $\log x$ is steeper near 0 than that of $\log(1-x)$" compares derivatives with
  respect to $D$. The generator's gradient passes through the sigmoid, and with respect to the logit
  the saturating loss's gradient is $-D$, which vanishes as $D\to0$ (section 1).
- The vanishing gradient is a property of the saturating loss through a saturated sigmoid, not of
  every sigmoid discriminator: with the non-saturating loss the same saturated $D$ passes back a
  gradient of nearly full size.
"""
    )

next_lesson(
    __file__,
    [
        "Through the sigmoid, log(1 − D)'s gradient is −D and −log D's is −(1 − D): only the second survives D → 0.",
        "Moving the generator away from the data saturates the optimal discriminator; the saturating loss's "
        "gradient then vanishes like a Gaussian tail while the non-saturating one grows like θ.",
        "Contrast maximisation, E_p D − E_q D, approximates the GAN value only for a confident discriminator; "
        "WGAN turns it into an exact objective.",
    ],
)
