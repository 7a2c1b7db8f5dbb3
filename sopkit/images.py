"""Safe handling of staff-uploaded images: check them, then make one clean rendition per channel.

Uploads come from staff phones and laptops, so they are untrusted bytes: the type is decided by the content
(never by the file name), size and pixel count are bounded before anything is decoded (a small PNG can claim
billions of pixels), and every refusal is an :class:`ImageRejected` carrying an English message for people and
a short ``reason`` code the UI can translate. Renditions are rebuilt from pixels only, so EXIF (GPS position of
the photographer, camera serials), XMP, ICC and comments never leave the desk.

No Streamlit here: the page module calls these functions and shows the message.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from sopkit.channels import registry
from sopkit.channels.base import Image as ChannelImage
from sopkit.channels.spec import RenditionSpec

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000
#: PNG and WebP cannot be decoded at a reduced scale, so they are decoded whole (4 bytes a pixel with alpha, and a
#: copy or two while flattening): a lower bound keeps that near 150 MB. JPEG, decoded at 1/2..1/8 scale
#: (``Image.draft``), may have MAX_PIXELS. 16 MP is a 4000 x 4000 poster, far above any screenshot or infographic.
MAX_PIXELS_WHOLE_DECODE = 16_000_000

#: Pillow format names we accept; MPO is the multi-picture JPEG many phone cameras write.
ACCEPTED_FORMATS: dict[str, str] = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png",
                                    "WEBP": "image/webp"}
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
#: Formats Pillow can decode at a fraction of their size (DCT scaling): only JPEG.
_REDUCED_DECODE = frozenset({"JPEG", "MPO"})

#: Qualities tried in turn until the JPEG fits the channel's byte limit.
JPEG_QUALITIES: tuple[int, ...] = (88, 82, 76, 70, 62, 54, 46, 38, 30)

Reason = Literal["empty", "too_large", "not_image", "unsupported_format", "too_many_pixels", "corrupt",
                 "cannot_compress", "unknown_channel"]


class ImageRejected(ValueError):
    """An image the desk will not use; ``str(exc)`` is for people, ``reason`` is for code and translation."""

    def __init__(self, message: str, reason: Reason):
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True)
class Upload:
    """An upload that passed every check; ``data`` is the original bytes, kept only to make renditions."""

    data: bytes
    filename: str  # a safe stem-based name, e.g. "rapat-koordinasi.jpg"
    format: str  # Pillow's name: "JPEG", "MPO", "PNG" or "WEBP"
    mime: str
    width: int  # as stored, before EXIF orientation is applied
    height: int
    max_pixels: int = MAX_PIXELS


_MB = 1024 * 1024


class _Renditions(Mapping[str, RenditionSpec]):
    """Channel name → its :class:`RenditionSpec`, read live from the channel registry (each channel module says
    how it wants its pictures, with its sources); channels that take no pictures are absent."""

    def _table(self) -> dict[str, RenditionSpec]:
        return {s.name: s.rendition for s in registry.specs() if s.rendition is not None}

    def __getitem__(self, channel: str) -> RenditionSpec:
        return self._table()[channel]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


RENDITIONS: Mapping[str, RenditionSpec] = _Renditions()

_MAGIC_NAMES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"), (b"\x00\x00\x01\x00", "ICO"),
)


def _sniff_other_image(data: bytes) -> str | None:
    """Name a picture format we refuse, so the message can say "convert it" instead of "not a picture"."""
    for magic, name in _MAGIC_NAMES:
        if data.startswith(magic):
            return name
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"hevc"):
        return "HEIC/AVIF"
    return None


def safe_filename(filename: str, default: str = "gambar") -> str:
    """A lowercase ASCII name with only ``a-z0-9-`` in the stem: safe in URLs, on any disk and in HTML."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, _, ext = base.rpartition(".") if "." in base else (base, "", "")
    stem = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60].strip("-") or default
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())[:5]
    return f"{stem}.{ext}" if ext else stem


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and refuse anything too large before a single pixel is decoded."""
    try:
        img = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(max_pixels) from exc
    except UnidentifiedImageError as exc:
        other = _sniff_other_image(data)
        if other:
            raise ImageRejected(f"This is a {other} file. Please upload a JPEG, PNG or WebP picture instead.",
                                "unsupported_format") from exc
        raise ImageRejected("This file is not a picture. Please upload a JPEG, PNG or WebP image.",
                            "not_image") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("This picture is damaged and cannot be read. Please export it again.", "corrupt") from exc
    width, height = img.size
    if img.format not in _REDUCED_DECODE:
        max_pixels = min(max_pixels, MAX_PIXELS_WHOLE_DECODE)
    if width <= 0 or height <= 0 or width * height > max_pixels:
        img.close()
        raise _too_many_pixels(max_pixels, width, height)
    if img.format not in ACCEPTED_FORMATS:  # defensive: formats= already limits what Pillow tries
        img.close()
        raise ImageRejected("Please upload a JPEG, PNG or WebP image.", "unsupported_format")
    return img


def _too_many_pixels(max_pixels: int, width: int = 0, height: int = 0) -> ImageRejected:
    size = f" ({width} × {height})" if width and height else ""
    return ImageRejected(
        f"This picture is too large in pixels{size}. The limit is {max_pixels / 1_000_000:g} megapixels; "
        "please resize it and upload again.", "too_many_pixels")


def load_upload(data: bytes, filename: str, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Upload:
    """Check an upload by its content and return it, or raise :class:`ImageRejected` saying why not."""
    if not data:
        raise ImageRejected("The file is empty.", "empty")
    if len(data) > max_bytes:
        raise ImageRejected(f"The file is {len(data) / _MB:.1f} MB; the limit is {max_bytes / _MB:g} MB.",
                            "too_large")
    img = _open(data, max_pixels)
    try:
        fmt, size = str(img.format), img.size
        img.verify()  # structure and checksums, without decoding pixels
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("This picture is damaged and cannot be read. Please export it again.", "corrupt") from exc
    finally:
        img.close()
    # verify() does not decode; a truncated body only shows when the pixels are read, so read them once here. A
    # JPEG is read at 1/8 scale: every byte of it is still decoded (a cut-short file still fails), but a 49 MP
    # photo then needs ~2 MB of pixels instead of ~150 MB.
    img = _open(data, max_pixels)
    try:
        if img.format in _REDUCED_DECODE:
            img.draft(None, (1, 1))
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("This picture is damaged or cut short. Please export it again.", "corrupt") from exc
    finally:
        img.close()
    mime = ACCEPTED_FORMATS[fmt]
    stem = safe_filename(filename).rsplit(".", 1)[0]
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[mime]
    return Upload(data=data, filename=f"{stem}.{ext}", format=fmt, mime=mime, width=size[0], height=size[1],
                  max_pixels=max_pixels)


def _to_srgb(img: Image.Image) -> Image.Image:
    """Convert with the embedded ICC profile when there is one (phone P3, print CMYK); else Pillow's default."""
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "RGBA", "CMYK"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            out_mode = "RGBA" if img.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(img, src, dst, outputMode=out_mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile is not worth refusing the picture for
    return img


def _flatten_rgb(img: Image.Image) -> Image.Image:
    """Any mode to plain RGB; transparency goes onto white, because JPEG has none and black would be wrong."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode == "P" or img.mode == "PA":
        img = img.convert("RGBA")
    img = _to_srgb(img)
    if img.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")  # no full-size copy when it is RGBA already
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba)  # an RGBA mask is its alpha band, without copying it out
        return background
    return img.convert("RGB") if img.mode != "RGB" else img


def _nearest_size(spec: RenditionSpec, aspect: float) -> tuple[int, int]:
    return min(spec.sizes, key=lambda wh: abs((wh[0] / wh[1]) - aspect) / (wh[0] / wh[1]))


def _crop_box(size: tuple[int, int], aspect: float) -> tuple[int, int, int, int]:
    """The centre crop to ``aspect`` (width / height) that loses as little as possible."""
    w, h = size
    if w / h > aspect:
        new_w = max(1, round(h * aspect))
        left = (w - new_w) // 2
        return left, 0, left + new_w, h
    new_h = max(1, round(w / aspect))
    top = (h - new_h) // 2
    return 0, top, w, top + new_h


def _target_size(spec: RenditionSpec, size: tuple[int, int]) -> tuple[float, tuple[int, int]]:
    """The aspect to crop to and the final pixel size, never enlarging beyond the source except to min_width."""
    w, h = size
    aspect = w / h
    if spec.mode == "fill":
        tw, th = _nearest_size(spec, aspect)
        aspect = tw / th
        src_w = min(w, round(h * aspect))
        scale = min(1.0, src_w / tw)
    else:
        aspect = min(max(aspect, spec.min_aspect), spec.max_aspect)
        bw, bh = spec.sizes[0]
        src_w = min(w, round(h * aspect))
        src_h = min(h, round(w / aspect))
        scale = min(1.0, bw / src_w, bh / src_h)
        tw, th = src_w, src_h
    out_w = max(spec.min_width, round(tw * scale))
    return aspect, (out_w, max(1, round(out_w / aspect)))


def _encode(img: Image.Image, spec: RenditionSpec, prefer_png: bool) -> tuple[bytes, str]:
    """Smallest-effort encoding that fits: PNG for flat graphics where allowed, else JPEG at falling quality."""
    if prefer_png and spec.allow_png:
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        if buf.tell() <= spec.max_bytes:
            return buf.getvalue(), "image/png"
    for quality in JPEG_QUALITIES:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality, optimize=True, progressive=True, subsampling="4:2:0")
        if buf.tell() <= spec.max_bytes:
            return buf.getvalue(), "image/jpeg"
    raise ImageRejected("This picture cannot be made small enough for the channel. Please use a simpler image.",
                        "cannot_compress")


def render(upload: Upload, spec: RenditionSpec, filename: str, alt: str = "") -> ChannelImage:
    """Make one rendition to ``spec``; see :func:`rendition` for the per-channel entry point."""
    src = _open(upload.data, upload.max_pixels)
    rgb: Image.Image | None = None
    try:
        was_png = src.format == "PNG"
        if src.format in _REDUCED_DECODE:
            side = max(max(wh) for wh in spec.sizes)
            src.draft("RGB", (side, side))  # decode at 1/2, 1/4 or 1/8 scale when that is still large enough
        ImageOps.exif_transpose(src, in_place=True)  # in place: without it, an upright picture is copied whole
        rgb = _flatten_rgb(src)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("This picture is damaged and cannot be read. Please export it again.", "corrupt") from exc
    finally:
        if rgb is not src:  # an RGB picture goes on as it was decoded
            src.close()
    aspect, size = _target_size(spec, rgb.size)
    box = _crop_box(rgb.size, aspect)
    if (box[2] - box[0], box[3] - box[1]) == size:
        resized = rgb.crop(box)
    else:  # crop inside the resize: no full-size copy of the cropped picture
        resized = rgb.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    # A fresh image built from pixels alone: nothing from src.info (EXIF, XMP, ICC, comments) can come along.
    clean = Image.frombytes("RGB", resized.size, resized.tobytes())
    flat_graphic = was_png and clean.getcolors(maxcolors=256) is not None
    data, mime = _encode(clean, spec, prefer_png=flat_graphic)
    stem = filename.rsplit(".", 1)[0]
    return ChannelImage(data=data, mime=mime, filename=f"{stem}.{'png' if mime == 'image/png' else 'jpg'}",
                        alt=alt)


def rendition(upload: Upload, channel: str, alt: str = "") -> ChannelImage:
    """The picture for ``channel`` (a key of :data:`RENDITIONS`): upright, metadata-free, cropped, within limits."""
    spec = RENDITIONS.get(channel)
    if spec is None:
        raise ImageRejected(f"No picture size is defined for the channel '{channel}'.", "unknown_channel")
    stem = upload.filename.rsplit(".", 1)[0]
    return render(upload, spec, f"{stem}-{channel}", alt=alt)
