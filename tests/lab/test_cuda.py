"""The GPU path: the 2-D engine, the lab's session and both trainers on CUDA.

Skipped where no CUDA GPU is present (CI has none); run on a machine with one.  The rest of
the suite covers the same code on the CPU, so these tests check what changes with the
device: tensors stay on the GPU while training, everything handed to the views is a CPU numpy
array, results are finite and the CUDA run learns as the CPU run does.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gan_core.lab.config import lab_defaults
from gan_core.lab.trainer import LockstepTrainer, Trainer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_auto_picks_the_gpu():
    trainer = Trainer("wgan-gp", "ring8", seed=0, device="auto")
    assert trainer.device.type == "cuda"


def test_default_ring_run_on_the_gpu_covers_the_modes():
    """The CLI's default run (WGAN-GP, ring8, 1500 iterations), on the GPU: every mode found."""

    trainer = Trainer(lab_defaults("wgan-gp", "ring8"), "ring8", seed=0, device="cuda")
    assert trainer.train(trainer.config.iters) == trainer.config.iters
    metrics = trainer.final_metrics()
    assert trainer.diverged is None
    assert metrics["modes_captured"] == 8
    assert metrics["high_quality"] > 0.5


def test_views_of_a_gpu_trainer_are_cpu_arrays():
    trainer = Trainer(lab_defaults("minimax", "ring8", latent_dim=2), "ring8", seed=1,
                                device="cuda")
    trainer.train(20)
    outputs = [trainer.sample(64), *trainer.critic_grid(20), *trainer.generator_gradients(32),
               *trainer.latent_grid(5), trainer.snapshot().samples]
    for array in outputs:
        assert isinstance(array, np.ndarray) and np.isfinite(array).all()


def test_lockstep_on_the_gpu_matches_members_trained_alone():
    """Stacked members on the GPU end where each trained alone on the GPU ends, up to rounding.

    On the CPU the two agree to 1e-5 (tests/lab/test_toy_train.py).  On an H100 the batched and the
    single-model kernels sum in different orders, and 100 steps of training grow that rounding
    to about 5e-4 in the samples (measured 2026-11-23), so the bound here is 2e-3.
    """

    configs = [lab_defaults(loss, "ring8", iters=100) for loss in ("non-saturating", "lsgan")]
    lock = LockstepTrainer(configs, "ring8", seed=3, device="cuda")
    lock.train(100)
    for config, member in zip(configs, lock.members):
        alone = Trainer(config, "ring8", seed=3, device="cuda")
        alone.train(100)
        np.testing.assert_allclose(member.sample(256), alone.sample(256), atol=2e-3)


def test_lab_session_trains_and_reports_the_gpu():
    from gan_core.lab.session import LabSession

    configs = [lab_defaults(loss, "ring8") for loss in ("minimax", "wgan-clip", "wgan-gp")]
    configs.append(lab_defaults("non-saturating", "ring8", bigan=True))
    session = LabSession(configs, dataset="ring8", seed=0, device="auto", max_steps=400)
    assert session.device.startswith("cuda")
    session.start()
    session.advance(1.0)
    assert session.step > 0
    session.step_discriminator()
    session.step_generator()
    session.pause()
    for view in session.views():
        for array in (view.fakes, view.heat, view.arrow_points, view.arrow_vectors):
            assert isinstance(array, np.ndarray) and np.isfinite(array).all()
    assert session.views()[3].encoded is not None
    assert session.throughput()


def test_cyclegan_trainer_runs_on_the_gpu_and_ships_a_cpu_model(tmp_path):
    from gan_core.images import pretrained, train_cyclegan

    out = tmp_path / "pretrained" / "cyclegan-gpu"
    train_cyclegan.main(["--task", "synthetic", "--name", "cyclegan-gpu", "--epochs", "1", "--epochs-decay", "1",
                         "--ngf", "4", "--ndf", "4", "--n-blocks", "1", "--limit", "32", "--classifier-epochs", "1",
                         "--gallery-size", "8", "--device", "cuda", "--track-labels",
                         "--workdir", str(tmp_path / "runs"), "--out", str(out)])
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["device"].startswith("cuda")
    history = json.loads((tmp_path / "runs" / "losses.json").read_text())
    assert {"label_a2b", "label_b2a"} <= set(history[-1])
    model = pretrained.load("cyclegan-gpu", root=out.parent)
    x = torch.rand(2, 1, 32, 32) * 2 - 1
    assert model.translate(x, "a2b").device.type == "cpu"


def test_dcgan_trainer_runs_on_the_gpu(tmp_path):
    from gan_core.images import pretrained, train_dcgan

    out = tmp_path / "pretrained" / "dcgan-gpu"
    train_dcgan.main(["--dataset", "synthetic", "--epochs", "1", "--ngf", "8", "--ndf", "8", "--batch-size", "16",
                      "--subset-size", "20", "--eval-samples", "50", "--name", "dcgan-gpu",
                      "--workdir", str(tmp_path / "runs"), "--out", str(out), "--device", "cuda"])
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["device"].startswith("cuda")
    sample = pretrained.load("dcgan-gpu", root=out.parent).sample(4, seed=0)
    assert sample.device.type == "cpu" and torch.isfinite(sample).all()


@pytest.mark.parametrize("loss", ["minimax", "wgan-gp", "wgan-clip"])
def test_a_captured_cuda_graph_trains_as_the_usual_cuda_step(loss):
    """engine.use_static_step on CUDA captures one iteration as a CUDA graph and replays it: the
    same kernels on the same inputs as the usual CUDA step (with a learning-rate decay read in
    place), so the weights agree; the capture's warm-up leaves no trace in them."""
    from gan_core.lab.engine import _Engine
    from gan_core.lab.toy2d import make_dataset

    configs = [lab_defaults(loss, "ring8", snapshot_every=5, lr_final_frac=frac, iters=20) for frac in (1.0, 0.5)] * 4
    seeds = list(range(len(configs)))
    usual, graphed = (_Engine(configs, make_dataset("ring8"), seeds, torch.device("cuda")) for _ in range(2))
    graphed.use_static_step()
    assert graphed._static.graph is not None
    torch.testing.assert_close(graphed.G.flat, usual.G.flat, rtol=0, atol=0)   # the warm-up was undone
    for _ in range(20):
        usual.step()
        graphed.step()
    assert graphed._static is not None and graphed.g_steps == usual.g_steps
    torch.testing.assert_close(graphed.G.flat, usual.G.flat, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(graphed.D.flat, usual.D.flat, rtol=1e-5, atol=1e-6)
    for a, b in zip(graphed.snapshots, usual.snapshots):
        assert [s.step for s in a] == [s.step for s in b]


def test_a_sweep_with_cuda_graphs_matches_the_sweep_without():
    from gan_core.lab.sweep import Sweep, sweep_runs

    runs = sweep_runs("ring8", ["non-saturating", "wgan-gp"], seeds=4, iters=30, snapshot_every=10)
    plain, graphed = Sweep(runs, device="cuda"), Sweep(runs, device="cuda", cuda_graphs=True)
    assert all(eng._static is not None and eng._static.graph is not None for eng in graphed.engines)
    assert plain.train() and graphed.train()
    for a, b in zip(plain.records(), graphed.records()):
        assert a["metrics"]["modes_captured"] == b["metrics"]["modes_captured"]
        assert a["iters_done"] == b["iters_done"] == 30
