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
    assert len(at.table) == 1


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
