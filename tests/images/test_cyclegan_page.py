"""The CycleGAN page under AppTest: both models, both directions, the comparison, uploads."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from gan_core.images import pretrained

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "cyclegan.py")


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    """Three tiny models under the shipped names, so the page test never depends on long training."""
    from gan_core.images import train_cyclegan

    root = tmp_path_factory.mktemp("pretrained")
    work = tmp_path_factory.mktemp("runs")
    for task, name in (("synthetic", "cyclegan-digits"), ("synthetic", "cyclegan-digits-nocycle"),
                       ("synthetic-colour", "cyclegan-emoji")):
        train_cyclegan.main(["--task", task, "--name", name, "--epochs", "1", "--epochs-decay", "0",
                             "--ngf", "4", "--ndf", "4", "--n-blocks", "1", "--limit", "32",
                             "--classifier-epochs", "1", "--gallery-size", "8", "--threads", "1",
                             "--workdir", str(work / name), "--out", str(root / name)]
                            + (["--lambda-cycle", "0"] if name.endswith("nocycle") else []))
    return root


def run_page(monkeypatch, root) -> AppTest:
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", root)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    return at


def metric_value(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


@pytest.mark.parametrize("model", ["cyclegan-digits", "cyclegan-emoji"])
@pytest.mark.parametrize("direction", ["a2b", "b2a"])
def test_page_shows_the_round_trip_for_each_model_and_direction(monkeypatch, tiny_root, model, direction):
    at = run_page(monkeypatch, tiny_root)
    at.selectbox(key="cg_model").set_value(model).run()
    at.radio(key="cg_direction").set_value(direction).run()
    at.slider(key="cg_example").set_value(3).run()
    assert not at.exception
    assert len(at.latex) >= 2
    # the cycle L1 on screen equals an independent computation on the same gallery image
    translator = pretrained.load(model, root=tiny_root)
    key = "a" if direction == "a2b" else "b"
    x = translator.gallery()[key][2:3].float() / 127.5 - 1
    forward, backward = ((translator.G_ab, translator.G_ba) if direction == "a2b"
                         else (translator.G_ba, translator.G_ab))
    with torch.no_grad():
        expected = float((backward(forward(x)) - x).abs().mean())
    assert float(metric_value(at, "Cycle L1")) == pytest.approx(expected, abs=6e-4)
    if model == "cyclegan-emoji":  # true counterpart vs doing nothing, independently
        other = translator.gallery()["b" if key == "a" else "a"][2:3].float() / 127.5 - 1
        with torch.no_grad():
            translated = float((forward(x) - other).abs().mean())
        assert float(metric_value(at, "L1 to the true")) == pytest.approx(translated, abs=6e-4)


def test_toggle_compares_with_the_model_trained_without_cycle_term(monkeypatch, tiny_root):
    at = run_page(monkeypatch, tiny_root)
    at.toggle(key="cg_nocycle").set_value(True).run()
    assert not at.exception
    assert any(m.label.startswith("Cycle L1 without") for m in at.metric)
    assert sum("model" in t.value.columns for t in at.table) == 1  # the comparison (the other is the card's quality)


def test_bad_uploads_give_a_message_and_the_page_keeps_working(monkeypatch, tiny_root):
    from test_uploads import CONVERTED, REFUSED

    at = run_page(monkeypatch, tiny_root)
    at.radio(key="cg_source").set_value("Upload").run()
    for case, (data, words) in REFUSED.items():
        at.file_uploader(key="cg_upload").set_value(("upload.png", data, "image/png")).run()
        assert not at.exception, case
        assert any(words in e.value.lower() for e in at.error), case
    for case in ("16-bit greyscale png", "cmyk jpeg", "animated gif", "palette png with transparency"):
        at.file_uploader(key="cg_upload").set_value(("upload.bin", CONVERTED[case](), "image/png")).run()
        assert not at.exception, case
        assert not at.error, case
        assert any(m.label.startswith("Cycle L1") for m in at.metric), case


def test_upload_works_for_the_colour_model(monkeypatch, tiny_root):
    from test_uploads import CONVERTED

    at = run_page(monkeypatch, tiny_root)
    at.selectbox(key="cg_model").set_value("cyclegan-emoji").run()
    at.radio(key="cg_source").set_value("Upload").run()
    at.file_uploader(key="cg_upload").set_value(("x.png", CONVERTED["rgba black on transparent"](), "image/png")).run()
    assert not at.exception and not at.error
    assert any(m.label.startswith("Cycle L1") for m in at.metric)


def test_draw_mode_never_fails(monkeypatch, tiny_root):
    at = run_page(monkeypatch, tiny_root)
    at.radio(key="cg_source").set_value("Draw").run()
    assert not at.exception


@pytest.mark.parametrize("model", ["cyclegan-digits", "cyclegan-emoji"])
def test_page_runs_with_the_shipped_models(model):
    if not (pretrained.PRETRAINED_DIR / model / "card.json").is_file():
        pytest.fail(f"{model} is not trained yet" + ": the shipped model is missing from pretrained/")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.selectbox(key="cg_model").set_value(model).run()
    for direction in ("a2b", "b2a"):
        at.radio(key="cg_direction").set_value(direction).run()
        assert not at.exception
        assert any(m.label.startswith("Cycle L1") for m in at.metric)
    if model == "cyclegan-digits" and (pretrained.PRETRAINED_DIR / "cyclegan-digits-nocycle" / "card.json").is_file():
        at.toggle(key="cg_nocycle").set_value(True).run()
        assert not at.exception


def _send_stale_label(radio, label: str) -> None:
    """Make AppTest send ``label`` for ``radio`` as the browser does: the frontend keeps the label it
    last showed and sends that string back after the options changed under it (issue 21 item 1)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    class StaleRadio(type(radio)):
        @property
        def _widget_state(self):
            state = WidgetState()
            state.id = self.id
            state.string_value = label
            return state

    radio.__class__ = StaleRadio
    radio._value = label


@pytest.mark.parametrize("first, second", [("cyclegan-digits", "cyclegan-emoji"), ("cyclegan-emoji", "cyclegan-digits")])
@pytest.mark.parametrize("old_index", [0, 1])
def test_switching_the_model_then_moving_the_gallery_never_crashes(monkeypatch, tiny_root, first, second, old_index):
    """Issue 21 item 1: choose cyclegan-emoji, then move "Gallery image" -> ValueError about the
    direction 'handwritten → printed' (the digits model's label, sent back by the browser)."""
    at = run_page(monkeypatch, tiny_root)
    at.selectbox(key="cg_model").set_value(first).run()
    at.radio(key="cg_direction").set_value(["a2b", "b2a"][old_index]).run()
    shown = at.radio(key="cg_direction")
    old_label = shown.options[old_index]
    old_caption = ["handwritten → printed", "printed → handwritten", "Google Noto → Twemoji",
                   "Twemoji → Google Noto"]
    at.selectbox(key="cg_model").set_value(second).run()
    _send_stale_label(at.radio(key="cg_direction"), old_label)
    at.slider(key="cg_example").set_value(3).run()
    assert not at.exception, [e.value for e in at.exception]
    # the labels do not depend on the model, so the visitor's direction survives the switch
    assert at.radio(key="cg_direction").value == ["a2b", "b2a"][old_index]
    assert any(m.label.startswith("Cycle L1") for m in at.metric)
    # and a label the page never offered (an old model's domain names) falls back to the default
    for stale in old_caption:
        _send_stale_label(at.radio(key="cg_direction"), stale)
        at.slider(key="cg_example").set_value(2).run()
        assert not at.exception, (stale, [e.value for e in at.exception])
        assert at.radio(key="cg_direction").value in ("a2b", "b2a")


# ------------------------------------------------------------- measured quality (issue 21 item 9, issue 16 item 1)
FUTURE = {  # keys as the evaluation may write them: a metric, and the same for the baselines
    "domain_share_a2b": 0.9712, "domain_share_a2b_do_nothing": 0.0288, "domain_share_a2b_real_target": 0.985,
    "domain_share_b2a": 0.955, "domain_share_b2a_identity": 0.0412,
    "frechet_a2b": 3.21, "frechet_a2b_identity": 41.5,
    "ssim_b2a": 0.402, "ssim_b2a_identity": 0.369, "ssim_b2a_blur": 0.388,
    "l1_b2a_translation": 0.301, "l1_b2a_do_nothing": 0.3092, "l1_b2a_blur": 0.289,
    "some_new_score_a2b": 1.5, "some_new_score_a2b_identity": 2.5,
}


def test_card_keys_are_read_by_their_parts():
    from pages.images.cyclegan_quality import parse_key

    assert parse_key("cycle_l1_a") == ("cycle_l1", "a2b", "model")
    assert parse_key("identity_l1_b") == ("identity_l1", "b2a", "model")
    assert parse_key("label_agreement_b2a") == ("label_agreement", "b2a", "model")
    assert parse_key("l1_a2b_do_nothing") == ("l1", "a2b", "input")
    assert parse_key("l1_a2b_translation") == ("l1", "a2b", "model")
    assert parse_key("ssim_b2a_blur") == ("ssim", "b2a", "blur")
    assert parse_key("domain_share_a2b_identity") == ("domain_share", "a2b", "input")
    assert parse_key("domain_share_b2a_real_target") == ("domain_share", "b2a", "real")
    assert parse_key("label_agreement_a2b_do_nothing") == ("label_agreement", "a2b", "input")
    assert parse_key("classifier_accuracy_real_b") == ("classifier_accuracy", "b2a", "real")
    assert parse_key("samples") is None and parse_key("target") is None


def test_new_metric_keys_with_baselines_appear_in_the_table_and_in_words():
    from pages.images.cyclegan_quality import quality_rows, quality_sentences

    rows = quality_rows(FUTURE, ("handwritten", "printed"))
    cell = {(r["direction"], r["measured"]): r for r in rows}
    share = cell[("handwritten → printed", "judged printed by the domain classifier")]
    assert (share["this model"], share["untranslated input (doing nothing)"], share["real images (no generator)"]) \
        == ("97.1%", "2.9%", "98.5%")
    ssim = cell[("printed → handwritten", "SSIM to the true handwritten counterpart (7×7 window)")]
    assert (ssim["this model"], ssim["untranslated input (doing nothing)"], ssim["3×3 blur of the input"]) == \
        ("0.402", "0.369", "0.388")
    unknown = cell[("handwritten → printed", "some new score")]  # no words for it: shown, not judged
    assert (unknown["this model"], unknown["better"]) == ("1.500", "")
    assert len(rows) == 6
    said = quality_sentences(FUTURE, ("handwritten", "printed"))
    assert ("handwritten → printed: judged printed in 97.1% of translations, against 2.9% of the "
            "untranslated inputs and 98.5% of real printed images (better than doing nothing).") in said
    # verdicts computed from the numbers: L1 0.301 beats doing nothing (0.3092) but not a blur (0.289)
    l1 = next(s for s in said if "L1 distance" in s)
    assert "0.301" in l1 and "better than doing nothing" in l1 and "worse than a blur" in l1
    ssim_said = next(s for s in said if "SSIM" in s)
    assert "better than doing nothing, better than a blur" in ssim_said
    assert len(said) == 6  # every metric with a model figure and a baseline, per direction


def test_page_shows_quality_as_a_table_with_baselines_not_json(monkeypatch, tiny_root, tmp_path):
    import json
    import shutil

    root = tmp_path / "pretrained"
    shutil.copytree(tiny_root, root)
    card_path = root / "cyclegan-emoji" / "card.json"
    card = json.loads(card_path.read_text())
    card["metrics"].update(FUTURE)
    card_path.write_text(json.dumps(card))
    at = run_page(monkeypatch, root)
    at.selectbox(key="cg_model").set_value("cyclegan-emoji").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.json, "the card's metrics are shown as a table, not a JSON blob"
    tables = [t.value for t in at.table]
    quality = next(t for t in tables if "measured" in t.columns)
    assert {"this model", "untranslated input (doing nothing)", "3×3 blur of the input"} <= set(quality.columns)
    domain_a, domain_b = card["domains"]  # the tiny colour task's: not the emoji sets' names
    share = quality[quality["measured"] == f"judged {domain_b} by the domain classifier"]
    assert share.iloc[0]["this model"] == "97.1%"
    words = " ".join(m.value for m in at.markdown)
    assert f"judged {domain_b} in 97.1% of translations, against 2.9% of the untranslated inputs" in words
    # the tiny model's own cycle L1 is on the card and in the table, to its 3 decimals
    cycle = quality[(quality["measured"].str.startswith("cycle L1")) & (quality["direction"] == f"{domain_a} → {domain_b}")]
    assert cycle.iloc[0]["this model"] == f"{card['metrics']['cycle_l1_a']:.3f}"


@pytest.mark.parametrize("lam, lam_id, words", [(10.0, 5.0, "weighted 5, half the cycle weight"),
                                                 (0.5, 0.0, "switched off in this model"),
                                                 (2.0, 0.5, "weighted 0.5.")])
def test_the_objectives_weights_on_the_page_are_the_cards(monkeypatch, tiny_root, tmp_path, lam, lam_id, words):
    import json
    import shutil

    root = tmp_path / "pretrained"
    shutil.copytree(tiny_root, root)
    card_path = root / "cyclegan-digits" / "card.json"
    card = json.loads(card_path.read_text())
    card["objective"].update(lambda_cycle=lam, lambda_identity=lam_id)
    card_path.write_text(json.dumps(card))
    at = run_page(monkeypatch, root)
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"$\\lambda_{{cyc}} = {lam:g}$ and $\\lambda_{{id}} = {lam_id:g}$" in text
    assert f"weighted {lam:g} in this model" in text and text.count(words) == 2  # term by term, and the summary


def test_page_without_baselines_says_so(monkeypatch, tiny_root, tmp_path):
    import json
    import shutil

    root = tmp_path / "pretrained"
    shutil.copytree(tiny_root, root)
    card_path = root / "cyclegan-digits" / "card.json"
    card = json.loads(card_path.read_text())
    card["metrics"] = {k: v for k, v in card["metrics"].items()  # a card from before the baselines
                       if not k.endswith(("_do_nothing", "_blur", "_identity", "_real_target"))}
    card_path.write_text(json.dumps(card))
    at = run_page(monkeypatch, root)
    assert not at.exception and not at.json
    assert any(t.value.columns[1] == "measured" for t in at.table)
    assert any("no baseline figures yet" in c.value for c in at.caption)


def test_digit_agreement_is_said_next_to_doing_nothing(monkeypatch, tiny_root):
    """The trainer's card has label agreement for the untranslated input too: the sentence uses it."""
    import json

    metrics = json.loads((tiny_root / "cyclegan-digits" / "card.json").read_text())["metrics"]
    at = run_page(monkeypatch, tiny_root)
    assert not at.exception
    words = " ".join(m.value for m in at.markdown)
    kept, nothing = metrics["label_agreement_a2b"], metrics["label_agreement_a2b_do_nothing"]
    assert (f"the digit classifier reads the input's digit in {100 * kept:.1f}% of translations, against "
            f"{100 * nothing:.1f}% of the untranslated inputs") in words


def test_the_cited_sections_of_the_cyclegan_paper():
    """Issue 20 item 15: mode collapse is reported in the paper's section 1 (Introduction: "standard
    procedures often lead to the well-known problem of mode collapse"); section 3.2 argues the
    permutation point. The page said section 3.2 for mode collapse."""
    text = Path(PAGE).read_text()
    assert "section 3.2) names" not in text
    assert "section 1) reports this mode collapse" in text


@pytest.mark.parametrize("card_rf, d_layers, expected", [(70, 2, 70), (None, 1, 16), (None, 3, 70)])
def test_the_patch_size_on_the_page_is_the_cards_or_the_layers(monkeypatch, tiny_root, tmp_path,
                                                               card_rf, d_layers, expected):
    """The term-by-term text names the PatchGAN's patch from the card's receptive field (the trainer
    writes it); a card without one gets it from the convolutions of a discriminator of its layers."""
    import json
    import shutil

    root = tmp_path / "pretrained"
    shutil.copytree(tiny_root, root)
    card_path = root / "cyclegan-digits" / "card.json"
    card = json.loads(card_path.read_text())
    card["architecture"]["d_layers"] = d_layers
    card["architecture"].pop("discriminator_receptive_field_px", None)
    if card_rf is not None:
        card["architecture"]["discriminator_receptive_field_px"] = card_rf
    card_path.write_text(json.dumps(card))
    at = run_page(monkeypatch, root)
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"one per overlapping patch of {expected} × {expected} pixels" in text


@pytest.mark.parametrize("lam_sem", [0.0, 1.0, 0.25])
def test_a_semantic_term_on_the_card_appears_in_the_objective(monkeypatch, tiny_root, tmp_path, lam_sem):
    """A model trained with CyCADA's semantic term (--lambda-semantic) shows it in the formula, with its
    weight, in the term-by-term text and the summary; a model without it shows none of it."""
    import json
    import shutil

    root = tmp_path / "pretrained"
    shutil.copytree(tiny_root, root)
    card_path = root / "cyclegan-digits" / "card.json"
    card = json.loads(card_path.read_text())
    card["objective"].update(lambda_cycle=0.5, lambda_identity=0.0, lambda_semantic=lam_sem)
    card_path.write_text(json.dumps(card))
    at = run_page(monkeypatch, root)
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    formulas = " ".join(x.value for x in at.latex)
    if lam_sem:
        assert r"\lambda_{sem}" in formulas and r"\mathrm{CE}\big(C(G(x))" in formulas
        assert f"$\\lambda_{{cyc}} = 0.5$, $\\lambda_{{id}} = 0$ and $\\lambda_{{sem}} = {lam_sem:g}$" in text
        assert f"cross-entropy of $C$ on ② against that answer is weighted {lam_sem:g}" in text
        assert f"a semantic term (weighted {lam_sem:g}) keeps the digit's class" in text
    else:
        assert r"\lambda_{sem}" not in formulas and "Semantic term" not in text and "semantic term" not in text
        assert "$\\lambda_{cyc} = 0.5$ and $\\lambda_{id} = 0$" in text
