"""BiGAN: the encoder's codes, the reconstruction measure, and an encoder that learns."""
import numpy as np
import pytest
import torch

from gan_core.lab import bigan
from gan_core.lab.bigan import reconstruction
from gan_core.lab.config import lab_defaults
from gan_core.lab.trainer import LockstepTrainer, Trainer

TINY = dict(latent_dim=2, g_depth=2, g_width=16, d_depth=2, d_width=16, e_depth=2, e_width=16,
            batch_size=32, snapshot_every=0, eval_samples=200)


def tiny(loss="non-saturating", **kw):
    return lab_defaults(loss, "ring8", **{**TINY, "bigan": True, **kw})


def test_gaussian_code_is_mean_plus_sigma_times_noise_and_the_mean_without_noise():
    net = lambda x, flat=None: x  # noqa: E731  "network" output = input: mu = x[..., :1], log sigma = x[..., 1:]
    x = torch.tensor([[[0.5, float(np.log(2.0))], [-1.0, 0.0]]])
    noise = torch.tensor([[[3.0], [-2.0]]])
    expected = torch.tensor([[[0.5 + 2 * 3.0], [-1.0 - 2.0]]])
    torch.testing.assert_close(bigan.encode(net, x, "gaussian", noise=noise), expected)
    torch.testing.assert_close(bigan.encode(net, x, "gaussian"), x[..., :1])
    torch.testing.assert_close(bigan.encode(net, x, "deterministic", noise=noise), x)
    assert bigan.encoder_outputs("gaussian", 3) == 6 and bigan.encoder_outputs("deterministic", 3) == 3


def test_encode_returns_the_networks_mean_output():
    tr = Trainer(tiny(latent_dim=3), "ring8", device="cpu")
    tr.train(2)
    x = np.array([[1.0, 0.0], [0.0, -1.0]], np.float32)
    out = tr._engine.Enc(torch.from_numpy(x).unsqueeze(0))[0].detach().numpy()
    np.testing.assert_allclose(tr.encode(x), out[:, :3], rtol=1e-6)
    np.testing.assert_array_equal(tr.encode(x), tr.encode(x))  # no noise at evaluation
    det = Trainer(tiny(latent_dim=3, encoder="deterministic"), "ring8", device="cpu")
    assert det._engine.Enc.out_dim == 3 and tr._engine.Enc.out_dim == 6


def test_gaussian_encoder_runs_lockstep_as_alone():
    configs = [tiny(), tiny("wgan-gp", n_critic=1), tiny(encoder="deterministic")]
    lock = LockstepTrainer(configs, "ring8", seed=4, device="cpu")
    lock.train(3)
    for i, cfg in enumerate(configs):
        solo = Trainer(cfg, "ring8", seed=4, device="cpu")
        solo.train(3)
        torch.testing.assert_close(lock[i]._engine.Enc.flat[lock[i]._i], solo._engine.Enc.flat[0], rtol=0, atol=0)
        torch.testing.assert_close(lock[i]._engine.G.flat[lock[i]._i], solo._engine.G.flat[0], rtol=0, atol=0)


def test_reconstruction_measures_distances_independently():
    tr = Trainer(tiny(), "ring8", seed=2, device="cpu")
    tr.train(3)
    rec = reconstruction(tr, n=300, seed=7)
    # Recompute from the public views: the same x and z draws, G through latent_grid's generator.
    x = tr.dataset.sample(300, np.random.default_rng(7)).astype(np.float32)
    z = torch.randn(300, 2, generator=torch.Generator().manual_seed(7))
    g = tr._engine.G.to_sequential(0)
    with torch.no_grad():
        x_rec = g(torch.from_numpy(tr.encode(x))).numpy()
        x_rand = g(z).numpy()
    assert rec["encoded"] == pytest.approx(np.linalg.norm(x_rec - x, axis=1).mean(), rel=1e-5)
    assert rec["random"] == pytest.approx(np.linalg.norm(x_rand - x, axis=1).mean(), rel=1e-5)
    assert rec["ratio"] == pytest.approx(rec["encoded"] / rec["random"])
    with pytest.raises(ValueError, match="encoder"):
        reconstruction(Trainer(lab_defaults("non-saturating", **{**TINY}), "ring8", device="cpu"))


def _short_run(encoder_broken: bool) -> dict:
    # A short run of a smaller BiGAN (half the default widths, half the batch) at the BiGAN defaults'
    # other settings.  Measured (seed 0): ratio 0.19 and 73 % on the own mode after 2000 steps, against
    # 0.90 and 12 % with the encoder frozen; after 600 steps neither had learned (0.92 / 0.84).
    cfg = lab_defaults("non-saturating", "ring8", bigan=True, g_width=32, d_width=64, e_width=64,
                       batch_size=128, iters=SHORT, snapshot_every=0)
    tr = Trainer(cfg, "ring8", seed=0, device="cpu")
    if encoder_broken:
        tr._engine.opt_e.lr.zero_()  # an encoder that never learns
        tr._engine.opt_e.base_lr.zero_()
    tr.train(SHORT)
    return reconstruction(tr, n=1000, seed=3)


SHORT = 2000


def test_encoder_learns_to_invert_the_generator_in_a_short_run():
    torch.set_num_threads(1)
    learned = _short_run(encoder_broken=False)
    frozen = _short_run(encoder_broken=True)
    # A learning encoder sends data points back to (near) their own mode; a frozen one no
    # better than a random code.
    assert learned["ratio"] < 0.5, learned
    assert learned["same_mode"] > 0.6, learned
    assert frozen["ratio"] > 0.8, frozen


def test_description_quotes_the_record():
    rec = lambda seed, hq, enc: {"seed": seed, "iters": 5000, "modes": 8, "high_quality": hq,  # noqa: E731
                                 "reconstruction": {"encoded": enc, "random": 1.25}}
    text = bigan.describe([{"runs": [rec(2, 0.7, 0.031), rec(0, 0.628, 0.0227), rec(1, 0.804, 0.0195)]}])
    assert "seeds 0, 1 and 2" in text and "8, 8 and 8 of the ring's 8 modes" in text
    assert "63 %, 80 % and 70 %" in text and "0.02–0.03 from it" in text and "against 1.25" in text


def test_the_shipped_study_meets_the_bar_at_todays_defaults():
    # docs/bigan_study.json: the runs docs/bigan.md and the preset's text quote. They were made
    # at the defaults the code has now, and meet issue 21's bar on average over 3 seeds.
    import json
    from gan_core.lab.config import preset, preset_description
    record = json.loads(bigan.RECORD.read_text())[-1]
    cfg = preset("bigan")[0]
    runs = record["runs"]
    assert sorted(r["seed"] for r in runs) == [0, 1, 2]
    for r in runs:
        assert r["config"] == cfg.to_dict()
    assert np.mean([r["modes"] for r in runs]) >= 7.5
    assert np.mean([r["high_quality"] for r in runs]) >= 0.5
    assert all(r["reconstruction"]["encoded"] < 0.1 * r["reconstruction"]["random"] for r in runs)
    assert preset_description("bigan") == bigan.describe(json.loads(bigan.RECORD.read_text()))


def test_the_lab_pages_bigan_switch_brings_the_bigan_settings_without_a_widget():
    from pages.lab.fields import FIRST_VISIT, state_to_config
    on = state_to_config({**FIRST_VISIT, "lab_loss": "non-saturating", "lab_bigan": True}, "ring8")
    assert on.bigan and on.encoder == "gaussian" and on.e_width == 128 and on.lr_final_frac == 0.05
    off = state_to_config({**FIRST_VISIT, "lab_loss": "non-saturating", "lab_bigan": False}, "ring8")
    assert not off.bigan and off.lr_final_frac == 1.0
