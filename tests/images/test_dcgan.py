"""DCGAN networks, the paper's guidelines, the training script and the checked loading."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gan_core.images import dcgan, pretrained, train_dcgan

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["dcgan-mnist", "dcgan-fashion-mnist"]


def shipped(name: str) -> bool:
    return (ROOT / "pretrained" / name / "card.json").is_file()


# ------------------------------------------------------------------------------- shapes and ranges

def test_generator_maps_latents_to_32x32_images_in_tanh_range():
    torch.manual_seed(0)
    G = dcgan.Generator(latent_dim=100, channels=1, ngf=8)
    out = G(torch.randn(5, 100) * 10)  # large z: tanh must still bound the output
    assert out.shape == (5, 1, 32, 32)
    assert out.min() >= -1 and out.max() <= 1
    assert G(torch.randn(3, 100, 1, 1)).shape == (3, 1, 32, 32)
    assert dcgan.Generator(16, channels=3, ngf=8)(torch.randn(2, 16)).shape == (2, 3, 32, 32)


def test_discriminator_returns_one_logit_per_image():
    D = dcgan.Discriminator(channels=1, ndf=8)
    logits = D(torch.rand(7, 1, 32, 32) * 2 - 1)
    assert logits.shape == (7,)
    assert torch.isfinite(logits).all()


def test_architecture_table_reports_the_papers_resolution_ladder():
    rows = dcgan.architecture_table(dcgan.Generator(ngf=32))
    convs = [r["output_shape"] for r in rows if "ConvTranspose2d" in r["layer"]]
    assert convs == [(128, 4, 4), (64, 8, 8), (32, 16, 16), (1, 32, 32)]
    rows = dcgan.architecture_table(dcgan.Discriminator(ndf=32))
    convs = [r["output_shape"] for r in rows if r["layer"].startswith("Conv2d")]
    assert convs == [(32, 16, 16), (64, 8, 8), (128, 4, 4), (1, 1, 1)]
    # parameter counts in the table add up to the network's
    assert sum(r["parameters"] for r in rows) == sum(p.numel() for p in dcgan.Discriminator(ndf=32).parameters())


# ------------------------------------------------------------------------------------ guidelines

@pytest.mark.parametrize("network", [dcgan.Generator(), dcgan.Discriminator()])
def test_no_pooling_and_no_fully_connected_layers(network):
    for module in network.modules():
        assert not isinstance(module, (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
                                       nn.AdaptiveMaxPool2d, nn.Linear, nn.Upsample))


def test_resolution_changes_only_through_strided_convolutions():
    G, D = dcgan.Generator(), dcgan.Discriminator()
    assert all(m.stride == (2, 2) for m in list(G.net)[3:] if isinstance(m, nn.ConvTranspose2d))
    assert all(m.stride == (2, 2) for m in list(D.net)[:-1] if isinstance(m, nn.Conv2d))


def _layer_kinds(network):
    return [type(m) for m in network.net]


def test_batchnorm_everywhere_except_generator_output_and_discriminator_input():
    g = _layer_kinds(dcgan.Generator())
    d = _layer_kinds(dcgan.Discriminator())
    g_convs = [i for i, t in enumerate(g) if t is nn.ConvTranspose2d]
    d_convs = [i for i, t in enumerate(d) if t is nn.Conv2d]
    # every G conv but the last is followed by batch norm; the last is followed by Tanh
    assert all(g[i + 1] is nn.BatchNorm2d for i in g_convs[:-1])
    assert g[g_convs[-1] + 1] is nn.Tanh
    # D: the input conv goes straight to LeakyReLU; the hidden ones to batch norm
    assert d[d_convs[0] + 1] is nn.LeakyReLU
    assert all(d[i + 1] is nn.BatchNorm2d for i in d_convs[1:-1])
    assert d_convs[-1] == len(d) - 1  # the last conv outputs the logit, no norm after it


def test_generator_uses_relu_then_tanh_and_discriminator_leaky_relu_02():
    g = list(dcgan.Generator().net)
    assert isinstance(g[-1], nn.Tanh)
    assert all(isinstance(m, nn.ReLU) for m in g[:-1] if isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.Tanh)))
    d = [m for m in dcgan.Discriminator().net if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    assert d and all(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in d)


def test_weights_start_from_normal_with_std_002():
    torch.manual_seed(0)
    for network in (dcgan.Generator(), dcgan.Discriminator()):
        weights = torch.cat([m.weight.flatten() for m in network.modules()
                             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])
        weights = weights.detach()
        assert abs(float(weights.mean())) < 1e-3
        assert float(weights.std()) == pytest.approx(0.02, rel=0.02)
        scales = torch.cat([m.weight.detach() for m in network.modules() if isinstance(m, nn.BatchNorm2d)])
        assert float(scales.mean()) == pytest.approx(1.0, abs=0.01)


def test_adam_uses_learning_rate_2e4_and_beta1_05():
    opt_g, opt_d = dcgan.make_optimizers(dcgan.Generator(ngf=8), dcgan.Discriminator(ndf=8))
    for opt in (opt_g, opt_d):
        assert isinstance(opt, torch.optim.Adam)
        assert opt.defaults["lr"] == 2e-4 and opt.defaults["betas"][0] == 0.5


# ----------------------------------------------------------------------------------- latent walks

def test_slerp_stays_on_the_sphere_while_lerp_cuts_inside():
    z0, z1 = dcgan.latents(2, 100, seed=3)
    z1 = z1 * z0.norm() / z1.norm()  # equal norms: the arc keeps that norm exactly
    t = torch.linspace(0, 1, 11)
    arc, line = dcgan.slerp(z0, z1, t), dcgan.lerp(z0, z1, t)
    assert torch.allclose(arc.norm(dim=1), z0.norm().expand(11), rtol=1e-4)
    assert torch.allclose(arc[0], z0, atol=1e-5) and torch.allclose(arc[-1], z1, atol=1e-4)
    # two nearly orthogonal 100-d vectors: the chord's midpoint has norm ~ |z| / sqrt(2)
    cos = float(torch.dot(z0, z1) / z0.norm() ** 2)
    assert float(line[5].norm()) == pytest.approx(float(z0.norm()) * math.sqrt((1 + cos) / 2), rel=1e-4)


def test_slerp_of_identical_endpoints_falls_back_to_a_constant_path():
    z = dcgan.latents(1, 10, seed=0)[0]
    path = dcgan.slerp(z, z, torch.linspace(0, 1, 4))
    assert torch.allclose(path, z.expand(4, 10))


def test_direction_walk_moves_each_latent_along_the_unit_vector():
    z = dcgan.latents(2, 5, seed=0)
    u = dcgan.unit_direction(5, "axis", coordinate=3)
    walk = dcgan.direction_walk(z, u * 7.0, torch.tensor([-1.0, 0.0, 2.0]))
    assert walk.shape == (6, 5)
    assert torch.allclose(walk[1], z[0]) and torch.allclose(walk[5, 3], z[1, 3] + 2.0)
    assert float(dcgan.unit_direction(50, "random", seed=4).norm()) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        dcgan.unit_direction(5, "axis", coordinate=5)


def test_nearest_images_agree_with_brute_force():
    rng = np.random.default_rng(0)
    pool = torch.from_numpy(rng.integers(0, 256, size=(30, 32, 32), dtype=np.uint8))
    queries = pool[[4, 17]].float()[:, None] / 127.5 - 1.0
    queries = torch.cat([queries, torch.rand(3, 1, 32, 32) * 2 - 1])
    index, distance = dcgan.nearest_images(queries, pool)
    assert index[0] == 4 and index[1] == 17 and distance[0] < 1e-5
    brute = torch.cdist(queries.reshape(5, -1).double(), pool.reshape(30, -1).double() / 127.5 - 1)
    assert np.array_equal(index, brute.argmin(1).numpy())
    assert np.allclose(distance, brute.min(1).values.numpy(), atol=1e-6)


def test_image_grid_places_tiles_row_by_row_with_grey_gaps():
    tiles = np.stack([np.full((2, 3), k * 10, np.uint8) for k in range(5)])
    grid = dcgan.image_grid(tiles, columns=3, pad=1)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1)
    assert grid[1, 1] == 0 and grid[1, 5] == 10 and grid[4, 1] == 30
    assert grid[0, 0] == 128 and grid[4, 9] == 128  # padding and the empty last cell
    assert dcgan.image_grid(tiles, columns=3, pad=1, scale=2).shape == (14, 26)


# ------------------------------------------------------------------------------------- training

def _train(tmp_path: Path, epochs: int, tag: str, extra=()) -> Path:
    out = tmp_path / "pretrained" / f"dcgan-{tag}"
    train_dcgan.main(["--dataset", "synthetic", "--epochs", str(epochs), "--ngf", "8", "--ndf", "8",
                      "--batch-size", "16", "--subset-size", "20", "--eval-samples", "50",
                      "--name", f"dcgan-{tag}", "--workdir", str(tmp_path / "runs" / tag), "--out", str(out),
                      "--device", "cpu", *extra])
    return out


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dcgan")
    return tmp, _train(tmp, 2, "tiny")


def test_two_epoch_training_writes_a_loadable_model_and_card(tiny_run):
    tmp, out = tiny_run
    card = json.loads((out / "card.json").read_text())
    assert card["kind"] == "dcgan" and card["training"]["epochs"] == 2
    assert "--epochs 2" in card["training"]["command"]
    for key in ("architecture", "data", "training", "metrics", "sha256"):
        assert key in card
    assert card["architecture"]["ngf"] == 8 and card["data"]["licence"]
    assert card["training"]["wall_time_s"] > 0 and card["training"]["device"].startswith("cpu")
    assert set(card["sha256"]) >= {"generator.safetensors"}
    for filename in ("preview.png", "losses.json", "progression.safetensors", "training_subset.safetensors"):
        assert (out / filename).is_file()
    assert len(json.loads((out / "losses.json").read_text())) == 2
    assert len(list((tmp / "runs" / "tiny" / "grids").glob("epoch_*.png"))) == 2

    model = pretrained.load(out.name, root=out.parent)
    x = model.sample(6, seed=1)
    assert x.shape == (6, 1, 32, 32) and x.dtype == torch.float32 and x.device.type == "cpu"
    assert x.min() >= -1 and x.max() <= 1
    assert torch.equal(x, model.sample(6, seed=1))
    assert torch.equal(model.sample(6, seed=1)[:2], model.sample(2, seed=1))  # eval-mode BN: batch-independent
    frames, epochs = model.progression()
    assert epochs == [1, 2] and frames.shape == (2, 16, 32, 32)


def test_training_resumes_from_its_checkpoint_exactly(tiny_run, tmp_path):
    _, uninterrupted = tiny_run
    _train(tmp_path, 1, "tiny")
    resumed = _train(tmp_path, 2, "tiny")  # same workdir: picks up after epoch 1
    a = pretrained.load(uninterrupted.name, root=uninterrupted.parent).sample(8, seed=0)
    b = pretrained.load(resumed.name, root=resumed.parent).sample(8, seed=0)
    assert torch.allclose(a, b, atol=1e-5)


def test_update_ema_is_the_exponential_average_it_claims():
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = [p.detach().clone() for p in a.parameters()]
    train_dcgan.update_ema(a, b, 0.75)
    for pa, p0, pb in zip(a.parameters(), before, b.parameters()):
        assert torch.allclose(pa, 0.75 * p0 + 0.25 * pb)
    train_dcgan.update_ema(a, b, 0.0)  # decay 0 copies
    assert all(torch.equal(pa, pb) for pa, pb in zip(a.parameters(), b.parameters()))


def test_an_averaged_generator_is_shipped_when_asked_and_resumes_exactly(tiny_run, tmp_path):
    _, plain = tiny_run
    ema = _train(tmp_path / "a", 2, "ema", ["--ema-decay", "0.9", "--ema-start", "2"])
    card = json.loads((ema / "card.json").read_text())
    assert "moving average" in card["training"]["weights_shipped"] and "--ema-decay 0.9" in card["training"]["command"]
    x_plain = pretrained.load(plain.name, root=plain.parent).sample(8, seed=0)
    x_ema = pretrained.load(ema.name, root=ema.parent).sample(8, seed=0)
    assert not torch.allclose(x_plain, x_ema, atol=1e-3)  # the average is not G's last weights
    # Stopping after epoch 1 (before the average starts) and resuming gives the same model.
    _train(tmp_path / "b", 1, "ema", ["--ema-decay", "0.9", "--ema-start", "2"])
    resumed = _train(tmp_path / "b", 2, "ema", ["--ema-decay", "0.9", "--ema-start", "2"])
    assert torch.allclose(x_ema, pretrained.load(resumed.name, root=resumed.parent).sample(8, seed=0), atol=1e-5)


def test_learning_rate_decays_linearly_after_the_constant_epochs_and_resumes_exactly(tmp_path):
    decayed = _train(tmp_path / "a", 1, "decay", ["--epochs-decay", "2"])
    card = json.loads((decayed / "card.json").read_text())
    assert card["training"]["epochs"] == 3 and card["training"]["epochs_linear_decay"] == 2
    assert "linear decay" in card["training"]["optimizer"] and "--epochs-decay 2" in card["training"]["command"]
    lrs = [r["lr"] for r in json.loads((decayed / "losses.json").read_text())]
    assert lrs == pytest.approx([2e-4, 2e-4 * 2 / 3, 2e-4 / 3])  # 1 - (epoch - 1) / (2 + 1)
    # Epoch 1 is at the full rate in any schedule: a run stopped there and resumed with the decay
    # (the rate is set from the schedule each epoch, not taken from the checkpoint) is the same model.
    _train(tmp_path / "b", 1, "decay")
    resumed = _train(tmp_path / "b", 1, "decay", ["--epochs-decay", "2"])
    assert torch.allclose(pretrained.load(decayed.name, root=decayed.parent).sample(8, seed=0),
                          pretrained.load(resumed.name, root=resumed.parent).sample(8, seed=0), atol=1e-5)


def test_load_rejects_a_weight_file_whose_sha256_does_not_match(tiny_run, tmp_path):
    _, out = tiny_run
    copy = tmp_path / out.name
    shutil.copytree(out, copy)
    weights = copy / "generator.safetensors"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(pretrained.PretrainedError, match="corrupted"):
        pretrained.load(copy.name, root=tmp_path)


def test_load_names_a_missing_weight_file(tiny_run, tmp_path):
    _, out = tiny_run
    copy = tmp_path / out.name
    shutil.copytree(out, copy)
    (copy / "generator.safetensors").unlink()
    with pytest.raises(pretrained.PretrainedError, match="missing"):
        pretrained.load(copy.name, root=tmp_path)


def test_progression_keeps_at_most_30_epochs_including_first_and_last():
    picks = train_dcgan.choose_progression_epochs(300)
    assert len(picks) <= 31 and picks[0] == 1 and picks[-1] == 300 and picks == sorted(set(picks))
    assert train_dcgan.choose_progression_epochs(5) == [1, 2, 3, 4, 5]


# ------------------------------------------------------------------------------ shipped models

@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_generator_samples_white_on_black_images(name):
    if not shipped(name):
        pytest.fail(f"{name} not trained yet" + ": the shipped model is missing from pretrained/")
    model = pretrained.load(name)
    assert model.latent_dim == 100
    x = model.sample(64, seed=0)
    assert x.shape == (64, 1, 32, 32) and x.dtype == torch.float32
    assert x.min() >= -1 and x.max() <= 1
    border = torch.cat([x[..., :2, :].flatten(), x[..., -2:, :].flatten()])
    assert float(border.mean()) < -0.9  # the padded frame is background, as in the data (-1)
    assert not torch.equal(model.sample(4, seed=0), model.sample(4, seed=1))


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_folder_is_under_8_mb_and_its_card_is_complete(name):
    """8 MB: the Fashion model's generator is 64 filters wide (1.07 M parameters, 4.3 MB in float32;
    the folder 6.8 MB with its 2,500-image training subset and progression); 5 MB held while it was 32."""
    if not shipped(name):
        pytest.fail(f"{name} not trained yet" + ": the shipped model is missing from pretrained/")
    folder = ROOT / "pretrained" / name
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 8 * 1024 * 1024
    card = json.loads((folder / "card.json").read_text())
    assert card["kind"] == "dcgan"
    assert card["training"]["command"].startswith("python -m gan_core.images.train_dcgan")
    assert card["training"]["epochs"] >= 1 and card["training"]["wall_time_s"] > 0
    assert "licence" in card["data"] and (folder / "preview.png").is_file()
    for filename, digest in card["sha256"].items():
        assert pretrained.sha256_of(folder / filename) == digest


@pytest.mark.parametrize("name", SHIPPED)
def test_card_lists_the_spread_of_its_figures_over_independent_draws(name):
    """The card's first draw is its own figures; one further draw is recomputed here from the shipped
    generator and classifier (numpy's max and mean, not the library's mean_confidence)."""
    if not shipped(name):
        pytest.fail(f"{name} not trained yet" + ": the shipped model is missing from pretrained/")
    from gan_core.images import classifier as clf

    metrics = json.loads((ROOT / "pretrained" / name / "card.json").read_text())["metrics"]
    draws = metrics["draws"]
    assert draws["seeds"] == list(range(2024, 2024 + len(draws["seeds"]))) and len(draws["seeds"]) >= 5
    assert draws["mean_confidence"][0] == metrics["mean_confidence"]
    assert draws["frechet_distance"][0] == metrics["frechet_distance"]
    assert len(set(draws["frechet_distance"])) > 1  # independent draws, not one number repeated
    if name != "dcgan-fashion-mnist":  # one recomputation (25 s) is enough to check the code path
        return
    sampler = pretrained.load(name)
    judge = clf.load(metrics["classifier"].removeprefix("classifier-"))
    probs = judge.predict_proba(sampler.sample(draws["samples_each"], seed=draws["seeds"][1])).numpy()
    assert float(np.max(probs, axis=1).mean()) == pytest.approx(draws["mean_confidence"][1], abs=6e-5)


@pytest.mark.parametrize("name", SHIPPED)
def test_card_metrics_agree_with_their_own_histogram(name):
    """The KL and class count on the card are recomputed here from the card's histogram."""
    if not shipped(name):
        pytest.fail(f"{name} not trained yet" + ": the shipped model is missing from pretrained/")
    metrics = json.loads((ROOT / "pretrained" / name / "card.json").read_text())["metrics"]
    if "class_histogram" not in metrics:
        pytest.fail("the card has no measured metrics")
    counts = np.array(list(metrics["class_histogram"].values()), dtype=float)
    p = counts / counts.sum()
    nz = p > 0
    assert metrics["kl_to_uniform_nats"] == pytest.approx(float(np.sum(p[nz] * np.log(10 * p[nz]))), abs=1e-4)
    assert metrics["classes_present"] == int(nz.sum())
    assert counts.sum() == metrics["samples"]


def test_the_class_histogram_shows_each_share_with_its_label_and_the_uniform_line():
    counts = {"T-shirt": 60, "Trouser": 1110, "Pullover": 1080, "Dress": 1100, "Coat": 1030,
              "Sandal": 1120, "Shirt": 1070, "Sneaker": 1190, "Bag": 1110, "Boot": 1130}
    fig = dcgan.class_histogram_figure(counts)
    (bar,) = fig.data
    total = sum(counts.values())
    np.testing.assert_allclose(bar.y, [100 * c / total for c in counts.values()])
    assert list(bar.text) == [f"{100 * c / total:.1f}%" for c in counts.values()]
    # Labels sit inside the bars, in the middle (or above a bar too short to hold one), away from
    # the uniform line at 10 % that the tops of the bars reach.
    assert bar.textposition == "auto" and bar.insidetextanchor == "middle"
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == pytest.approx(10.0)
    # Digits are named by numbers: the axis is categorical, so every class has its tick.
    assert dcgan.class_histogram_figure({str(d): 1 for d in range(10)}).layout.xaxis.type == "category"
