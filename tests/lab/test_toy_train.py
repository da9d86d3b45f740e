"""The stepwise trainer: reproducible, lockstep = separate, NaN guard, helpers, CLI."""
import json

import numpy as np
import pytest
import torch

from gan_core.lab import engine, toy_train
from gan_core.lab.nets import StackedMLP
from gan_core.lab.config import ToyConfig, lab_defaults, preset
from gan_core.lab.trainer import LockstepTrainer, Trainer
from gan_core.lab.losses import LOSSES

TINY = dict(latent_dim=2, g_depth=2, g_width=16, d_depth=2, d_width=16, batch_size=32,
            snapshot_every=5, eval_samples=200)


def tiny(loss, **kw):
    return lab_defaults(loss, **{**TINY, **kw})


def test_same_seed_gives_identical_runs_and_another_seed_does_not():
    a, b, c = (Trainer(tiny("wgan-gp"), "ring8", seed=s, device="cpu") for s in (3, 3, 4))
    for t in (a, b, c):
        t.train(6)
    torch.testing.assert_close(a._engine.G.flat, b._engine.G.flat, rtol=0, atol=0)
    assert not torch.equal(a._engine.G.flat, c._engine.G.flat)
    assert a.history == b.history


def test_lockstep_runs_equal_separate_runs_with_the_same_seed():
    # Mixed losses, optimisers, critic steps, clipping, penalty, and one config with
    # another architecture (it lands in its own engine).
    configs = [tiny("minimax"), tiny("wgan-gp"), tiny("wgan-clip", n_critic=1), tiny("hinge", d_width=8)]
    lock = LockstepTrainer(configs, "ring8", seed=11, device="cpu")
    assert len(lock.engines) == 3  # minimax + wgan-clip (Adam and RMSprop in one stack), wgan-gp, hinge
    lock.train(4)
    lock.step(n_d=2, n_g=1)
    for i, cfg in enumerate(configs):
        solo = Trainer(cfg, "ring8", seed=11, device="cpu")
        solo.train(4)
        solo.step(n_d=2, n_g=1)
        member = lock[i]
        eng, k = member._engine, member._i
        # Bitwise equal on the development machine; a hair of tolerance for other CPUs.
        torch.testing.assert_close(eng.G.flat[k], solo._engine.G.flat[0], rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(eng.D.flat[k], solo._engine.D.flat[0], rtol=1e-6, atol=1e-7)
        assert member.step_count == solo.step_count == 5
        assert member.d_step_count == solo.d_step_count == 4 * cfg.n_critic + 2
        np.testing.assert_allclose(member.snapshot().samples, solo.snapshot().samples, rtol=1e-4, atol=1e-5)


def test_step_runs_exactly_the_requested_discriminator_and_generator_steps():
    tr = Trainer(tiny("wgan-gp"), "ring8", device="cpu")
    tr.step(n_d=3, n_g=0)
    assert (tr.d_step_count, tr.step_count) == (3, 0)
    tr.step(n_d=0, n_g=2)
    assert (tr.d_step_count, tr.step_count) == (3, 2)
    tr.step()  # one iteration: n_critic D steps + 1 G step
    assert (tr.d_step_count, tr.step_count) == (3 + tr.config.n_critic, 3)
    assert [h["step"] for h in tr.history] == [1, 2, 3]
    with pytest.raises(ValueError, match="non-negative"):
        tr.step(n_d=-1)


def test_snapshots_are_taken_every_k_generator_steps():
    tr = Trainer(tiny("non-saturating", snapshot_every=4), "grid25", device="cpu")
    tr.train(10)
    assert [s.step for s in tr.snapshots] == [0, 4, 8]
    snap = tr.snapshot()
    assert snap.step == 10 and snap.samples.shape == (200, 2) and snap.samples.dtype == np.float32
    assert set(snap.metrics) >= {"modes_captured", "high_quality", "reverse_kl", "w1"}
    assert tr.snapshot() is snap  # no duplicate at the same step


def test_nan_guard_stops_the_run_and_reports_step_and_loss():
    tr = Trainer(tiny("wgan-clip", optimizer="sgd", lr_d=1e12, lr_g=1e12, clip=None), "ring8", device="cpu")
    done = tr.train(50)
    div = tr.diverged
    assert div is not None and done < 50
    assert div.loss in ("d_loss", "g_loss")
    assert not np.isfinite(div.value) or abs(div.value) > engine.DIVERGENCE_LIMIT
    assert str(div.step) in div.message()
    steps = tr.step_count
    tr.train(5)
    assert tr.step_count == steps  # a diverged run does not move


def test_clipping_keeps_every_critic_weight_within_c_during_training():
    tr = Trainer(tiny("wgan-clip", clip=0.02, lr_d=0.05), "ring8", device="cpu")
    tr.train(5)
    assert tr._engine.D.flat.abs().max().item() <= 0.02 + 1e-12


def test_one_member_diverging_does_not_stop_the_others():
    configs = [tiny("hinge"), tiny("hinge", optimizer="sgd", lr_d=1e12, lr_g=1e12)]
    lock = LockstepTrainer(configs, "ring8", device="cpu")
    lock.train(10)
    assert lock[1].diverged is not None and lock[0].diverged is None
    assert lock[0].step_count == 10


def test_stacked_adam_matches_torch_adam():
    torch.manual_seed(0)
    net = StackedMLP(1, 2, 1, 2, 8, seeds=[5])
    ref = net.to_sequential(0)
    opt_ref = torch.optim.Adam(ref.parameters(), lr=1e-2, betas=(0.5, 0.9))
    opt = engine._StackedOptimizer(net.flat.data, ["adam"], [1e-2], [(0.5, 0.9)])
    x = torch.randn(64, 2)
    for _ in range(5):
        (g,) = torch.autograd.grad((net(x) ** 2).mean(), net.flat)
        opt.step(g, torch.ones(1, 1))
        opt_ref.zero_grad()
        (ref(x) ** 2).mean().backward()
        opt_ref.step()
    np.testing.assert_allclose(net.to_sequential(0)(x).detach(), ref(x).detach(), rtol=1e-5, atol=1e-6)


def test_stacked_rmsprop_matches_torch_rmsprop():
    net = StackedMLP(1, 2, 1, 1, 8, seeds=[6])
    ref = net.to_sequential(0)
    opt_ref = torch.optim.RMSprop(ref.parameters(), lr=1e-2)
    opt = engine._StackedOptimizer(net.flat.data, ["rmsprop"], [1e-2], [(0.0, 0.99)])
    x = torch.randn(32, 2)
    for _ in range(5):
        (g,) = torch.autograd.grad(net(x).mean(), net.flat)
        opt.step(g, torch.ones(1, 1))
        opt_ref.zero_grad()
        ref(x).mean().backward()
        opt_ref.step()
    np.testing.assert_allclose(net.to_sequential(0)(x).detach(), ref(x).detach(), rtol=1e-5, atol=1e-6)


def test_generator_gradient_is_the_critic_gradient_for_wasserstein_losses():
    tr = Trainer(tiny("wgan-gp"), "ring8", device="cpu")
    tr.train(3)
    pts, vec = tr.generator_gradients(n=20)
    critic = tr._engine.D.to_sequential(0)
    x = torch.tensor(pts, requires_grad=True)
    (g,) = torch.autograd.grad(critic(x).sum(), x)  # G loss -D(x): descent direction +grad D
    np.testing.assert_allclose(vec, g.numpy(), rtol=1e-4, atol=1e-6)


def test_critic_grid_matches_the_critic_and_latent_grid_matches_the_generator():
    tr = Trainer(tiny("minimax"), "ring8", device="cpu")
    xs, ys, vals = tr.critic_grid(n=7, extent=(-1, 1, -2, 2))
    assert vals.shape == (7, 7)
    d = tr._engine.D.to_sequential(0)
    assert vals[6, 0] == pytest.approx(d(torch.tensor([[-1.0, 2.0]])).item(), rel=1e-5)
    grid, img = tr.latent_grid(n=5, span=2.0)
    assert grid.shape == img.shape == (25, 2)
    g = tr._engine.G.to_sequential(0)
    np.testing.assert_allclose(img, g(torch.tensor(grid)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_bigan_trains_and_encodes_points_to_latents():
    tr = Trainer(tiny("wgan-gp", bigan=True, latent_dim=3), "ring8", device="cpu")
    tr.train(3)
    z = tr.encode(np.zeros((4, 2)))
    assert z.shape == (4, 3) and np.isfinite(z).all()
    assert tr.critic_grid(n=4)[2].shape == (4, 4)
    with pytest.raises(ValueError, match="encoder"):
        Trainer(tiny("wgan-gp"), "ring8", device="cpu").encode(np.zeros((1, 2)))


def test_bad_settings_give_sentences():
    with pytest.raises(ValueError, match="choose one of"):
        lab_defaults("wasserstein")
    with pytest.raises(ValueError, match="lr_d"):
        tiny("hinge", lr_d=-1.0)
    with pytest.raises(ValueError, match="1 to 4"):
        LockstepTrainer([tiny("hinge")] * 5)
    with pytest.raises(ValueError, match="device"):
        engine.resolve_device("tpu")


def test_auto_device_is_cuda_only_when_available():
    assert engine.resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_lab_defaults_start_from_the_paper_and_the_collapse_preset_is_the_unrolled_gan_setup():
    cfg = lab_defaults("wgan-clip")
    assert (cfg.optimizer, cfg.clip, cfg.n_critic) == ("rmsprop", 0.01, 5)
    pc, dataset, iters = preset("collapse")
    assert (pc.loss, pc.latent_dim, pc.g_depth, pc.g_width, pc.d_depth, pc.batch_size) == ("minimax", 256, 2, 128, 1, 512)
    assert (pc.lr_g, pc.lr_d, dataset, iters) == (1e-3, 1e-4, "ring8", 5000)


def test_cli_writes_json_and_2500_float32_samples(tmp_path, capsys):
    out, smp = tmp_path / "o.json", tmp_path / "s.npy"
    rc = toy_train.main(["--dataset", "grid25", "--loss", "lsgan", "--iters", "3", "--seed", "1",
                         "--device", "cpu", "--g-width", "16", "--d-width", "16",
                         "--json", str(out), "--samples", str(smp)])
    assert rc == 0
    res = json.loads(out.read_text())
    assert res["iters_done"] == 3 and res["device"] == "cpu" and res["config"]["loss"] == "lsgan"
    assert {"wall_s", "iters_per_s", "metrics"} <= set(res)
    arr = np.load(smp)
    assert arr.shape == (2500, 2) and arr.dtype == np.float32
    assert "modes captured" in capsys.readouterr().out


def test_cli_overrides_reach_the_config(tmp_path):
    # Every "override the lab default" flag must land in the trained configuration.
    out = tmp_path / "o.json"
    rc = toy_train.main(["--iters", "1", "--device", "cpu", "--latent-dist", "uniform", "--latent-dim", "3",
                         "--g-width", "8", "--d-width", "8", "--n-critic", "2", "--beta1", "0.1",
                         "--json", str(out)])
    assert rc == 0
    cfg = json.loads(out.read_text())["config"]
    assert cfg["latent_dist"] == "uniform" and cfg["latent_dim"] == 3 and cfg["n_critic"] == 2
    assert cfg["g_width"] == 8 and cfg["betas"][0] == 0.1


def test_cli_reports_bad_input_without_a_traceback(capsys):
    assert toy_train.main(["--dataset", "ring9", "--iters", "1"]) == 2
    assert "unknown dataset" in capsys.readouterr().err


def test_learning_rates_decay_linearly_to_the_final_fraction_then_stay():
    tr = Trainer(tiny("hinge", lr_final_frac=0.1, iters=10), "ring8", device="cpu")
    eng = tr._engine
    tr.train(5)
    assert eng.lr_scales() == [pytest.approx(1 - 0.9 * 0.5)]
    tr.train(10)
    tr.step()  # the schedule is applied at the start of each step
    assert eng.lr_scales() == [pytest.approx(0.1)]
    assert eng.opt_g.lr.item() == pytest.approx(0.1 * tr.config.lr_g)


def test_lab_defaults_follow_the_dataset():
    # ring8: wgan-gp is shorter, to fit the time budget; grid25: wider networks and longer runs
    # for every loss (documented in config._DATASET_DEFAULTS); other data: the shared defaults.
    assert lab_defaults("wgan-gp", "ring8").iters == 1500
    assert lab_defaults("wgan-gp").iters == lab_defaults("wgan-gp", "moons").iters == 3000
    for name in LOSSES:
        grid = lab_defaults(name, "grid25")
        assert (grid.g_width, grid.d_width, grid.iters) == (128, 128, 6000)
        assert lab_defaults(name, "spiral").g_width == 64
    # An explicit override still wins over the dataset's default.
    assert lab_defaults("hinge", "grid25", g_width=32).g_width == 32


def test_masked_members_of_one_stack_match_their_solo_runs():
    # n_critic 1 and 3 in one engine: at D sub-steps 1-2 the first model is masked out.
    from gan_core.lab.toy2d import ring8
    configs = [tiny("hinge"), tiny("hinge", n_critic=3, lr_d=5e-4)]
    eng = engine._Engine(configs, ring8(), [2, 2], torch.device("cpu"))
    for _ in range(4):
        eng.step()
    for k, cfg in enumerate(configs):
        solo = Trainer(cfg, "ring8", seed=2, device="cpu")
        solo.train(4)
        torch.testing.assert_close(eng.D.flat[k], solo._engine.D.flat[0], rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(eng.G.flat[k], solo._engine.G.flat[0], rtol=1e-6, atol=1e-7)
        assert eng.d_steps[k] == 4 * cfg.n_critic


def test_uniform_prior_draws_on_the_square_with_the_right_moments():
    import torch

    from gan_core.lab.config import draw_latent, latent_span

    z = draw_latent(200_000, 3, "uniform", torch.Generator().manual_seed(0)).numpy()
    assert z.min() >= -1 and z.max() <= 1
    # Uniform on [-1, 1]: mean 0, variance (b - a)^2 / 12 = 1/3.
    assert abs(z.mean()) < 0.01 and abs(z.var() - 1 / 3) < 0.01
    g = draw_latent(200_000, 1, "gaussian", torch.Generator().manual_seed(0)).numpy()
    assert abs(g.var() - 1) < 0.02
    assert latent_span("uniform") == 1.0 and latent_span("gaussian") == 3.0


def test_a_uniform_prior_trains_and_its_manifold_grid_covers_the_square():
    cfg = ToyConfig(loss="wgan-gp", gp_lambda=0.1, latent_dim=2, latent_dist="uniform", g_width=16, d_width=16,
                    batch_size=32, snapshot_every=0, eval_samples=200)
    t = Trainer(cfg, "ring8", seed=0, device="cpu")
    t.train(5)
    assert np.isfinite(t.sample(50)).all()
    z, x = t.latent_grid(5)
    assert z.min() == -1.0 and z.max() == 1.0 and np.isfinite(x).all()
    with pytest.raises(ValueError, match="latent distribution"):
        ToyConfig(latent_dist="cauchy").validate()
