"""Uploads of any kind become a model input or a clear message, never an exception."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core.images.uploads import MAX_PIXELS, UploadError, decode_upload


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def digit_seven(size=(60, 80), mode="L", ink=0, paper=255) -> Image.Image:
    """A '7' drawn dark on light (like a phone photo of paper)."""
    from PIL import ImageDraw

    image = Image.new(mode, size, paper)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.line([(w * 0.2, h * 0.2), (w * 0.8, h * 0.2), (w * 0.4, h * 0.85)], fill=ink, width=max(2, w // 10))
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels with (almost) no data: a decompression-bomb probe."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def sixteen_bit_png() -> bytes:
    values = np.zeros((40, 40), np.uint16)
    values[8:32, 18:22] = 60000  # a '1' stroke, bright
    return encode(Image.fromarray(values), "PNG")


def cmyk_jpeg() -> bytes:
    return encode(digit_seven().convert("RGB").convert("CMYK"), "JPEG")


def animated_gif() -> bytes:
    frames = [digit_seven(), Image.new("L", (60, 80), 255), Image.new("L", (60, 80), 0)]
    return encode(frames[0].convert("P"), "GIF", save_all=True, append_images=[f.convert("P") for f in frames[1:]],
                  duration=100, loop=0)


def palette_with_transparency() -> bytes:
    image = Image.new("P", (40, 40), 0)
    image.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    image.paste(1, (15, 5, 25, 35))  # black bar, index 1
    return encode(image, "PNG", transparency=0)  # index 0 (white) is transparent


def rgba_black_on_transparent() -> bytes:
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (20, 5, 30, 45))
    return encode(image, "PNG")


def la_white_on_transparent() -> bytes:
    image = Image.new("LA", (50, 50), (255, 0))
    image.paste((255, 255), (20, 5, 30, 45))
    return encode(image, "PNG")


def float_tiff() -> bytes:
    values = np.zeros((30, 30), np.float32)
    values[5:25, 12:18] = 3.5
    return encode(Image.fromarray(values), "TIFF")


def exif_rotated_jpeg() -> bytes:
    image = digit_seven((80, 60)).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    return encode(image, "JPEG", exif=exif.tobytes())


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


REFUSED = {
    "empty file": (b"", "empty"),
    "text renamed to .png": (b"hello, this is a text file\n" * 20, "not an image"),
    "truncated png": (truncated(encode(digit_seven((200, 200)), "PNG", compress_level=0)), "truncated"),
    "truncated jpeg": (truncated(encode(digit_seven((200, 200)).convert("RGB"), "JPEG"), 0.4), "truncated"),
    "header claims 60000 x 60000 (decompression bomb)": (png_header_only(60000, 60000), "pixels"),
    "header claims 5000 x 5000": (png_header_only(5000, 5000), "megapixels"),
    "blank white page": (encode(Image.new("L", (64, 64), 255), "PNG"), "single colour"),
}

CONVERTED = {
    "16-bit greyscale png": sixteen_bit_png,
    "cmyk jpeg": cmyk_jpeg,
    "animated gif": animated_gif,
    "palette png with transparency": palette_with_transparency,
    "rgba black on transparent": rgba_black_on_transparent,
    "la white on transparent": la_white_on_transparent,
    "32-bit float tiff": float_tiff,
    "exif-rotated jpeg": exif_rotated_jpeg,
    "1-bit bmp": lambda: encode(digit_seven().convert("1"), "BMP"),
    "tiny 3x3 png": lambda: encode(Image.fromarray(np.array([[0, 255, 0]] * 3, np.uint8)), "PNG"),
    "very wide 2000x20 png": lambda: encode(digit_seven((2000, 20)), "PNG"),
    "webp": lambda: encode(digit_seven().convert("RGB"), "WEBP"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unusable_upload_is_refused_with_a_message(case):
    data, expected_words = REFUSED[case]
    with pytest.raises(UploadError) as info:
        decode_upload(data, "digit")
    message = str(info.value)
    assert expected_words in message.lower()
    assert "Traceback" not in message and len(message) < 300


@pytest.mark.parametrize("target", ["digit", "colour"])
@pytest.mark.parametrize("case", sorted(CONVERTED))
def test_odd_but_valid_upload_is_converted(case, target):
    result = decode_upload(CONVERTED[case](), target)
    channels = 1 if target == "digit" else 3
    assert result.tensor.shape == (1, channels, 32, 32)
    assert result.tensor.dtype == torch.float32
    assert float(result.tensor.min()) >= -1.0 and float(result.tensor.max()) <= 1.0
    assert torch.isfinite(result.tensor).all()


def test_dark_on_light_digit_becomes_white_on_black_like_mnist():
    result = decode_upload(encode(digit_seven(), "PNG"), "digit")
    image = result.tensor[0, 0]
    assert float(image[0].mean()) == pytest.approx(-1.0)  # background row is black
    assert float(image.max()) > 0.9  # the strokes are white
    assert any("inverted" in note for note in result.notes)


def test_digit_is_framed_like_mnist_twenty_pixel_box_centred():
    result = decode_upload(encode(digit_seven((300, 400)), "PNG"), "digit")
    ink = (result.tensor[0, 0] > -0.8).numpy()
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) in (20, 21)
    weights = (result.tensor[0, 0] + 1).numpy()
    ys, xs = np.mgrid[:32, :32]
    assert abs((ys * weights).sum() / weights.sum() - 16) < 1.5
    assert abs((xs * weights).sum() / weights.sum() - 16) < 1.5


def test_exif_orientation_is_applied():
    plain = decode_upload(encode(digit_seven((80, 60)).convert("RGB"), "JPEG"), "colour")
    rotated = decode_upload(exif_rotated_jpeg(), "colour")
    assert any("EXIF" in note for note in rotated.notes)
    # rotating the un-rotated result by 90 degrees clockwise reproduces the EXIF-corrected one
    expected = torch.rot90(plain.tensor, k=-1, dims=(2, 3))
    assert float((expected - rotated.tensor).abs().mean()) < 0.1


def test_animated_gif_uses_the_first_frame():
    result = decode_upload(animated_gif(), "digit")
    assert any("first frame" in note for note in result.notes)
    assert float(result.tensor.max()) > 0.5  # the 7, not the blank later frames


def test_transparent_colour_image_is_composited_on_white():
    image = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    image.paste((255, 0, 0, 255), (16, 16, 48, 48))
    result = decode_upload(encode(image, "PNG"), "colour")
    corner = result.tensor[0, :, 0, 0]
    centre = result.tensor[0, :, 16, 16]
    assert torch.allclose(corner, torch.ones(3))  # white
    assert torch.allclose(centre, torch.tensor([1.0, -1.0, -1.0]))  # red


def test_sixteen_bit_values_are_scaled_not_clipped():
    result = decode_upload(sixteen_bit_png(), "digit")
    assert any("16-bit" in note for note in result.notes)
    assert float(result.tensor.max()) > 0.8


def test_pixel_limit_is_checked_before_decoding():
    side = int(MAX_PIXELS ** 0.5) + 1
    with pytest.raises(UploadError):
        decode_upload(png_header_only(side, side), "colour")


def test_random_bytes_and_every_truncation_never_raise_anything_else():
    rng = np.random.default_rng(0)
    good = encode(digit_seven((40, 40)), "PNG")
    corpus = [rng.bytes(int(n)) for n in rng.integers(1, 400, 20)]
    corpus += [good[:k] for k in range(0, len(good), max(1, len(good) // 25))]
    corpus += [b"\x89PNG\r\n\x1a\n" + rng.bytes(100), b"GIF89a" + rng.bytes(50), b"\xff\xd8\xff" + rng.bytes(80)]
    for data in corpus:
        for target in ("digit", "colour"):
            try:
                result = decode_upload(data, target)
            except UploadError as exc:
                assert str(exc)
            else:
                assert result.tensor.shape[-2:] == (32, 32)
