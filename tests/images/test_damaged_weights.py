"""Damaged model files: the image pages explain the problem, the other pages carry on.

Each case copies ``pretrained/`` to a temporary folder, damages one weight file of the model each
page opens by default (``dcgan-mnist``, ``cyclegan-digits``) and points ``GAN_PRETRAINED_DIR`` at the
copy, as an operator would.  The pages run through the real navigation (``app.py``) in AppTest.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import streamlit as st

from apptest_helpers import assert_clean, open_page
from gan_core.images import pretrained

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "pretrained"
DCGAN_PAGE, CYCLEGAN_PAGE = "pages/dcgan.py", "pages/cyclegan.py"
# (page, model it opens by default, the weight file damaged)
TARGETS = {
    DCGAN_PAGE: ("dcgan-mnist", "generator.safetensors"),
    CYCLEGAN_PAGE: ("cyclegan-digits", "generators.safetensors"),
}


def _missing(path: Path) -> None:
    path.unlink()


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _card_disagrees(path: Path) -> None:
    """The file is intact but the card's sha256 for it is another file's (a card edited by hand)."""
    card_path = path.parent / "card.json"
    card = json.loads(card_path.read_text())
    digest = card["sha256"][path.name]
    card["sha256"][path.name] = digest[::-1]
    card_path.write_text(json.dumps(card, indent=2))


def _truncated_and_rehashed(path: Path) -> None:
    """Truncated, and the card 'fixed' to the truncated file's digest: the sha256 check passes,
    safetensors itself must refuse the file."""
    _truncated(path)
    card_path = path.parent / "card.json"
    card = json.loads(card_path.read_text())
    card["sha256"][path.name] = pretrained.sha256_of(path)
    card_path.write_text(json.dumps(card, indent=2))


# damage -> words the error must contain (besides the file name)
DAMAGES = {
    "missing": (_missing, "missing"),
    "truncated": (_truncated, "corrupted"),
    "sha256 differs from the card": (_card_disagrees, "corrupted"),
    "truncated, card re-hashed": (_truncated_and_rehashed, "do not fit"),
}


@pytest.fixture
def models_folder(tmp_path, monkeypatch):
    """A fresh copy of pretrained/ served through GAN_PRETRAINED_DIR; returns its path."""
    if not (SHIPPED / "dcgan-mnist" / "card.json").is_file() or not (SHIPPED / "cyclegan-digits" / "card.json").is_file():
        pytest.fail("the shipped models dcgan-mnist and cyclegan-digits are missing from pretrained/")
    copy = tmp_path / "models"
    shutil.copytree(SHIPPED, copy)
    monkeypatch.setenv("GAN_PRETRAINED_DIR", str(copy))
    # An earlier test's monkeypatch.setattr(pretrained, "PRETRAINED_DIR", ...) leaves a plain attribute
    # behind when it is undone; while it exists it wins over the variable, so remove it for this test.
    if "PRETRAINED_DIR" in vars(pretrained):
        monkeypatch.delattr(pretrained, "PRETRAINED_DIR")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield copy
    st.cache_resource.clear()
    st.cache_data.clear()


def test_the_variable_is_read_at_call_time(tmp_path, monkeypatch):
    if "PRETRAINED_DIR" in vars(pretrained):
        monkeypatch.delattr(pretrained, "PRETRAINED_DIR")
    monkeypatch.delenv("GAN_PRETRAINED_DIR", raising=False)
    assert pretrained.PRETRAINED_DIR == SHIPPED
    monkeypatch.setenv("GAN_PRETRAINED_DIR", str(tmp_path))
    assert pretrained.PRETRAINED_DIR == tmp_path and pretrained.available() == []
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "card.json").write_text("{}")
    assert pretrained.available() == ["x"]
    pretrained.PRETRAINED_DIR = SHIPPED  # an assignment wins over the variable ...
    try:
        assert "dcgan-mnist" in pretrained.available()
    finally:
        del pretrained.PRETRAINED_DIR  # ... until it is deleted again
    assert pretrained.available() == ["x"]


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("page", [DCGAN_PAGE, CYCLEGAN_PAGE])
def test_damaged_weights_give_a_clear_error_not_a_traceback(models_folder, page, damage):
    model, filename = TARGETS[page]
    apply, words = DAMAGES[damage]
    apply(models_folder / model / filename)
    at = open_page(page)
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert model in errors[0] and words in errors[0], errors[0]
    if damage != "truncated, card re-hashed":
        assert filename in errors[0], errors[0]
    # The page stopped at the message: no half-drawn pictures below it.
    assert not at.get("image")


def test_the_error_names_the_overridden_folder(models_folder):
    model, filename = TARGETS[DCGAN_PAGE]
    (models_folder / model / filename).unlink()
    at = open_page(DCGAN_PAGE)
    assert str(models_folder / model) in at.error[0].value  # the override was used, not pretrained/


@pytest.mark.parametrize("page", [DCGAN_PAGE, CYCLEGAN_PAGE])
def test_an_intact_copy_renders_normally(models_folder, page):
    at = open_page(page)
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("image")) >= 1


@pytest.mark.parametrize("page", ["pages/information_theory.py", "pages/gan_lab.py", "pages/home.py"])
def test_other_pages_render_while_every_model_is_damaged(models_folder, page):
    for model, filename in TARGETS.values():
        _truncated(models_folder / model / filename)
    (models_folder / "cyclegan-emoji" / "generators.safetensors").unlink()
    at = open_page(page, timeout=120)
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert len(at.title) == 1


def test_the_intact_dcgan_model_still_works_beside_a_damaged_one(models_folder):
    (models_folder / "dcgan-mnist" / "generator.safetensors").unlink()
    at = open_page(DCGAN_PAGE)
    assert len(at.error) == 1
    at.selectbox(key="dcgan_model").set_value("dcgan-fashion-mnist").run()
    assert_clean(at)
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("image")) >= 5


# Damage outside the weight files: a card or a training record that is not JSON.
def test_cyclegan_card_that_is_not_json_gives_a_message(models_folder):
    (models_folder / "cyclegan-digits" / "card.json").write_text("{not json")
    at = open_page(CYCLEGAN_PAGE)
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1 and "not valid JSON" in at.error[0].value


def test_dcgan_losses_file_that_is_not_json_gives_a_message(models_folder):
    (models_folder / "dcgan-mnist" / "losses.json").write_text("{not json")
    at = open_page(DCGAN_PAGE)
    assert not at.exception, [e.message for e in at.exception]
    assert any("losses.json" in e.value for e in at.error), [e.value for e in at.error]
    assert len(at.get("image")) >= 4  # the samples above the training section are still shown
