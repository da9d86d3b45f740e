"""Shared layer: how far a histogram of classes (or modes) is from uniform.

Used by the lab (modes of a 2-D sample) and the images room (classes a judge assigns to
generated images); the rooms never import each other, so the one definition lives here.
"""
from __future__ import annotations

import numpy as np


def kl_to_uniform(histogram) -> float:
    """``KL(p || U_K) = sum_k p_k ln(K p_k)`` in nats, with ``p`` the normalised histogram of K bins.

    0 when every bin is equally full; ``ln K`` (2.303 nats for K = 10) when everything falls in
    one bin.  Empty bins contribute 0 (``0 ln 0 = 0``).  An all-zero histogram is no
    distribution at all: the answer is ``inf`` (as far from uniform as it gets), never an error,
    so a run whose samples all fell outside every mode still gets a number.
    """
    h = np.asarray(histogram, dtype=np.float64)
    total = h.sum()
    if total <= 0:
        return float("inf")
    p = h / total
    nz = p > 0
    return float(np.sum(p[nz] * np.log(len(h) * p[nz])))
