"""Public API, kept at this path for code that builds on it: the divergences of probability
vectors.  They live in :mod:`gan_core.lessons.divergences`; this module re-exports them."""
from gan_core.lessons.divergences import (  # noqa: F401
    F_DIVERGENCES,
    SUM_TOLERANCE,
    FDivergence,
    as_probability,
    cross_entropy,
    cross_entropy_terms_from_log,
    entropy,
    f_divergence,
    f_divergence_from_log,
    js_divergence,
    js_terms_from_log,
    kl_divergence,
    kl_terms_from_log,
    total_variation,
    wasserstein1,
)
