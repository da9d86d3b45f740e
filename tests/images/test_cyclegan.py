"""CycleGAN: shapes, the loss terms as specified, the history pool, a tiny training run, shipped models."""
from __future__ import annotations

import json
import shutil

import pytest
import torch

from gan_core.images import cyclegan
from gan_core.images.pretrained import PRETRAINED_DIR, PretrainedError, load

TINY = {"generator": "resnet", "discriminator": "patch", "channels": 1, "image_size": 32,
        "ngf": 4, "ndf": 4, "n_blocks": 1, "d_layers": 2}


@pytest.mark.parametrize("channels", [1, 3])
def test_resnet_generator_keeps_the_image_shape_and_range(channels):
    G = cyclegan.define_G(dict(TINY, channels=channels))
    x = torch.rand(5, channels, 32, 32) * 2 - 1
    with torch.no_grad():
        y = G(x)
    assert y.shape == x.shape
    assert float(y.abs().max()) < 1.0  # tanh output


def test_patch_discriminator_scores_a_grid_of_patches():
    D = cyclegan.define_D(TINY)
    scores = D(torch.zeros(3, 1, 32, 32))
    # two stride-2 layers: 32 -> 16 -> 8, then two 4x4 stride-1 convs with padding 1: 8 -> 7 -> 6
    assert scores.shape == (3, 1, 6, 6)


def test_cycle_loss_is_mean_absolute_difference_not_squared():
    x = torch.tensor([0.0, 0.0, 0.0, 0.0]).view(1, 1, 2, 2)
    r = torch.tensor([1.0, -1.0, 0.5, 0.0]).view(1, 1, 2, 2)
    assert float(cyclegan.cycle_loss(x, r)) == pytest.approx((1 + 1 + 0.5 + 0) / 4)  # L1 = 0.625
    assert float(cyclegan.cycle_loss(x, r)) != pytest.approx(float(((r - x) ** 2).mean()))  # L2 = 0.5625


def test_identity_loss_is_mean_absolute_difference():
    y = torch.rand(2, 3, 4, 4)
    mapped = y + 0.25 * torch.sign(torch.randn_like(y))
    assert float(cyclegan.identity_loss(y, mapped)) == pytest.approx(0.25)


def test_lsgan_loss_is_squared_distance_to_the_target():
    scores = torch.full((2, 1, 3, 3), 0.3)
    assert float(cyclegan.lsgan_loss(scores, True)) == pytest.approx(0.49)
    assert float(cyclegan.lsgan_loss(scores, False)) == pytest.approx(0.09)


def test_reference_weights_cycle_ten_identity_half_of_that():
    assert cyclegan.LAMBDA_CYCLE == 10.0
    assert cyclegan.LAMBDA_IDENTITY_FRACTION * cyclegan.LAMBDA_CYCLE == 5.0
    assert cyclegan.POOL_SIZE == 50


def test_generator_objective_is_the_weighted_sum_of_its_terms():
    torch.manual_seed(0)
    G_ab, G_ba = cyclegan.define_G(TINY), cyclegan.define_G(TINY)
    D_a, D_b = cyclegan.define_D(TINY), cyclegan.define_D(TINY)
    a, b = torch.rand(4, 1, 32, 32) * 2 - 1, torch.rand(4, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        terms = cyclegan.generator_losses(G_ab, G_ba, D_a, D_b, a, b)
        # independent recomputation straight from the paper's formula
        gan = ((D_b(G_ab(a)) - 1) ** 2).mean() + ((D_a(G_ba(b)) - 1) ** 2).mean()
        cyc = (G_ba(G_ab(a)) - a).abs().mean() + (G_ab(G_ba(b)) - b).abs().mean()
        idt = (G_ab(b) - b).abs().mean() + (G_ba(a) - a).abs().mean()
    assert float(terms.total) == pytest.approx(float(gan + 10 * cyc + 5 * idt), rel=1e-5)


def test_each_cycle_can_have_its_own_weight_as_the_references_lambda_A_and_lambda_B():
    """lambda_A weighs a -> b -> a and the identity |G_ba(a) - a|; lambda_B the other cycle and |G_ab(b) - b|
    (reference cycle_gan_model.backward_G), recomputed from the formula."""
    torch.manual_seed(3)
    G_ab, G_ba = cyclegan.define_G(TINY), cyclegan.define_G(TINY)
    D_a, D_b = cyclegan.define_D(TINY), cyclegan.define_D(TINY)
    a, b = torch.rand(4, 1, 32, 32) * 2 - 1, torch.rand(4, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        gan = ((D_b(G_ab(a)) - 1) ** 2).mean() + ((D_a(G_ba(b)) - 1) ** 2).mean()
        cyc_a, cyc_b = (G_ba(G_ab(a)) - a).abs().mean(), (G_ab(G_ba(b)) - b).abs().mean()
        idt_a, idt_b = (G_ba(a) - a).abs().mean(), (G_ab(b) - b).abs().mean()
        for lam_a, lam_b, frac in ((0.1, 2.0, 0.5), (0.0, 0.5, 0.0), (3.0, 3.0, 0.5)):
            terms = cyclegan.generator_losses(G_ab, G_ba, D_a, D_b, a, b, lambda_cycle=lam_b,
                                              lambda_identity_fraction=frac, lambda_cycle_a=lam_a)
            expected = gan + lam_a * cyc_a + lam_b * cyc_b + frac * (lam_a * idt_a + lam_b * idt_b)
            assert float(terms.total) == pytest.approx(float(expected), rel=1e-5)
        same = cyclegan.generator_losses(G_ab, G_ba, D_a, D_b, a, b, lambda_cycle=3.0)
    assert float(same.total) == pytest.approx(float(terms.total), rel=1e-6)  # default: lambda_A = lambda_B


def test_semantic_term_is_the_classifiers_cross_entropy_against_its_own_reading_of_the_input():
    """CyCADA's semantic consistency, recomputed by hand: -log softmax(C(G(x)))[argmax C(x)], mean over
    the batch, both directions, added with its weight; off (None) by default."""
    torch.manual_seed(2)
    G_ab, G_ba = cyclegan.define_G(TINY), cyclegan.define_G(TINY)
    D_a, D_b = cyclegan.define_D(TINY), cyclegan.define_D(TINY)
    C = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(32 * 32, 10))
    a, b = torch.rand(5, 1, 32, 32) * 2 - 1, torch.rand(5, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        plain = cyclegan.generator_losses(G_ab, G_ba, D_a, D_b, a, b)
        terms = cyclegan.generator_losses(G_ab, G_ba, D_a, D_b, a, b, classifier=C, lambda_semantic=0.7)

        def by_hand(x, fake):
            log_p = C(fake).log_softmax(1)
            label = C(x).argmax(1)
            return -sum(float(log_p[i, label[i]]) for i in range(len(x))) / len(x)

        sem_a, sem_b = by_hand(a, G_ab(a)), by_hand(b, G_ba(b))
    assert plain.semantic_a is None and plain.semantic_b is None
    assert float(terms.semantic_a) == pytest.approx(sem_a, rel=1e-5)
    assert float(terms.semantic_b) == pytest.approx(sem_b, rel=1e-5)
    assert float(terms.total) == pytest.approx(float(plain.total) + 0.7 * (sem_a + sem_b), rel=1e-5)
    with pytest.raises(ValueError):
        cyclegan.generator_losses(G_ab, G_ba, D_a, D_b, a, b, lambda_semantic=1.0)


def test_without_the_cycle_term_only_the_adversarial_terms_remain():
    torch.manual_seed(1)
    G_ab, G_ba = cyclegan.define_G(TINY), cyclegan.define_G(TINY)
    D_a, D_b = cyclegan.define_D(TINY), cyclegan.define_D(TINY)
    a, b = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        terms = cyclegan.generator_losses(G_ab, G_ba, D_a, D_b, a, b, lambda_cycle=0.0)
    assert float(terms.total) == pytest.approx(float(terms.gan_ab + terms.gan_ba))


def test_discriminator_loss_halves_real_plus_fake():
    D = cyclegan.define_D(TINY)
    real, fake = torch.rand(2, 1, 32, 32), torch.rand(2, 1, 32, 32)
    with torch.no_grad():
        expected = 0.5 * (((D(real) - 1) ** 2).mean() + (D(fake) ** 2).mean())
        assert float(cyclegan.discriminator_loss(D, real, fake)) == pytest.approx(float(expected))


def test_pool_passes_images_through_until_full():
    pool = cyclegan.ImagePool(50, seed=0)
    first = torch.arange(50, dtype=torch.float32).view(50, 1, 1, 1)
    assert torch.equal(pool.query(first), first)
    assert len(pool.images) == 50


def test_full_pool_returns_an_old_image_with_probability_one_half():
    pool = cyclegan.ImagePool(50, seed=123)
    pool.query(torch.arange(50, dtype=torch.float32).view(50, 1, 1, 1))  # values 0..49 stored
    n = 4000
    new = torch.arange(1000, 1000 + n, dtype=torch.float32).view(n, 1, 1, 1)  # all distinct, all new
    returned = pool.query(new)
    swapped = returned.flatten() != new.flatten()  # an earlier image came back instead
    fraction_old = float(swapped.float().mean())
    # binomial(4000, 0.5): standard deviation 0.0079, so +-0.04 is five sigmas
    assert abs(fraction_old - 0.5) < 0.04
    # what came back instead was always an image queried *earlier* (stored in the pool)
    positions = torch.arange(n)
    earlier = returned.flatten()[swapped] < 1000 + positions[swapped]
    assert bool(earlier.all())


def test_pool_of_size_zero_is_disabled():
    pool = cyclegan.ImagePool(0)
    x = torch.rand(3, 1, 2, 2)
    assert pool.query(x) is x


def test_learning_rate_is_constant_then_decays_linearly():
    factors = [cyclegan.linear_decay_factor(e, 3, 4) for e in range(1, 8)]
    assert factors[:3] == [1.0, 1.0, 1.0]
    steps = [factors[i] - factors[i + 1] for i in range(2, 6)]
    assert all(s == pytest.approx(1 / 5) for s in steps)
    assert factors[-1] == pytest.approx(1 / 5)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from gan_core.images import train_cyclegan

    root = tmp_path_factory.mktemp("pretrained")
    work = tmp_path_factory.mktemp("runs")
    argv = ["--task", "synthetic", "--name", "cyclegan-tiny", "--epochs", "1", "--epochs-decay", "1",
            "--ngf", "4", "--ndf", "4", "--n-blocks", "1", "--limit", "32", "--classifier-epochs", "1",
            "--gallery-size", "8", "--threads", "1", "--workdir", str(work), "--out", str(root / "cyclegan-tiny")]
    train_cyclegan.main(argv)
    return root


def test_tiny_training_run_writes_a_loadable_model(tiny_model):
    model = load("cyclegan-tiny", root=tiny_model)
    assert model.domains == ("bars", "inverted bars")
    x = torch.rand(3, 1, 32, 32) * 2 - 1
    for direction in ("a2b", "b2a"):
        assert model.translate(x, direction).shape == x.shape
    card = json.loads((tiny_model / "cyclegan-tiny" / "card.json").read_text())
    assert card["kind"] == "cyclegan"
    assert set(card["sha256"]) == {"generators.safetensors", "gallery.safetensors", "classifier.safetensors"}
    assert model.classify(x).shape == (3, 10)
    for key in ("command", "epochs", "wall_time_s", "device"):
        assert key in card["training"]
    assert "cycle_l1_a" in card["metrics"]
    assert (tiny_model / "cyclegan-tiny" / "preview.png").is_file()


def test_training_resumes_from_its_checkpoint(tiny_model, tmp_path, capsys):
    from gan_core.images import train_cyclegan

    work = tmp_path / "work"
    common = ["--task", "synthetic", "--name", "cyclegan-resume", "--epochs-decay", "0", "--ngf", "4", "--ndf", "4",
              "--n-blocks", "1", "--limit", "32", "--classifier-epochs", "1", "--gallery-size", "4",
              "--workdir", str(work), "--out", str(tmp_path / "out" / "cyclegan-resume")]
    train_cyclegan.main(common + ["--epochs", "1"])
    train_cyclegan.main(common + ["--epochs", "2"])
    assert "resuming cyclegan-resume from epoch 1" in capsys.readouterr().err
    history = json.loads((work / "losses.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]


def test_a_corrupted_weight_file_is_refused(tiny_model, tmp_path):
    copy = tmp_path / "cyclegan-tiny"
    shutil.copytree(tiny_model / "cyclegan-tiny", copy)
    weights = copy / "generators.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(PretrainedError, match="corrupted"):
        load("cyclegan-tiny", root=tmp_path)


def test_translate_checks_direction_and_shape(tiny_model):
    model = load("cyclegan-tiny", root=tiny_model)
    with pytest.raises(ValueError, match="direction"):
        model.translate(torch.zeros(1, 1, 32, 32), "sideways")
    with pytest.raises(ValueError, match="shape"):
        model.translate(torch.zeros(1, 3, 32, 32), "a2b")
    assert model.translate(torch.zeros(0, 1, 32, 32), "a2b").shape == (0, 1, 32, 32)


def test_round_trip_numbers_match_an_independent_computation(tiny_model):
    model = load("cyclegan-tiny", root=tiny_model)
    x = torch.rand(4, 1, 32, 32) * 2 - 1
    out = model.round_trip(x, "a2b")
    with torch.no_grad():
        reconstructed = model.G_ba(model.G_ab(x))
        identity = model.G_ba(x)
    for k in range(4):
        assert float(out["cycle_l1"][k]) == pytest.approx(float((reconstructed[k] - x[k]).abs().mean()), rel=1e-5)
        assert float(out["identity_l1"][k]) == pytest.approx(float((identity[k] - x[k]).abs().mean()), rel=1e-5)


SHIPPED = {"cyclegan-digits": (1, ("handwritten", "printed")), "cyclegan-emoji": (3, ("noto", "twemoji")),
           "cyclegan-digits-nocycle": (1, ("handwritten", "printed"))}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_model_translates_both_directions(name):
    if not (PRETRAINED_DIR / name / "card.json").is_file():
        pytest.fail(f"{name} not trained yet" + ": the shipped model is missing from pretrained/")
    channels, domains = SHIPPED[name]
    model = load(name)
    assert model.domains == domains
    gallery = model.gallery()
    for direction, key in (("a2b", "a"), ("b2a", "b")):
        x = gallery[key][:16].float() / 127.5 - 1
        assert x.shape == (16, channels, 32, 32)
        y = model.translate(x, direction)
        assert y.shape == x.shape and float(y.abs().max()) <= 1.0
    card = json.loads((PRETRAINED_DIR / name / "card.json").read_text())
    assert card["kind"] == "cyclegan" and card["metrics"]


def test_the_no_cycle_model_differs_from_the_shipped_one_only_in_the_cycle_term():
    """Issue 16: the comparison model is trained with the same settings minus the cycle term, so the
    page's comparison isolates that term; both carry the semantic term, which keeps the digit in both
    (what the page's caption says), checked on the shipped held-out gallery with the shipped classifier."""
    names = ("cyclegan-digits", "cyclegan-digits-nocycle")
    if not all((PRETRAINED_DIR / n / "card.json").is_file() for n in names):
        pytest.fail("digit models not trained yet" + ": the shipped model is missing from pretrained/")
    full, plain = (json.loads((PRETRAINED_DIR / n / "card.json").read_text()) for n in names)
    assert plain["objective"]["lambda_cycle"] == 0 and full["objective"]["lambda_cycle"] > 0
    drop = lambda objective: {k: v for k, v in objective.items() if k not in ("lambda_cycle",)}  # noqa: E731
    assert drop(plain["objective"]) == drop(full["objective"])
    assert plain["architecture"] == full["architecture"]
    for key in ("epochs_constant_lr", "epochs_linear_decay", "batch_size", "seed", "weights_shipped"):
        assert plain["training"][key] == full["training"][key], key
    assert plain["training"]["command"].replace(" --name cyclegan-digits-nocycle", "").replace(
        "--lambda-cycle 0 ", f"--lambda-cycle {full['objective']['lambda_cycle']:g} ") == full["training"]["command"]
    with_cycle, without = load(names[0]), load(names[1])
    gallery = with_cycle.gallery()
    for key, direction in (("a", "a2b"), ("b", "b2a")):
        x, labels = gallery[key].float() / 127.5 - 1, gallery[f"{key}_labels"]
        for model in (with_cycle, without):
            read = with_cycle.classify(model.translate(x, direction)).argmax(1)
            assert float((read == labels).float().mean()) >= 0.85, (direction, model)


def test_the_shipped_digit_model_translates_both_ways_by_its_card_and_on_its_gallery():
    """Issue 16 item 2: at least 90 % of the held-out translations judged in the target style by the
    domain classifier, both ways, on the card (next to doing nothing); and recomputed here on the
    shipped gallery (32 images a side, so a looser bound) with argmax of the classifier's own logits."""
    name = "cyclegan-digits"
    if not (PRETRAINED_DIR / name / "card.json").is_file():
        pytest.fail("not trained yet" + ": the shipped model is missing from pretrained/")
    metrics = json.loads((PRETRAINED_DIR / name / "card.json").read_text())["metrics"]
    for direction in ("a2b", "b2a"):
        assert metrics[f"domain_share_{direction}"] >= 0.9 and metrics[f"label_agreement_{direction}"] >= 0.9
        assert metrics[f"domain_share_{direction}_do_nothing"] <= 0.1
        assert metrics[f"frechet_{direction}"] < metrics[f"frechet_{direction}_do_nothing"] / 10
    model, judge = load(name), load("classifier-digits-domain")
    gallery = model.gallery()
    for key, direction, target in (("a", "a2b", 1), ("b", "b2a", 0)):
        x = gallery[key].float() / 127.5 - 1
        with torch.no_grad():
            translated = judge(model.translate(x, direction)).argmax(1)
            untouched = judge(x).argmax(1)
        assert float((translated == target).float().mean()) >= 0.8, direction
        assert float((untouched == target).float().mean()) <= 0.2, direction


def test_card_metrics_of_the_digit_model_are_reproduced_on_its_gallery():
    """Card numbers are measured on 500 + 640 held-out images; the gallery is a subset of them,
    so the cycle L1 recomputed on it must be of the same size (within a factor of 2)."""
    name = "cyclegan-digits"
    if not (PRETRAINED_DIR / name / "card.json").is_file():
        pytest.fail("not trained yet" + ": the shipped model is missing from pretrained/")
    card = json.loads((PRETRAINED_DIR / name / "card.json").read_text())
    model = load(name)
    x = model.gallery()["a"].float() / 127.5 - 1
    cycle = float(model.round_trip(x, "a2b")["cycle_l1"].mean())
    assert 0.5 < cycle / card["metrics"]["cycle_l1_a"] < 2.0


def test_digit_model_keeps_the_digit_nine_times_in_ten_by_its_card_and_by_a_second_classifier():
    """The issue's target (label agreement >= 90 % both ways) as the card states it, and a check of
    the shipped held-out gallery by the DCGAN issue's MNIST classifier, which never saw the
    CycleGAN's classifier or printed digits (so it reads printed -> handwritten translations)."""
    from gan_core.images import classifier as mnist_classifier

    name = "cyclegan-digits"
    metrics = json.loads((PRETRAINED_DIR / name / "card.json").read_text())["metrics"]
    assert metrics["label_agreement_a2b"] >= 0.9 and metrics["label_agreement_b2a"] >= 0.9
    model, other = load(name), mnist_classifier.load("mnist")
    gallery = model.gallery()
    x, labels = gallery["b"].float() / 127.5 - 1, gallery["b_labels"]
    read = other.predict_proba(model.translate(x, "b2a")).argmax(1)
    assert float((read == labels).float().mean()) >= 0.8  # 28 / 32 measured; the card: 0.881 on 640


def test_emoji_card_reports_translation_next_to_doing_nothing():
    name = "cyclegan-emoji"
    if not (PRETRAINED_DIR / name / "card.json").is_file():
        pytest.fail("not trained yet" + ": the shipped model is missing from pretrained/")
    metrics = json.loads((PRETRAINED_DIR / name / "card.json").read_text())["metrics"]
    # Issue 16 item 3: lower L1 and higher SSIM to the true counterpart than doing nothing and than a blur.
    for direction in ("a2b", "b2a"):
        for baseline in ("do_nothing", "blur"):
            assert metrics[f"l1_{direction}_translation"] < metrics[f"l1_{direction}_{baseline}"], (direction, baseline)
            assert metrics[f"ssim_{direction}_translation"] > metrics[f"ssim_{direction}_{baseline}"], (direction, baseline)
    # independent recomputation of "doing nothing" on the shipped (paired) gallery
    model = load(name)
    gallery = model.gallery()
    nothing = float(((gallery["a"].float() - gallery["b"].float()).abs() / 127.5).mean())
    assert 0.5 < nothing / metrics["l1_a2b_do_nothing"] < 2.0
    # and of the translation's L1 on the gallery's 32 held-out pairs: the card's figure is of the same size
    with torch.no_grad():
        fake_b = model.translate(gallery["a"].float() / 127.5 - 1, "a2b")
    translated = float((fake_b - (gallery["b"].float() / 127.5 - 1)).abs().mean())
    assert 0.7 < translated / metrics["l1_a2b_translation"] < 1.4


def test_printed_digit_is_framed_like_mnist():
    import numpy as np

    from gan_core.images import printed_digits

    fonts = printed_digits.usable_fonts(printed_digits.candidate_font_files()[:15])
    if not fonts:
        pytest.fail("no TrueType fonts installed (scripts/setup.sh installs fonts-dejavu-core)")
    image = printed_digits.render_digit(fonts[0], 4, np.random.default_rng(0), jitter=False)
    assert image.shape == (32, 32) and image.dtype == np.uint8
    ink = image > 40
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    assert 18 <= max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 22  # 20 px box
    ys, xs = np.mgrid[:32, :32]
    weights = image.astype(float)
    assert abs((ys * weights).sum() / weights.sum() - 16) < 1.5  # centred by centre of mass
    assert abs((xs * weights).sum() / weights.sum() - 16) < 1.5


def test_font_split_is_deterministic_and_disjoint():
    from pathlib import Path

    from gan_core.images import printed_digits

    fonts = [Path(f"/fonts/font{k}.ttf") for k in range(200)]
    train, held = printed_digits.split_fonts(fonts)
    assert not set(train) & set(held) and len(train) + len(held) == 200
    assert (train, held) == printed_digits.split_fonts(fonts)
    assert 20 <= len(held) <= 60  # about 20%


def test_emoji_skin_tone_variants_stay_on_one_side_of_the_split():
    from gan_core.images import emoji_data

    codes = ["1f44d", "1f44d-1f3fb", "1f44d-1f3fc", "1f44d-1f3fd", "1f600", "1f1e6-1f1f9"]
    sides = {code: emoji_data.is_held_out(code) for code in codes}
    assert len({sides[c] for c in codes[:4]}) == 1
    train, held = emoji_data.split_codes(codes)
    assert sorted(train + held) == sorted(codes)


def test_emoji_alpha_is_composited_on_white_and_box_downsampled():
    import numpy as np
    from PIL import Image

    from gan_core.images import emoji_data

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 32, 64))  # left half opaque blue
    out = emoji_data.composite_on_white(image)
    assert out.shape == (3, 32, 32)
    assert out[:, 5, 5].tolist() == [0, 0, 255]
    assert out[:, 5, 25].tolist() == [255, 255, 255]


def test_translating_16_images_costs_well_under_100_ms_of_cpu():
    """Speed target: 16 images in <= 100 ms on 2 cores.  CPU time on one thread is measured
    (wall time on a shared machine includes waiting for a core); it bounds 2-core wall time."""
    import time

    arch = dict(TINY, ngf=16, ndf=32, n_blocks=4, channels=3)  # the shipped emoji size (digits: 1 channel)
    model = cyclegan.CycleGANTranslator(cyclegan.define_G(arch), cyclegan.define_G(arch),
                                        {"domains": ["a", "b"], "architecture": arch})
    x = torch.rand(16, 3, 32, 32) * 2 - 1
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(3):
            model.translate(x, "a2b")
        costs = []
        for _ in range(7):
            start = time.process_time()
            model.translate(x, "a2b")
            costs.append(time.process_time() - start)
    finally:
        torch.set_num_threads(threads)
    assert sorted(costs)[3] < 0.1


@pytest.mark.parametrize("n_layers, size", [(1, 48), (2, 64), (3, 128)])
def test_receptive_field_matches_the_input_pixels_one_score_depends_on(n_layers, size):
    """Measured independently: the input pixels with a non-zero gradient for the centre score.

    Instance norm couples every pixel to every score through its mean and variance, so it is
    replaced by the identity for the measurement (it changes no receptive field).
    """
    from gan_core.images.cyclegan import PatchDiscriminator

    D = PatchDiscriminator(1, 4, n_layers)
    torch.manual_seed(0)
    for layer in D.model:
        if isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.uniform_(layer.weight, 0.1, 1.0)  # positive: no cancellation
    D.model = torch.nn.Sequential(*[torch.nn.Identity() if isinstance(m, torch.nn.InstanceNorm2d) else m
                                    for m in D.model])
    x = torch.rand(1, 1, size, size, requires_grad=True)
    out = D(x)
    h, w = out.shape[-2:]
    out[0, 0, h // 2, w // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
    assert int(rows.max() - rows.min() + 1) == int(cols.max() - cols.min() + 1) == D.receptive_field
    assert D.receptive_field == {1: 16, 2: 34, 3: 70}[n_layers]  # 70: the reference's "70x70 PatchGAN"


def test_tracking_labels_leaves_the_trained_weights_unchanged(tmp_path):
    """--track-labels trains a classifier before epoch 1; the CycleGAN's weights must not notice."""
    from safetensors.torch import load_file

    from gan_core.images import train_cyclegan

    digests = []
    for extra in ([], ["--track-labels"]):
        out = tmp_path / f"out{len(extra)}" / "cyclegan-synthetic"
        train_cyclegan.main(["--task", "synthetic", "--limit", "32", "--epochs", "1", "--epochs-decay", "1",
                             "--ngf", "4", "--ndf", "4", "--n-blocks", "1", "--classifier-epochs", "1", "--threads", "1",
                             "--workdir", str(tmp_path / f"work{len(extra)}"), "--out", str(out), *extra])
        digests.append(load_file(str(out / "generators.safetensors")))
    history = json.loads((tmp_path / "work1" / "losses.json").read_text())
    assert all({"label_a2b", "label_b2a"} <= set(h) for h in history)
    for key in digests[0]:
        assert torch.equal(digests[0][key], digests[1][key]), key


def test_ema_generators_follow_the_average_recursion_and_are_shipped(tmp_path):
    """--ema-decay d: after every G step, average <- d * average + (1 - d) * G (checked across a resume,
    from the two checkpoints), and the shipped generators are the averages, not the networks."""
    from safetensors.torch import load_file

    from gan_core.images import train_cyclegan

    d, work, out = 0.75, tmp_path / "work", tmp_path / "out" / "cyclegan-synthetic"
    common = ["--task", "synthetic", "--limit", "32", "--batch-size", "32", "--epochs-decay", "0", "--ngf", "4",
              "--ndf", "4", "--n-blocks", "1", "--classifier-epochs", "1", "--gallery-size", "4", "--threads", "1",
              "--ema-decay", str(d), "--workdir", str(work), "--out", str(out)]
    train_cyclegan.main(common + ["--epochs", "1"])  # one step per epoch (32 images, batch 32)
    first = torch.load(work / "checkpoint.pt", weights_only=True)
    train_cyclegan.main(common + ["--epochs", "2"])
    second = torch.load(work / "checkpoint.pt", weights_only=True)
    shipped = load_file(str(out / "generators.safetensors"))
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["weights_shipped"].startswith("exponential moving average")
    for g in ("G_ab", "G_ba"):
        for key, raw in second[g].items():
            if not raw.is_floating_point():
                continue
            expected = d * first[g + "_ema"][key] + (1 - d) * raw
            assert torch.allclose(second[g + "_ema"][key], expected, atol=1e-6), (g, key)
            assert torch.equal(shipped[f"{g}.{key}"], second[g + "_ema"][key])
        assert any(not torch.equal(second[g][k], second[g + "_ema"][k]) for k in second[g])
    with pytest.raises(SystemExit):
        train_cyclegan.parse_args(["--task", "synthetic", "--ema-decay", "1"])


def test_semantic_training_records_its_term_and_names_it_on_the_card(tmp_path):
    from gan_core.images import train_cyclegan

    out = tmp_path / "out" / "cyclegan-synthetic"
    train_cyclegan.main(["--task", "synthetic", "--limit", "32", "--epochs", "1", "--epochs-decay", "0", "--ngf", "4",
                         "--ndf", "4", "--n-blocks", "1", "--classifier-epochs", "1", "--gallery-size", "4",
                         "--threads", "1", "--lambda-semantic", "1", "--lambda-cycle-a", "0.25",
                         "--workdir", str(tmp_path / "work"), "--out", str(out)])
    history = json.loads((tmp_path / "work" / "losses.json").read_text())
    assert history[0]["semantic_a"] > 0 and history[0]["semantic_b"] > 0
    objective = json.loads((out / "card.json").read_text())["objective"]
    assert objective["lambda_semantic"] == 1.0 and "seed 1000" in objective["semantic"]
    assert objective["lambda_cycle_a"] == 0.25 and objective["lambda_cycle"] == 10.0


def test_ema_start_copies_the_generators_until_its_epoch(tmp_path):
    """--ema-start 2: after epoch 1 the averages equal the generators (decay 0 copies); from epoch 2 on
    they follow the recursion; the card says from which epoch."""
    from gan_core.images import train_cyclegan

    d, work, out = 0.75, tmp_path / "work", tmp_path / "out" / "cyclegan-synthetic"
    common = ["--task", "synthetic", "--limit", "32", "--batch-size", "32", "--epochs-decay", "0", "--ngf", "4",
              "--ndf", "4", "--n-blocks", "1", "--classifier-epochs", "1", "--gallery-size", "4", "--threads", "1",
              "--ema-decay", str(d), "--ema-start", "2", "--workdir", str(work), "--out", str(out)]
    train_cyclegan.main(common + ["--epochs", "1"])
    first = torch.load(work / "checkpoint.pt", weights_only=True)
    for g in ("G_ab", "G_ba"):
        for key, raw in first[g].items():
            if raw.is_floating_point():
                assert torch.equal(first[g + "_ema"][key], raw), (g, key)
    train_cyclegan.main(common + ["--epochs", "2"])
    second = torch.load(work / "checkpoint.pt", weights_only=True)
    for g in ("G_ab", "G_ba"):
        for key, raw in second[g].items():
            if raw.is_floating_point():
                expected = d * first[g + "_ema"][key] + (1 - d) * raw
                assert torch.allclose(second[g + "_ema"][key], expected, atol=1e-6), (g, key)
    card = json.loads((out / "card.json").read_text())
    assert "from epoch 2" in card["training"]["weights_shipped"]
    with pytest.raises(SystemExit):
        train_cyclegan.parse_args(["--task", "synthetic", "--ema-start", "0"])
