"""Translation metrics (gan_core.images.image_metrics) against independent computations."""
from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.linalg
import torch

from gan_core.images import image_metrics
from gan_core.images.image_data import to_signed, to_uint8


def _ssim_by_loop(x: np.ndarray, y: np.ndarray, window: int = 7, data_range: float = 2.0) -> float:
    """SSIM of one (c, h, w) pair, window by window, straight from Wang et al. (2004), eq. 13."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    values = []
    for ch in range(x.shape[0]):
        for i in range(x.shape[1] - window + 1):
            for j in range(x.shape[2] - window + 1):
                p = x[ch, i:i + window, j:j + window].ravel()
                q = y[ch, i:i + window, j:j + window].ravel()
                cov = np.cov(p, q)  # unbiased (n - 1), as scikit-image's default
                values.append(((2 * p.mean() * q.mean() + c1) * (2 * cov[0, 1] + c2))
                              / ((p.mean() ** 2 + q.mean() ** 2 + c1) * (cov[0, 0] + cov[1, 1] + c2)))
    return float(np.mean(values))


def test_ssim_matches_a_window_by_window_loop():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 2, 11, 9))
    y = np.clip(x + rng.normal(0, 0.4, x.shape), -1, 1)
    y[2] = rng.uniform(-1, 1, y[2].shape)  # an unrelated pair too
    ours = image_metrics.ssim_per_image(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    expected = [_ssim_by_loop(x[k], y[k]) for k in range(3)]
    assert ours == pytest.approx(expected, abs=1e-10)
    assert ours[0] > ours[2]  # a noisy copy is more similar than an unrelated image


def test_ssim_is_one_for_identical_images_and_refuses_tiny_or_mismatched_ones():
    x = torch.rand(2, 3, 8, 8) * 2 - 1
    assert image_metrics.ssim_per_image(x, x).numpy() == pytest.approx([1.0, 1.0], abs=1e-12)
    with pytest.raises(ValueError, match="smaller than"):
        image_metrics.ssim_per_image(x[..., :6, :6], x[..., :6, :6])
    with pytest.raises(ValueError, match="one shape"):
        image_metrics.ssim_per_image(x, x[:1])


def test_box_blur_is_the_mean_of_each_3x3_block_with_edges_repeated():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (2, 3, 5, 6)).astype(np.float32)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    expected = np.zeros_like(x)
    for i in range(5):
        for j in range(6):
            expected[..., i, j] = padded[..., i:i + 3, j:j + 3].mean(axis=(-2, -1))
    assert image_metrics.box_blur(torch.from_numpy(x)).numpy() == pytest.approx(expected, abs=1e-6)


def test_l1_per_image_is_the_mean_absolute_difference():
    x, y = torch.zeros(2, 1, 2, 2), torch.tensor([[[[1.0, -1.0], [0.0, 0.0]]], [[[2.0, 2.0], [2.0, 2.0]]]])
    assert image_metrics.l1_per_image(x, y).tolist() == [0.5, 2.0]


def test_one_conversion_between_bytes_and_signed_pixels_round_trips_every_value():
    v = np.arange(256, dtype=np.uint8).reshape(1, 1, 16, 16)
    x = to_signed(v)
    assert x.dtype == torch.float32 and float(x.min()) == -1.0 and float(x.max()) == 1.0
    assert np.array_equal(to_uint8(x), v)
    assert to_uint8(torch.tensor([-3.0, 3.0])).tolist() == [0, 255]  # out of range is clamped


class _BrightnessJudge:
    """A stand-in domain classifier: domain B (1) when the mean pixel is above 0; features = the
    mean and the spread of each image (so Frechet distances can be checked by hand)."""

    card = {"metrics": {"test_accuracy": 1.0}}

    def predict(self, x):
        return (x.flatten(1).mean(1) > 0).long()

    def features(self, x):
        flat = x.flatten(1).double()
        return torch.stack([flat.mean(1), flat.std(1)], 1).float()


def _frechet_by_sqrtm(f1: np.ndarray, f2: np.ndarray) -> float:
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((f1.mean(0) - f2.mean(0)) ** 2) + np.trace(s1 + s2 - 2 * root))


def test_domain_share_and_frechet_distance_on_images_whose_answer_is_known():
    gen = torch.Generator().manual_seed(0)
    a = -0.5 + 0.1 * torch.randn(20, 1, 8, 8, generator=gen)  # dark: domain A
    b = 0.5 + 0.1 * torch.randn(16, 1, 8, 8, generator=gen)   # bright: domain B
    fake_b = a.clone()
    fake_b[:15] += 1.0            # 15 of 20 translations made bright
    fake_a = b.clone()
    fake_a[:4] -= 1.0             # 4 of 16 made dark
    out = image_metrics.domain_metrics(a, b, fake_b, fake_a, (_BrightnessJudge(), "stand-in"))
    assert out["domain_share_a2b"] == 0.75 and out["domain_share_b2a"] == 0.25
    assert out["domain_share_a2b_do_nothing"] == 0.0 and out["domain_share_b2a_do_nothing"] == 0.0
    assert out["domain_share_a2b_real_target"] == 1.0 and out["domain_share_b2a_real_target"] == 1.0
    judge = _BrightnessJudge()
    feats = {k: judge.features(v).double().numpy() for k, v in dict(a=a, b=b, fa=fake_a, fb=fake_b).items()}
    assert out["frechet_a2b"] == pytest.approx(_frechet_by_sqrtm(feats["fb"], feats["b"]), abs=2e-3)
    assert out["frechet_a2b_do_nothing"] == pytest.approx(_frechet_by_sqrtm(feats["a"], feats["b"]), abs=2e-3)
    assert out["frechet_b2a"] == pytest.approx(_frechet_by_sqrtm(feats["fa"], feats["a"]), abs=2e-3)
    assert out["frechet_a2b"] < out["frechet_a2b_do_nothing"]


def test_without_a_domain_classifier_the_card_says_how_to_train_one(tmp_path):
    model, why = image_metrics.find_domain_classifier("digits", tmp_path / "classifier-digits-domain")
    assert model is None and "python -m gan_core.images.domain --task digits" in why
    assert image_metrics.domain_metrics(None, None, None, None, (model, why)) == {"domain_classifier": why}


def test_paired_metrics_put_translation_next_to_doing_nothing_and_a_blur():
    gen = torch.Generator().manual_seed(2)
    b = torch.rand(4, 3, 12, 12, generator=gen) * 2 - 1
    a = (b + 0.3 * torch.randn(b.shape, generator=gen)).clamp(-1, 1)
    out = image_metrics.paired_metrics(a, b, fake_b=b.clone(), fake_a=a.clone())
    assert out["l1_a2b_translation"] == 0.0 and out["ssim_a2b_translation"] == 1.0  # perfect translation
    assert out["l1_a2b_do_nothing"] == pytest.approx(float((a - b).abs().mean()), abs=1e-4)
    blurred = image_metrics.box_blur(a)
    assert out["l1_a2b_blur"] == pytest.approx(float((blurred - b).abs().mean()), abs=1e-4)
    assert out["ssim_b2a_blur"] == pytest.approx(
        np.mean([_ssim_by_loop(image_metrics.box_blur(b)[k].double().numpy(), a[k].double().numpy())
                 for k in range(4)]), abs=1e-4)


@pytest.fixture(scope="module")
def synthetic_domain_classifier(tmp_path_factory):
    from gan_core.images import domain

    out = tmp_path_factory.mktemp("pretrained") / "classifier-synthetic-domain"
    domain.main(["--task", "synthetic", "--epochs", "2", "--threads", "1", "--out", str(out)])
    return out


def test_domain_classifier_cli_tells_the_synthetic_domains_apart(synthetic_domain_classifier):
    from gan_core.images import pretrained
    from gan_core.images.cyclegan_data import load_task

    card = json.loads((synthetic_domain_classifier / "card.json").read_text())
    assert card["kind"] == "classifier" and card["data"]["classes"] == ["bars", "inverted bars"]
    assert card["metrics"]["test_accuracy"] >= 0.95
    assert "python -m gan_core.images.domain --task synthetic" in card["training"]["command"]
    model = pretrained.load(synthetic_domain_classifier.name, root=synthetic_domain_classifier.parent)
    held = load_task("synthetic", "test")
    # Known answers: inverting a bars image makes it an 'inverted bars' image, and back.
    out = image_metrics.domain_metrics(to_signed(held["a"]), to_signed(held["b"]), -to_signed(held["a"]),
                                       -to_signed(held["b"]), (model, "trained"))
    assert out["domain_share_a2b"] >= 0.95 and out["domain_share_b2a"] >= 0.95
    assert out["domain_share_a2b_do_nothing"] <= 0.05 and out["domain_share_b2a_do_nothing"] <= 0.05


def test_cyclegan_card_reports_domain_metrics_with_their_baselines(synthetic_domain_classifier, tmp_path):
    from gan_core.images import train_cyclegan

    out = tmp_path / "cyclegan-synthetic"
    train_cyclegan.main(["--task", "synthetic", "--limit", "32", "--epochs", "1", "--epochs-decay", "0",
                         "--ngf", "4", "--ndf", "4", "--n-blocks", "1", "--classifier-epochs", "1", "--threads", "1",
                         "--workdir", str(tmp_path / "work"), "--out", str(out),
                         "--domain-classifier", str(synthetic_domain_classifier)])
    metrics = json.loads((out / "card.json").read_text())["metrics"]
    for direction in ("a2b", "b2a"):
        for suffix in ("", "_do_nothing", "_real_target"):
            assert 0 <= metrics[f"domain_share_{direction}{suffix}"] <= 1
        assert metrics[f"frechet_{direction}"] >= 0 and metrics[f"frechet_{direction}_do_nothing"] >= 0
        assert metrics[f"label_agreement_{direction}_do_nothing"] >= 0
    assert metrics["domain_share_a2b_real_target"] >= 0.95
    assert "domain_share_a2b" in metrics["definitions"]
