"""Where the lab's parts go on the page.

Normally: controls, the run bar, then the plane (beside the explanation for a single run), the
charts and the timeline.  In presenter mode (large type for a projector) a single run puts the
plane on the left from the top and the run bar, the controls and the explanation in a column on
its right, so the picture and Start / Pause are on the first screen at 1280 x 800 and at
1920 x 1080 (issue 21, item 2); side-by-side planes keep the full width, with the run bar above
them and the controls below.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

#: Height in pixels of the paused single-run figure, normally and in presenter mode.
PLANE_PX = 600
PRESENTER_PLANE_PX = 410


@dataclass
class Areas:
    controls: object  # containers (Streamlit delta generators)
    bar: object
    plane: object
    charts: object
    explain: object
    narrow: bool  # the controls sit in a narrow column
    plane_px: int


def areas(presenting: bool, single: bool) -> Areas:
    """The containers of the page's parts, created in the order they are shown."""
    if presenting and single:
        left, right = st.columns([3, 2], gap="medium")
        bar, controls, explain = right.container(), right.container(), right.container()
        return Areas(controls, bar, left.container(), st.container(), explain, True, PRESENTER_PLANE_PX)
    if presenting:
        bar, plane, charts = st.container(), st.container(), st.container()
        controls, explain = st.container(), st.container()
        return Areas(controls, bar, plane, charts, explain, False, PLANE_PX)
    controls, bar = st.container(), st.container()
    if single:
        plane, explain = st.columns([3, 2])
        return Areas(controls, bar, plane, st.container(), explain, False, PLANE_PX)
    plane, charts, explain = st.container(), st.container(), st.container()
    return Areas(controls, bar, plane, charts, explain, False, PLANE_PX)
