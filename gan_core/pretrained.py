"""Public API, kept at this path for code that builds on it: ``gan_core.pretrained.load(name)``
and its companions.  They live in :mod:`gan_core.images.pretrained`; this module re-exports them."""
from gan_core.images.pretrained import (  # noqa: F401
    ENV_VAR,
    SHIPPED_DIR,
    PretrainedError,
    available,
    load,
    pretrained_dir,
    read_card,
    sha256_of,
    verify_weights,
)
