"""The lab's timeline as an animated GIF, a file a visitor takes away.

:func:`timeline_gif` draws each timeline :class:`gan_core.lab.session.Frame` with
:func:`gan_core.lab.plane_raster.plane_image` (the live view's picture), members side by side,
each panel headed by the member's label and its generator step.  All frames share one
palette (heatmap in even colour steps, so colours do not flicker from frame to frame).
The heatmap is what costs bytes: four busy ones take ~80 kB a frame, so a long timeline is
thinned to stay under :data:`MAX_GIF_BYTES`.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from gan_core.exports import INK, font as _font
from gan_core.lab.plane_raster import heat_rgb, plane_image
from gan_core.palette import P_COLOR

__all__ = ["timeline_gif", "MAX_GIF_FRAMES", "MAX_GIF_BYTES"]

#: Most frames a GIF holds; longer timelines are evenly subsampled (first and last kept).
MAX_GIF_FRAMES = 120
#: Largest GIF wanted; beyond it frames are thinned (slides and chat tools choke on bigger files).
MAX_GIF_BYTES = 9_500_000
#: Colour steps of the GIF's heatmap (a GIF has 256 colours; fewer steps also compress better).
HEAT_LEVELS = 48


def _frame_indices(n: int, cap: int) -> np.ndarray:
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


def _fit(draw, label: str, suffix: str, font, width: float) -> str:
    """``label + suffix``, the label shortened with an ellipsis until the line fits ``width`` pixels."""
    text, cut = label + suffix, label
    while draw.textlength(text, font=font) > width and len(cut) > 1:
        cut = cut[:-1]
        text = cut.rstrip() + "…" + suffix
    return text


def _timeline_picture(frame, real_points, extent, kinds, labels, size: int, header: int, gap: int, font,
                      heatmap: bool = True):
    members = len(labels)
    canvas = Image.new("RGB", (members * size + (members - 1) * gap, header + size), "white")
    draw = ImageDraw.Draw(canvas)
    steps = list(getattr(frame, "steps", None) or [frame.step] * members)
    for i in range(members):
        view = {"kind": kinds[i], "heat": frame.heat[i], "fakes": frame.fakes[i], "arrow_points": None,
                "arrow_vectors": None, "manifold": None, "manifold_side": 0}
        layers = ("heatmap", "real", "fake") if heatmap else ("real", "fake")
        panel = plane_image(view, real_points, extent, layers, size=size)
        x = i * (size + gap)
        canvas.paste(panel, (x, header))
        text = _fit(draw, labels[i], f"  ·  step {int(steps[i]):,}", font, size - 8)
        draw.text((x + 4, header // 2), text, fill=INK, font=font, anchor="lm")
    return canvas


def _palette(pictures_marks: Image.Image, levels: int) -> Image.Image:
    """The GIF's one palette: ``levels`` colours evenly spaced along the heatmap's scale, the same
    colours under a real point (blue at 60% over them), and the colours of the marks and text
    (median cut of ``pictures_marks``, the sample frames drawn without heatmap)."""
    scale = heat_rgb(np.linspace(0.0, 1.0, levels)[None, :], 0.0, 1.0)[0].astype(np.float64)
    blue = np.array([int(P_COLOR[k:k + 2], 16) for k in (1, 3, 5)], dtype=np.float64)
    under_real = 0.6 * blue + 0.4 * scale
    marks = pictures_marks.quantize(colors=255 - 2 * levels, method=Image.Quantize.MEDIANCUT)
    mark_colours = np.asarray(marks.getpalette()[:3 * (255 - 2 * levels)], dtype=np.float64).reshape(-1, 3)
    colours = np.clip(np.rint(np.concatenate([scale, under_real, mark_colours])), 0, 255).astype(np.uint8)[:255]
    palette = Image.new("P", (1, 1))
    flat = colours.ravel().tolist()
    palette.putpalette(flat + [255] * (768 - len(flat)))
    return palette


def _encode_gif(pictures, palette, fps: float) -> bytes:
    indexed = [p.quantize(palette=palette, dither=Image.Dither.NONE) for p in pictures]
    buf = io.BytesIO()
    indexed[0].save(buf, format="GIF", save_all=True, append_images=indexed[1:], duration=round(1000 / fps),
                    loop=0, optimize=False, disposal=1)
    return buf.getvalue()


def timeline_gif(frames, real_points, extent, kinds, labels, size: int = 360, fps: float = 6,
                 max_frames: int = MAX_GIF_FRAMES, max_bytes: int = MAX_GIF_BYTES) -> bytes:
    """An animated GIF of a lab run's timeline: one GIF frame per timeline frame, the run's
    members side by side, each panel headed by the member's label and generator step.

    ``frames``: :class:`gan_core.lab.session.Frame` objects (``fakes[i]`` (n, 2) and ``heat[i]``
    (G, G) in display values for member ``i``; ``steps[i]`` its generator step).
    ``real_points``: (N, 2) data samples drawn under every frame.  ``extent``: (x0, x1, y0, y1).
    ``kinds[i]``: member ``i``'s output kind (``"probability"``, ``"critic"``, ``"least-squares"``),
    which picks its heatmap's colour range.  ``labels[i]``: its name.  ``size``: side of each
    square panel in pixels.  The GIF loops forever at ``fps`` frames a second.

    At most ``max_frames`` frames are kept (evenly spaced, first and last included); if the file
    would still exceed ``max_bytes`` (four busy heatmaps cost ~80 kB a frame), frames are thinned
    further, never the resolution.  The heatmap is drawn with :data:`HEAT_LEVELS` colour steps.
    """
    frames = list(frames)
    if not frames:
        raise ValueError("the timeline is empty: there is nothing to animate yet")
    labels, kinds = [str(label) for label in labels], list(kinds)
    if not labels or len(kinds) != len(labels):
        raise ValueError(f"need one kind per label, got {len(kinds)} kinds for {len(labels)} labels")
    for frame in frames:
        if len(frame.fakes) < len(labels) or len(frame.heat) < len(labels):
            raise ValueError("every frame needs fakes and a heatmap for every member")
    if fps <= 0 or size < 32 or max_frames < 1:
        raise ValueError("fps must be positive, size at least 32 px and max_frames at least 1")
    real = None if real_points is None else np.asarray(real_points, dtype=np.float64).reshape(-1, 2)
    header = max(18, round(size * 0.075))
    font = _font(max(10, round(header * 0.62)))
    gap = max(2, size // 60)
    chosen = [frames[k] for k in _frame_indices(len(frames), max_frames)]
    pictures = [_timeline_picture(f, real, extent, kinds, labels, size, header, gap, font) for f in chosen]
    # The marks' colours come from the first, middle and last frames drawn on white.
    samples = [chosen[0], chosen[len(chosen) // 2], chosen[-1]]
    marks = [_timeline_picture(f, real, extent, kinds, labels, size, header, gap, font, heatmap=False)
             for f in samples]
    strip = Image.new("RGB", (sum(m.width for m in marks), marks[0].height), "white")
    for k, m in enumerate(marks):
        strip.paste(m, (k * m.width, 0))
    palette = _palette(strip, HEAT_LEVELS)
    data = _encode_gif(pictures, palette, fps)
    while len(data) > max_bytes and len(pictures) > 2:
        keep = max(2, min(len(pictures) - 1, int(len(pictures) * max_bytes / len(data) * 0.95)))
        pictures = [pictures[k] for k in _frame_indices(len(pictures), keep)]
        data = _encode_gif(pictures, palette, fps)
    return data
