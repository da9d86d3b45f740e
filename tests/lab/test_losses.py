"""Each GAN objective has the right value, sign and gradient direction on hand-made cases."""
import math

import pytest
import torch

from gan_core.lab.losses import LOSSES, clip_weights_, get_loss, gradient_penalty

LOG2 = math.log(2.0)


def _grads(fn, *values):
    ts = [torch.tensor([v], dtype=torch.float64, requires_grad=True) for v in values]
    out = fn(*ts)
    grads = torch.autograd.grad(out.sum(), ts)
    return out.item(), [g.item() for g in grads]


def test_hand_computed_values_at_the_origin():
    # D outputs 0: a logit of 0 is probability 1/2.
    assert LOSSES["minimax"].d_loss(torch.zeros(4), torch.zeros(4)).item() == pytest.approx(2 * LOG2)
    assert LOSSES["minimax"].g_loss(torch.zeros(4)).item() == pytest.approx(-LOG2)
    assert LOSSES["non-saturating"].g_loss(torch.zeros(4)).item() == pytest.approx(LOG2)
    assert LOSSES["lsgan"].d_loss(torch.ones(3), torch.zeros(3)).item() == 0.0
    assert LOSSES["lsgan"].g_loss(torch.zeros(3)).item() == pytest.approx(0.5)
    assert LOSSES["hinge"].d_loss(torch.ones(3), -torch.ones(3)).item() == 0.0
    assert LOSSES["hinge"].d_loss(torch.zeros(3), torch.zeros(3)).item() == pytest.approx(2.0)
    assert LOSSES["wgan-gp"].d_loss(torch.tensor([3.0, 1.0]), torch.tensor([0.5, 0.5])).item() == pytest.approx(-1.5)


@pytest.mark.parametrize("name", list(LOSSES))
def test_discriminator_loss_falls_when_real_scores_rise_and_fake_scores_fall(name):
    spec = LOSSES[name]
    # D(x) = 0.2, D(G(z)) = 0.3: every loss is active there (hinge margins unmet, LSGAN fake above its target 0).
    _, (d_real, d_fake) = _grads(spec.d_loss, 0.2, 0.3)
    assert d_real < 0, "raising D on real data must lower the D loss"
    assert d_fake > 0, "raising D on fakes must raise the D loss"


@pytest.mark.parametrize("name", list(LOSSES))
def test_generator_loss_falls_when_the_fakes_score_higher(name):
    _, (d_fake,) = _grads(LOSSES[name].g_loss, -0.3)
    assert d_fake < 0


def test_saturating_loss_has_vanishing_gradient_where_non_saturating_is_strong():
    # Fakes confidently rejected: logit -10, D(G(z)) = sigmoid(-10) ~ 4.5e-5.
    _, (g_sat,) = _grads(LOSSES["minimax"].g_loss, -10.0)
    _, (g_ns,) = _grads(LOSSES["non-saturating"].g_loss, -10.0)
    sig = 1 / (1 + math.exp(10))
    assert g_sat == pytest.approx(-sig)        # d/dt log(1 - s(t)) = -s(t)
    assert g_ns == pytest.approx(-(1 - sig))   # d/dt -log s(t) = -(1 - s(t))
    assert abs(g_ns) > 1e4 * abs(g_sat)


def test_bigan_generator_encoder_loss_opposes_the_discriminator():
    # G and E want D to score the real pair low and the fake pair high.
    for name in LOSSES:
        _, (d_real, d_fake) = _grads(LOSSES[name].ge_loss, 0.2, -0.1)
        assert d_real > 0 and d_fake < 0, name


def test_gradient_penalty_equals_its_formula_on_a_linear_critic():
    # D(x) = w . x + b has gradient w everywhere, so GP = (|w| - 1)^2 for any points.
    w = torch.tensor([3.0, -4.0])
    critic = lambda x: x @ w + 0.7
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g)
    eps = torch.rand(64, 1, generator=g)
    assert gradient_penalty(critic, real, fake, eps).item() == pytest.approx((5.0 - 1.0) ** 2)


def test_gradient_penalty_is_zero_for_a_unit_slope_critic_and_differentiable():
    w = torch.tensor([0.6, 0.8], requires_grad=True)
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    gp = gradient_penalty(lambda x: x @ w, real, fake, torch.rand(16, 1))
    assert gp.item() == pytest.approx(0.0, abs=1e-12)
    w2 = torch.tensor([1.2, 1.6], requires_grad=True)  # |w| = 2: GP = 1, dGP/dw = 2 (|w| - 1) w / |w|
    gp2 = gradient_penalty(lambda x: x @ w2, real, fake, torch.rand(16, 1))
    (grad,) = torch.autograd.grad(gp2, w2)
    torch.testing.assert_close(grad, torch.tensor([1.2, 1.6]))


def test_stacked_gradient_penalty_gives_one_value_per_model():
    ws = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    critic = lambda x: (x * ws[:, None, :]).sum(-1)
    gp = gradient_penalty(critic, torch.randn(2, 8, 2), torch.randn(2, 8, 2), torch.rand(2, 8, 1))
    torch.testing.assert_close(gp, torch.tensor([0.0, 4.0]))


def test_clipping_keeps_every_weight_within_c():
    params = [torch.randn(10, 10) * 5, torch.randn(10) * 5]
    clip_weights_(params, 0.01)
    assert all(p.abs().max().item() <= 0.01 for p in params)
    stacked = torch.randn(3, 50)
    clip_weights_([stacked], torch.tensor([[0.1], [0.2], [float("inf")]]))
    assert stacked[0].abs().max() <= 0.1 and stacked[1].abs().max() <= 0.2 and stacked[2].abs().max() > 0.2


def test_every_default_names_its_source():
    for name, spec in LOSSES.items():
        assert spec.sources, name
        d = spec.defaults
        assert {"optimizer", "lr_d", "lr_g", "betas", "n_critic", "clip", "gp_lambda"} <= set(d), name
    assert LOSSES["wgan-clip"].defaults["clip"] == 0.01
    assert LOSSES["wgan-gp"].defaults["gp_lambda"] == 10.0


def test_unknown_loss_lists_the_choices():
    with pytest.raises(ValueError, match="wgan-gp"):
        get_loss("wgan")
