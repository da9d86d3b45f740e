"""Registry of the models shipped in ``pretrained/`` and their checked loading.

Each model is a folder ``pretrained/<name>/`` holding ``card.json`` and one or more
``*.safetensors`` files.  The card names the model's ``kind`` (which module builds it)
and the sha256 of every weight file; :func:`load` refuses a file whose digest differs, so a
truncated or tampered download never reaches the network code.

The folder is ``pretrained/`` next to ``gan_core/`` unless the environment variable
``GAN_PRETRAINED_DIR`` names another one (a mirror, or a damaged copy in fault tests).  It is
read at call time: every function here, and the module attribute ``PRETRAINED_DIR`` that the
pages read, follow the variable as it is when they are called.  Assigning
``pretrained.PRETRAINED_DIR = path`` (as tests do with ``monkeypatch.setattr``) takes precedence
over the variable until the attribute is deleted again.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
from pathlib import Path

#: The folder shipped with the repository.
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "pretrained"
#: Environment variable that overrides :data:`SHIPPED_DIR`.
ENV_VAR = "GAN_PRETRAINED_DIR"


def pretrained_dir() -> Path:
    """The models folder now: an assigned ``PRETRAINED_DIR``, else ``$GAN_PRETRAINED_DIR``, else the shipped one."""
    assigned = globals().get("PRETRAINED_DIR")
    if assigned is not None:
        return Path(assigned)
    override = os.environ.get(ENV_VAR, "").strip()
    return Path(override).expanduser() if override else SHIPPED_DIR


def __getattr__(name: str):
    # PEP 562: ``pretrained.PRETRAINED_DIR`` is computed on each access (see the module doc).
    if name == "PRETRAINED_DIR":
        return pretrained_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# kind (card["kind"]) -> "module:function" that builds the model from (folder, card).
_BUILDERS = {
    "dcgan": "gan_core.images.dcgan:load_from_card",
    "cyclegan": "gan_core.images.cyclegan:load_from_card",
    "classifier": "gan_core.images.classifier:load_from_card",
}


class PretrainedError(RuntimeError):
    """A shipped model cannot be used: missing, corrupted or unknown.  The message says which."""


def available(root: Path | None = None) -> list[str]:
    """Names of the model folders that have a card (whether or not their weights are intact)."""
    root = Path(root) if root is not None else pretrained_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "card.json").is_file())


def read_card(name: str, root: Path | None = None) -> dict:
    """The parsed ``card.json`` of model ``name``; :class:`PretrainedError` if absent or unreadable."""
    root = Path(root) if root is not None else pretrained_dir()
    path = root / name / "card.json"
    if not path.is_file():
        raise PretrainedError(f"No pretrained model called {name!r}: {path} does not exist.")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PretrainedError(f"The card of {name!r} ({path}) is not valid JSON: {exc}") from exc


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(name: str, card: dict, root: Path | None = None) -> dict[str, Path]:
    """Check every weight file the card lists against its sha256.

    Returns ``{file name: path}``.  Raises :class:`PretrainedError` naming the file when one is
    missing, is not a ``.safetensors`` file, or its digest differs from the card's.
    """
    root = Path(root) if root is not None else pretrained_dir()
    expected = card.get("sha256") or {}
    if not expected:
        raise PretrainedError(f"The card of {name!r} lists no weight files with their sha256.")
    paths = {}
    for filename, digest in expected.items():
        path = root / name / filename
        if not filename.endswith(".safetensors"):
            raise PretrainedError(f"{name}: {filename} is not a safetensors file; only safetensors are loaded.")
        if not path.is_file():
            raise PretrainedError(f"{name}: weight file {filename} is missing from {path.parent}.")
        actual = sha256_of(path)
        if actual != digest:
            raise PretrainedError(
                f"{name}: weight file {filename} is corrupted or was changed "
                f"(sha256 {actual[:12]}... but the card says {digest[:12]}...)."
            )
        paths[filename] = path
    return paths


def load(name: str, root: Path | None = None):
    """Load shipped model ``name`` on the CPU after checking its weights' sha256.

    DCGAN models return an object with ``.latent_dim`` and ``.sample(n, seed=None)``;
    CycleGAN models one with ``.domains`` and ``.translate(images, direction)``.
    """
    root = Path(root) if root is not None else pretrained_dir()
    card = read_card(name, root)
    kind = card.get("kind")
    if kind not in _BUILDERS:
        raise PretrainedError(f"{name}: unknown model kind {kind!r} in its card.")
    paths = verify_weights(name, card, root)
    module_name, function_name = _BUILDERS[kind].split(":")
    builder = getattr(importlib.import_module(module_name), function_name)
    try:
        return builder(root / name, card, paths)
    except PretrainedError:
        raise
    except Exception as exc:  # a file that hashes right but does not fit the architecture
        raise PretrainedError(f"{name}: the weights do not fit the architecture in its card: {exc}") from exc
