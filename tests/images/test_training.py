"""The image trainers' shared run set-up (gan_core.images.training) and resuming a CycleGAN run."""
from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import torch

from gan_core.images import training

ROOT = Path(__file__).resolve().parents[2]


def _args(tmp_path: Path, **kw) -> argparse.Namespace:
    base = dict(name="m", workdir=str(tmp_path / "work"), out=str(tmp_path / "out"), device="cpu", threads=None, seed=3)
    base.update(kw)
    return argparse.Namespace(**base)


def test_a_checkpoint_restores_every_part_and_the_state(tmp_path):
    run = training.start_run(_args(tmp_path), "default")
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    training.save_checkpoint(run, {"G": net, "opt_g": opt}, {"epoch": 4, "history": [1, 2]})

    other, other_opt = torch.nn.Linear(3, 2), None
    other_opt = torch.optim.Adam(other.parameters(), lr=0.1)
    state = training.resume(run, {"G": other, "opt_g": other_opt}, {"epoch": 0})
    assert state == {"epoch": 4, "history": [1, 2]}
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), other.state_dict().values()))
    assert other_opt.state_dict()["state"][0]["step"] == 1
    # --fresh ignores the checkpoint; a part the checkpoint lacks loads from its fallback.
    assert training.resume(run, {"G": torch.nn.Linear(3, 2)}, {"epoch": 0}, fresh=True) == {"epoch": 0}
    average = torch.nn.Linear(3, 2)
    training.resume(run, {"G_ema": average}, {"epoch": 0}, fallbacks={"G_ema": "G"})
    assert torch.equal(average.weight, net.weight)


def test_run_folders_default_to_runs_and_pretrained_under_the_model_name(tmp_path):
    run = training.start_run(_args(tmp_path, name=None, workdir=None, out=None), "dcgan-x")
    assert run.name == "dcgan-x" and run.workdir == training.REPO_ROOT / "runs" / "dcgan-x"
    assert run.out == training.REPO_ROOT / "pretrained" / "dcgan-x" and run.device.type == "cpu"
    assert training.command_line("gan_core.images.train_dcgan", ["--name", "a b"]) == \
        "python -m gan_core.images.train_dcgan --name 'a b'"


def test_an_interrupted_cyclegan_run_resumes_to_the_same_weights(tmp_path):
    from safetensors.torch import load_file

    from gan_core.images import train_cyclegan

    def run(work: str, epochs: int, out: str):
        train_cyclegan.main(["--task", "synthetic", "--name", "cyclegan-r", "--limit", "32", "--epochs", str(epochs),
                             "--epochs-decay", "0", "--ngf", "4", "--ndf", "4", "--n-blocks", "1",
                             "--classifier-epochs", "1", "--gallery-size", "4", "--threads", "1",
                             "--workdir", str(tmp_path / work), "--out", str(tmp_path / out / "cyclegan-r")])
        return load_file(str(tmp_path / out / "cyclegan-r" / "generators.safetensors"))

    whole = run("whole", 2, "a")
    run("parts", 1, "b")
    resumed = run("parts", 2, "c")  # same workdir: picks up after epoch 1 (generators, discriminators, optimizers, pools)
    assert whole.keys() == resumed.keys()
    for key in whole:
        assert torch.equal(whole[key], resumed[key]), key


def test_train_all_explains_its_usage():
    result = subprocess.run(["bash", str(ROOT / "scripts" / "train_all.sh")], capture_output=True, text=True)
    assert result.returncode == 2 and "usage:" in result.stderr and "--tiny" in result.stderr
