"""Turn an uploaded file (any bytes) into a model input, or refuse it with a clear message.

:func:`decode_upload` accepts whatever a visitor drops on the page: any size, any Pillow
mode (1, L, LA, P with or without transparency, RGB, RGBA, CMYK, YCbCr, 16-bit I;16, 32-bit
I and F), EXIF orientation, animations (first frame).  It returns an :class:`UploadResult`
holding a float tensor in [-1, 1] shaped like the model's inputs plus notes on what was
changed; or raises :class:`UploadError` (a ``ValueError``) whose text can be shown to the
visitor as is: empty file, not an image, truncated/damaged, too many pixels (decompression
bombs), too many bytes, blank image.

Two targets:

* ``"digit"`` -> (1, 1, 32, 32), white strokes on black framed like MNIST: the ink is
  cropped, its longer side scaled to 20 px and centred by centre of mass (MNIST's recipe,
  in a 32-px frame).  Dark-on-light pictures are inverted; in images with transparency the
  opaque pixels are the ink.
* ``"colour"`` -> (1, 3, 32, 32): transparency composited on white (as the emoji training
  data), padded to a square with white, downsampled with a box filter.

Working memory is bounded: the picture is shrunk with Pillow *before* any float conversion
(JPEGs are decoded at 1/2, 1/4 or 1/8 scale by ``draft``; any other image is box-averaged to at
most ``WORK_SIDE`` pixels a side in its own mode), so a 16-megapixel upload costs tens of MiB, not
the gigabytes of float64 arrays at full size (issue 20 item 4: 1-1.8 GB for a 4096 x 4096 JPEG,
16-bit PNG or float TIFF before; see tests/images/test_uploads.py for the measured peaks).

Pillow only; no Streamlit.  torch is imported inside the function that builds the tensor.
"""
from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # 20 MiB: more than any photo needs at 32x32
# Refuse before decoding: a 100-kB PNG can claim 50 000 x 50 000 pixels (a decompression
# bomb).  16 megapixels covers phone photos; Pillow's own limit (89 M, error at 2x) is laxer.
MAX_PIXELS = 4096 * 4096
MAX_SIDE = 20000
# Largest side kept for the float work: 16x the 32-px input, so a digit filling an eighth of the
# picture is still 64 px across before the MNIST framing scales it to 20 px.
WORK_SIDE = 512
IMAGE_SIZE = 32
DIGIT_BOX = 20  # MNIST: digit size-normalised to a 20x20 box (LeCun et al.)
TARGETS = ("digit", "colour")


class UploadError(ValueError):
    """The upload cannot be used; ``str(error)`` is a message for the visitor."""


class _MetadataTooLarge(Exception):
    """Pillow refused a PNG text or colour-profile chunk that inflates past its 1 MiB limit."""


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Ancillary PNG chunks that only carry metadata: a colour profile (iCCP) and text (tEXt, zTXt, iTXt).
PNG_METADATA_CHUNKS = (b"iCCP", b"tEXt", b"zTXt", b"iTXt")


def _is_metadata_bomb(exc: Exception) -> bool:
    """Pillow's refusal of a compressed chunk over ``PngImagePlugin.MAX_TEXT_CHUNK`` (1 MiB)."""
    return isinstance(exc, ValueError) and "decompressed data too large" in str(exc).lower()


def strip_png_metadata(data: bytes) -> tuple[bytes, list[str]]:
    """The PNG without its iCCP/tEXt/zTXt/iTXt chunks, and the names of those removed.

    Raises ``ValueError`` if ``data`` is not a well-formed sequence of PNG chunks."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    kept, removed, at = [PNG_SIGNATURE], [], len(PNG_SIGNATURE)
    while at < len(data):
        if at + 12 > len(data):
            raise ValueError("truncated chunk")
        length = struct.unpack(">I", data[at:at + 4])[0]
        kind = data[at + 4:at + 8]
        end = at + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        if kind in PNG_METADATA_CHUNKS:
            removed.append(kind.decode("ascii"))
        else:
            kept.append(data[at:end])
        at = end
        if kind == b"IEND":
            break
    return b"".join(kept), removed


@dataclass
class UploadResult:
    """A decoded upload: ``tensor`` (1, C, 32, 32) in [-1, 1], and what was done to get it."""

    tensor: object
    original_size: tuple[int, int]
    original_mode: str
    original_format: str | None
    notes: list[str] = field(default_factory=list)


def _open(data: bytes) -> Image.Image:
    if data is None or len(data) == 0:
        raise UploadError("The file is empty (0 bytes). Please choose an image file such as a PNG or JPEG.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"The file is {len(data) / 2**20:.1f} MiB; the limit is {MAX_UPLOAD_BYTES / 2**20:.0f} MiB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError, OSError,
            SyntaxError, ValueError) as exc:
        if _is_metadata_bomb(exc):
            raise _MetadataTooLarge() from None
        if isinstance(exc, (Image.DecompressionBombWarning, Image.DecompressionBombError)):
            raise UploadError("The image claims far too many pixels (a possible decompression bomb); it was not opened.") from None
        raise UploadError(
            "This file is not an image that can be read (is it a text or other file renamed to .png?). "
            "Please upload a PNG, JPEG, GIF, BMP, WebP or TIFF image."
        ) from None
    return image


def _check_dimensions(image: Image.Image) -> None:
    """Refuse by the header's size, naming the limit that was hit: a side, or the pixel count."""
    width, height = image.size
    if width <= 0 or height <= 0:
        raise UploadError("The image has no pixels (width or height is 0).")
    if max(width, height) > MAX_SIDE:
        raise UploadError(
            f"The image is {width:,} x {height:,} pixels: its {'width' if width >= height else 'height'} of "
            f"{max(width, height):,} pixels is over the limit of {MAX_SIDE:,} pixels per side. "
            "Please crop or scale it down before uploading."
        )
    if width * height > MAX_PIXELS:
        raise UploadError(
            f"The image is {width:,} x {height:,} pixels ({width * height / 1e6:.1f} megapixels); the limit is "
            f"{MAX_PIXELS / 1e6:.1f} megapixels. Please scale it down before uploading."
        )


def _load_first_frame(image: Image.Image, notes: list[str]) -> Image.Image:
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        notes.append(f"The file is animated ({frames} frames); the first frame was used.")
        image.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise UploadError("The image claims far too many pixels (a possible decompression bomb); it was not opened.") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        if _is_metadata_bomb(exc):
            raise _MetadataTooLarge() from None
        raise UploadError(f"The image file is damaged or truncated and cannot be decoded ({_short(exc)}).") from None
    return image


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:120]


def _to_float_rgba(image: Image.Image, notes: list[str]) -> np.ndarray:
    """Any mode -> float array (H, W, 4) with RGB in [0, 255] and alpha in [0, 1]."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if mode.startswith("I;16"):
            values = values / 65535.0 * 255.0
            notes.append("16-bit greyscale was scaled to 8 bits.")
        else:
            finite = values[np.isfinite(values)]
            low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
            values = np.nan_to_num((values - low) / (high - low) * 255.0 if high > low else np.zeros_like(values))
            notes.append(f"{'32-bit float' if mode == 'F' else '32-bit integer'} greyscale was stretched to 0-255.")
        rgb = np.repeat(values[..., None], 3, axis=2)
        return np.concatenate([rgb, np.ones(values.shape + (1,))], axis=2)
    if mode == "CMYK":
        notes.append("CMYK colours were converted to RGB.")
        image = image.convert("RGB")
    elif mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    elif mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if ("A" in mode or "transparency" in image.info) else "RGB")
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float64)
    rgba[..., 3] /= 255.0
    return rgba


def _digit_frame(ink: np.ndarray, notes: list[str]) -> np.ndarray:
    """Ink map (H, W) in [0, 1] -> (32, 32) in [0, 1]: crop, scale longer side to 20 px, centre of mass."""
    mask = ink > 0.15
    if not mask.any() or ink.max() - ink.min() < 0.1:
        raise UploadError("No digit found: the image is (almost) a single colour. Please draw or upload a digit.")
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = DIGIT_BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((new_w, new_h), Image.LANCZOS),
                       dtype=np.float64) / 255.0
    total = small.sum()
    ys, xs = np.mgrid[:new_h, :new_w]
    cy, cx = (ys * small).sum() / total, (xs * small).sum() / total
    frame = np.zeros((IMAGE_SIZE, IMAGE_SIZE))
    top = int(round(IMAGE_SIZE / 2 - cy))
    left = int(round(IMAGE_SIZE / 2 - cx))
    top = min(max(top, 0), IMAGE_SIZE - new_h)
    left = min(max(left, 0), IMAGE_SIZE - new_w)
    frame[top:top + new_h, left:left + new_w] = small
    return np.clip(frame, 0, 1)


def ink_from_rgba(rgba: np.ndarray, notes: list[str]) -> np.ndarray:
    """Where the digit is, in [0, 1]: opaque pixels if the image has real transparency,
    otherwise brightness, inverted when the background (border) is light."""
    alpha = rgba[..., 3]
    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114]) / 255.0
    if alpha.min() < 0.9 and alpha.max() - alpha.min() > 0.2:
        notes.append("Transparency: the opaque pixels were taken as the digit.")
        return alpha
    grey = grey * alpha + (1 - alpha)  # faint transparency: composite on white
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:
        notes.append("Dark strokes on a light background were inverted to white on black (as in MNIST).")
        return 1.0 - grey
    return grey


def colour_square(rgba: np.ndarray, notes: list[str], size: int = IMAGE_SIZE) -> np.ndarray:
    """(H, W, 4) -> uint8 (3, size, size): composite on white, pad to square with white, box-downsample."""
    alpha = rgba[..., 3:4]
    rgb = rgba[..., :3] * alpha + 255.0 * (1 - alpha)
    if alpha.min() < 1.0:
        notes.append("Transparent pixels were composited on white.")
    h, w = rgb.shape[:2]
    side = max(h, w)
    if h != w:
        canvas = np.full((side, side, 3), 255.0)
        top, left = (side - h) // 2, (side - w) // 2
        canvas[top:top + h, left:left + w] = rgb
        rgb = canvas
        notes.append(f"The {w} x {h} image was padded with white to a square.")
    picture = Image.fromarray(np.clip(rgb, 0, 255).round().astype(np.uint8), "RGB")
    if side != size:
        # two stages: box filter (area average) is exact for downsampling; Lanczos for upsampling
        picture = picture.resize((size, size), Image.BOX if side > size else Image.LANCZOS)
    return np.asarray(picture, dtype=np.uint8).transpose(2, 0, 1)


def _shrink(image: Image.Image, notes: list[str]) -> Image.Image:
    """At most ``WORK_SIDE`` pixels a side, box-averaged in the image's own mode (8- or 16-bit,
    integer or float: no float64 copy at full size). Modes that cannot be averaged (1-bit, palette)
    become L / RGB / RGBA first, at 1-4 bytes a pixel."""
    width, height = image.size
    if max(width, height) <= WORK_SIDE:
        return image
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode in ("P", "PA"):
        image = image.convert("RGBA" if (image.mode == "PA" or "transparency" in image.info) else "RGB")
    scale = WORK_SIDE / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    notes.append(f"The {width} x {height} picture was reduced to {size[0]} x {size[1]} pixels first "
                 "(the model sees 32 x 32).")
    return image.resize(size, Image.BOX)


def _decode(data: bytes, target: str, notes: list[str]):
    """The decoding proper: (array (C, 32, 32) in [0, 255], original size, mode, format)."""
    image = _open(data)
    opened = [image]
    try:
        _check_dimensions(image)
        fmt, header_size = image.format, image.size
        if fmt == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale, still at least WORK_SIDE a side
            image.draft(image.mode, (WORK_SIDE, WORK_SIDE))
        image = _load_first_frame(image, notes)
        original_mode = image.mode
        image = _shrink(image, notes)
        opened.append(image)
        oriented = _has_orientation(opened[0])
        try:
            transposed = ImageOps.exif_transpose(image)
        except Exception:  # a broken EXIF block is not worth refusing the picture
            transposed = None
        if transposed is not None:
            if oriented:
                notes.append("The EXIF orientation tag was applied (the picture was rotated/flipped upright).")
            image = transposed
            opened.append(image)
        quarter_turn = oriented and opened[0].getexif().get(0x0112) in (5, 6, 7, 8)
        original_size = header_size[::-1] if quarter_turn else header_size
        rgba = _to_float_rgba(image, notes)
        if target == "digit":
            array = (_digit_frame(ink_from_rgba(rgba, notes), notes) * 255.0)[None]
        else:
            array = colour_square(rgba, notes).astype(np.float64)
        return array, tuple(original_size), original_mode, fmt
    except (UploadError, _MetadataTooLarge):
        raise
    except (MemoryError, Image.DecompressionBombError):
        raise UploadError("The image is too large to decode here. Please scale it down.") from None
    except Exception as exc:  # anything Pillow or numpy throws on a malformed file
        raise UploadError(f"The image could not be converted ({type(exc).__name__}: {_short(exc)}).") from None
    finally:
        for each in opened:
            try:
                each.close()
            except Exception:
                pass


METADATA_MESSAGE = ("This PNG carries a colour profile or text (an iCCP, zTXt or iTXt chunk) that expands to "
                    "more than 1 MiB, which is refused as a possible decompression bomb")


def decode_upload(data: bytes, target: str = "digit") -> UploadResult:
    """Decode an uploaded file into a model input.

    Parameters
    ----------
    data : bytes
        The file's content, as received (nothing is assumed about its name or type).
    target : {"digit", "colour"}
        ``"digit"``: (1, 1, 32, 32) white-on-black digit framed like MNIST;
        ``"colour"``: (1, 3, 32, 32) RGB, transparency on white.

    Returns
    -------
    UploadResult
        ``tensor`` with values in [-1, 1] (``pixel / 127.5 - 1``), and ``notes`` in plain words.

    Raises
    ------
    UploadError
        With a message for the visitor; never any other exception for any bytes.

    A PNG whose metadata chunk inflates past Pillow's 1 MiB limit is read again without its
    metadata chunks (the pixels do not depend on them), with a note saying so.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    notes: list[str] = []
    try:
        array, original_size, original_mode, fmt = _decode(data, target, notes)
    except _MetadataTooLarge:
        try:
            stripped, removed = strip_png_metadata(data)
        except ValueError:
            raise UploadError(f"{METADATA_MESSAGE}, and the file's chunks could not be read to leave it out. "
                              "Save the picture again without metadata and upload it.") from None
        notes = [f"{METADATA_MESSAGE}; the picture was read without its metadata "
                 f"({', '.join(sorted(set(removed)))} removed)."]
        try:
            array, original_size, original_mode, fmt = _decode(stripped, target, notes)
        except _MetadataTooLarge:
            raise UploadError(f"{METADATA_MESSAGE}. Save the picture again without metadata and upload it.") from None
    import torch

    tensor = torch.from_numpy((array / 127.5 - 1.0).astype(np.float32)).unsqueeze(0)
    return UploadResult(tensor, original_size, original_mode, fmt, notes)


def _has_orientation(image: Image.Image) -> bool:
    try:
        return image.getexif().get(0x0112, 1) not in (None, 1)
    except Exception:
        return False

