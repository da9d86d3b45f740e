"""Files a visitor takes away: static PNG/SVG of any chart, grids of pictures (shared by every room;
the lab's animated GIF is :mod:`gan_core.lab.timeline_gif`).

* :func:`captioned_grid` lays pictures out in rows with a caption under each, as a PNG.
* :func:`figure_image` renders a Plotly figure on the server with Kaleido, which drives a
  headless Chrome/Chromium (Debian's ``/usr/bin/chromium`` here; ``BROWSER_PATH`` overrides).
  Starting the browser costs a few seconds, a render a few hundred milliseconds, so one
  browser is kept for a while after an export and closed when idle (:data:`IDLE_CLOSE_S`).
  MathJax is switched off: it would be fetched from a CDN, and no figure here uses it.

Nothing here imports Streamlit; Kaleido is imported only when a figure is exported.
"""
from __future__ import annotations

import asyncio
import atexit
import io
import os
import shutil
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont


__all__ = ["captioned_grid", "figure_image", "browser_path", "font", "INK", "IDLE_CLOSE_S", "close_browser"]

#: Seconds the export browser may sit unused before it is closed.
IDLE_CLOSE_S = 180.0
#: Seconds one figure may take to render before the export gives up.
RENDER_TIMEOUT_S = 60.0

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
_BROWSER_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
INK = (40, 40, 40)


# ------------------------------------------------------------------------------------ text
def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in _FONT_CANDIDATES:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size=size)


# ------------------------------------------------------------------------------- picture grids
def captioned_grid(rows, pad: int = 8, caption_size: int = 15, background: str = "white") -> bytes:
    """A PNG of pictures in rows, each with its caption written underneath.

    ``rows``: a list of rows, each a list of ``(picture, caption)`` with ``picture`` a PIL image
    or a uint8 array (H, W) / (H, W, 3).  Cells are as wide as the widest picture; a caption
    too long for its cell is wrapped onto further lines.
    """
    rows = [[(p if isinstance(p, Image.Image) else Image.fromarray(np.asarray(p, dtype=np.uint8)), str(c))
             for p, c in row] for row in rows if row]
    if not rows:
        raise ValueError("no pictures to put in the grid")
    caption_font = font(caption_size)
    cell_w = max(p.width for row in rows for p, _ in row)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    line_h = round(caption_size * 1.3)

    def wrap(text: str) -> list[str]:
        lines, current = [], ""
        for word in text.split():
            trial = f"{current} {word}".strip()
            if current and probe.textlength(trial, font=caption_font) > cell_w - 6:
                lines.append(current)
                current = word
            else:
                current = trial
        return lines + ([current] if current else [])

    wrapped = [[wrap(c) for _, c in row] for row in rows]
    heights = [max(p.height for p, _ in row) + pad + line_h * max((len(w) for w in ws), default=0)
               for row, ws in zip(rows, wrapped)]
    columns = max(len(row) for row in rows)
    canvas = Image.new("RGB", (pad + columns * (cell_w + pad), pad + sum(h + pad for h in heights)), background)
    draw = ImageDraw.Draw(canvas)
    y = pad
    for row, ws, h in zip(rows, wrapped, heights):
        picture_h = max(p.height for p, _ in row)
        for k, ((picture, _), lines) in enumerate(zip(row, ws)):
            x = pad + k * (cell_w + pad)
            canvas.paste(picture.convert("RGB"), (x + (cell_w - picture.width) // 2, y))
            for j, line in enumerate(lines):
                draw.text((x + cell_w / 2, y + picture_h + pad + j * line_h), line, fill=INK, font=caption_font, anchor="ma")
        y += h + pad
    buf = io.BytesIO()
    canvas.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


# ------------------------------------------------------------------------------- static figures
def browser_path() -> str:
    """The Chrome/Chromium Kaleido drives: ``$BROWSER_PATH``, else Debian's chromium, else one on PATH.

    Raises RuntimeError naming what is missing when there is none.
    """
    explicit = os.environ.get("BROWSER_PATH")
    if explicit:
        if Path(explicit).is_file() and os.access(explicit, os.X_OK):
            return explicit
        raise RuntimeError(f"Static figure export needs a Chrome/Chromium browser: BROWSER_PATH={explicit!r} "
                           "is not an executable file.")
    for candidate in _BROWSER_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Static figure export needs a Chrome/Chromium browser, and none was found "
                       f"({', '.join(_BROWSER_CANDIDATES)} or on PATH). Install Debian's 'chromium' package "
                       "(scripts/setup.sh --with-browser does) or set BROWSER_PATH to a Chrome executable.")


class _Exporter:
    """One Kaleido browser on its own event-loop thread, shared by every session and closed when idle.

    Calls are serialised by a lock (Kaleido runs one tab); a failed render closes the browser and
    is tried once more with a fresh one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._timer: threading.Timer | None = None

    def _open(self) -> None:
        path = browser_path()
        try:
            import kaleido
        except ImportError as exc:  # pragma: no cover - kaleido is pinned in requirements.txt
            raise RuntimeError("Static figure export needs the Python package kaleido "
                               "(pip install -r requirements.txt).") from exc
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="figure-export", daemon=True)
        thread.start()

        async def start():
            k = kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT_S, path=path, mathjax=False)
            await k.open()
            return k

        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=RENDER_TIMEOUT_S)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            raise
        self._loop, self._thread = loop, thread

    def _close(self) -> None:
        loop, thread, k = self._loop, self._thread, self._kaleido
        self._loop = self._thread = self._kaleido = None
        if loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(timeout=15)
        except BaseException:  # the browser may already be gone; the loop is stopped anyway
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._close()

    def _close_if_idle(self, timer) -> None:
        with self._lock:
            if self._timer is timer:  # no export since this timer was set
                self._timer = None
                self._close()

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def render(self, fig_dict: dict, opts: dict) -> bytes:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            try:
                for attempt in (1, 2):
                    if self._kaleido is None:
                        self._open()
                    future = asyncio.run_coroutine_threadsafe(self._kaleido.calc_fig(fig_dict, opts=opts), self._loop)
                    try:
                        return future.result(timeout=RENDER_TIMEOUT_S + 5)
                    except Exception:
                        future.cancel()
                        self._close()
                        if attempt == 2:
                            raise
            finally:
                if self._kaleido is not None:
                    timer = threading.Timer(IDLE_CLOSE_S, lambda: self._close_if_idle(timer))
                    timer.daemon = True
                    self._timer = timer
                    timer.start()
        raise AssertionError("unreachable")  # pragma: no cover


_EXPORTER = _Exporter()
atexit.register(_EXPORTER.close)


def close_browser() -> None:
    """Close the export browser now (it reopens on the next export)."""
    _EXPORTER.close()


def figure_image(fig, fmt: str = "png", title: str | None = None, width: int | None = None,
                 height: int | None = None, scale: float = 2) -> bytes:
    """A static PNG or SVG of a Plotly figure, rendered on the server with a title on it.

    ``title`` defaults to the figure's own title.  ``width`` and ``height`` are layout pixels
    (default: the figure's own, else 900 x 500); a PNG has ``scale`` times as many pixels, an SVG
    is sized in layout pixels.  The figure itself is not changed.  Exported on the white
    ``plotly_white`` template, close to how the app draws charts.

    Raises RuntimeError when no browser (or no kaleido) is available.
    """
    fmt = fmt.lower()
    if fmt not in ("png", "svg"):
        raise ValueError(f"format must be 'png' or 'svg', not {fmt!r}")
    import plotly.graph_objects as go

    out = go.Figure(fig)
    out.update_layout(template="plotly_white")
    text = title if title is not None else (out.layout.title.text or "")
    if text:
        out.update_layout(title_text=text)
        if out.layout.title.x is None:
            out.update_layout(title_x=0.0, title_xanchor="left")
        top = out.layout.margin.t
        if top is None or top < 60:
            out.update_layout(margin_t=60)
    width = int(width or out.layout.width or 900)
    height = int(height or out.layout.height or 500)
    scale = scale if fmt == "png" else 1  # an SVG is a drawing: sized in layout pixels, sharp at any zoom
    return _EXPORTER.render(out.to_dict(), {"format": fmt, "width": width, "height": height, "scale": scale})
