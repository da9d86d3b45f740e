"""The DCGAN page runs for both shipped models and explains a broken model instead of crashing."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gan_core.images import pretrained

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "dcgan.py")
MODELS = ["dcgan-mnist", "dcgan-fashion-mnist"]


def _run(model: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if model:
        at.session_state["dcgan_model"] = model
    return at.run()


def _texts(at: AppTest) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])


@pytest.mark.parametrize("model", MODELS)
def test_page_renders_every_section_for_the_model(model):
    if not (ROOT / "pretrained" / model / "card.json").is_file():
        pytest.fail(f"{model} not shipped yet" + ": the shipped model is missing from pretrained/")
    at = _run(model)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    headers = [h.value for h in at.header]
    assert len(headers) == 7 and headers[0] == "1. Samples"
    assert at.selectbox(key="dcgan_model").value == model
    assert len(at.get("image")) >= 5  # grid, neighbours, interpolation strip, direction walk, progression
    # The sample grid's own PNG download (every chart also has PNG / SVG export buttons).
    assert sum(b.proto.id.endswith("-dcgan_download") for b in at.get("download_button")) == 1
    text = _texts(at)
    assert "nats" in text and "nearest" in text
    # the spread over independent draws, from the card's lists
    import json

    draws = json.loads((ROOT / "pretrained" / model / "card.json").read_text())["metrics"]["draws"]
    conf, fd = draws["mean_confidence"], draws["frechet_distance"]
    assert (f"Over {len(conf)} independent draws of that size" in text
            and f"{100 * min(conf):.1f}-{100 * max(conf):.1f}%" in text and f"{min(fd):.2f}-{max(fd):.2f}" in text)


def test_changing_seed_count_and_walks_reruns_cleanly():
    if not (ROOT / "pretrained" / "dcgan-mnist" / "card.json").is_file():
        pytest.fail("dcgan-mnist not shipped yet" + ": the shipped model is missing from pretrained/")
    at = _run("dcgan-mnist")
    at.number_input(key="dcgan_seed").set_value(7)
    at.slider(key="dcgan_count").set_value(8)
    at.number_input(key="dcgan_interp_b").set_value(40)  # beyond the 8 samples: clamped, with a note
    at.radio(key="dcgan_dir_kind").set_value("random")
    at.radio(key="dcgan_animate").set_value("linear").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("read as 8" in i.value for i in at.info)


def _broken_copy(tmp_path: Path, monkeypatch, damage) -> None:
    for name in MODELS:
        if (ROOT / "pretrained" / name).is_dir():
            shutil.copytree(ROOT / "pretrained" / name, tmp_path / name)
    damage(tmp_path / "dcgan-mnist")
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)


def test_missing_weight_file_gives_a_clear_message_not_a_traceback(tmp_path, monkeypatch):
    if not (ROOT / "pretrained" / "dcgan-mnist" / "card.json").is_file():
        pytest.fail("dcgan-mnist not shipped yet" + ": the shipped model is missing from pretrained/")
    _broken_copy(tmp_path, monkeypatch, lambda folder: (folder / "generator.safetensors").unlink())
    at = _run("dcgan-mnist")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "generator.safetensors is missing" in at.error[0].value
    assert not at.get("image")  # nothing half-drawn after the message


def test_corrupted_weight_file_gives_a_clear_message(tmp_path, monkeypatch):
    if not (ROOT / "pretrained" / "dcgan-mnist" / "card.json").is_file():
        pytest.fail("dcgan-mnist not shipped yet" + ": the shipped model is missing from pretrained/")

    def corrupt(folder):
        path = folder / "generator.safetensors"
        path.write_bytes(path.read_bytes()[:-1] + b"\x00")

    _broken_copy(tmp_path, monkeypatch, corrupt)
    at = _run("dcgan-mnist")
    assert not at.exception and "corrupted" in at.error[0].value


# Issue 20 item 2: Streamlit's integer number_input calls int() on the link's text before its range
# check, so these values raised OverflowError with a traceback (and stayed in the address).
HOSTILE = ["inf", "1e400", "9" * 309]  # for every key; the seed also gets the rest of the list
MORE_HOSTILE = ["-inf", "Infinity", "nan", "-5", "2.5", "seven"]
LINKED = {"dcgan_seed": 0, "dcgan_interp_a": 1, "dcgan_interp_b": 2, "dcgan_dir_k": 0, "dcgan_dir_seed": 0,
          "dcgan_count": 32, "dcgan_interp_steps": 10}
KIND = {"dcgan_dir_k": "one coordinate z_k", "dcgan_dir_seed": "random unit vector"}


@pytest.mark.parametrize("key", sorted(LINKED))
def test_a_hostile_number_in_the_link_opens_the_default_with_a_note(key):
    if not (ROOT / "pretrained" / "dcgan-mnist" / "card.json").is_file():
        pytest.fail("dcgan-mnist not shipped yet" + ": the shipped model is missing from pretrained/")
    for bad in HOSTILE + (MORE_HOSTILE if key == "dcgan_seed" else []):
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.query_params[key] = bad
        if key in KIND:
            at.query_params["dcgan_dir_kind"] = KIND[key]
        at.run()
        assert not at.exception, (key, bad[:12], [e.value[:200] for e in at.exception])
        widget = (at.number_input if key not in ("dcgan_count", "dcgan_interp_steps") else at.slider)(key=key)
        assert widget.value == LINKED[key], (key, bad[:12])
        notes = " ".join(t.value for t in at.text)
        assert f"{key}=" in notes and "was ignored" in notes, (key, bad[:12], notes)
        assert key not in at.query_params, "the bad value must leave the address (a reload would repeat it)"


def test_a_good_number_in_the_link_is_kept():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["dcgan_seed"] = "12345"
    at.query_params["dcgan_dir_kind"] = "one coordinate z_k"
    at.query_params["dcgan_dir_k"] = "7"
    at.run()
    assert not at.exception
    assert at.number_input(key="dcgan_seed").value == 12345 and at.number_input(key="dcgan_dir_k").value == 7
    assert not any("was ignored" in t.value for t in at.text)


def test_init_guideline_gives_the_standard_deviation_not_a_bare_second_parameter():
    """Issue 20 item 15: 'N(0, 0.02)' reads as variance 0.02; the paper means standard deviation 0.02."""
    from gan_core.images import dcgan

    at = _run("dcgan-mnist")
    text = _texts(at)
    assert "N(0, 0.02²)" in text and "standard deviation 0.02" in text
    assert "N(0, 0.02)." not in text
    import torch

    torch.manual_seed(0)  # and the code draws with that standard deviation: the largest layer's sample std
    conv = max((m for m in dcgan.Generator().modules() if isinstance(m, torch.nn.ConvTranspose2d)),
               key=lambda m: m.weight.numel())
    assert abs(float(conv.weight.std()) - 0.02) < 0.001
