"""Uploaded pictures made safe to publish: checked by content, turned upright, resized, and
re-encoded from the bare pixels, so no metadata (EXIF with GPS, XMP, ICC, comments, PNG text
chunks) survives. Knows no app: callers store the bytes it returns.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageOps, UnidentifiedImageError

# What people upload from phones and cameras; decided by the file's content, not its name.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
OUTPUT_CONTENT_TYPE = "image/jpeg"
OUTPUT_SUFFIX = ".jpg"
_JPEG_QUALITY = 85
# Pillow's own bomb guard: a decoder refuses to allocate beyond twice this many pixels even if
# a caller forgets the header check below.
Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS


@dataclass(frozen=True)
class Rendition:
    """One re-encoded version of the picture (JPEG bytes without metadata)."""

    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class CleanImage:
    full: Rendition
    thumbnail: Rendition
    source_format: str


def _refusal(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def clean_image(upload: IO[bytes], *, size: int | None = None) -> CleanImage:
    """The picture in `upload`, checked and re-encoded; ValidationError says what is wrong.

    Checks in the order that costs least: the byte size, the format and the pixel count read
    from the header, then the decoding itself (a truncated or corrupt file fails there).
    """
    limit = settings.IMAGE_MAX_BYTES
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    if size == 0:
        raise _refusal(_("The file is empty."), "empty")
    if size > limit:
        raise _refusal(
            _("The picture is larger than %(mb)s MB. Please choose a smaller one.")
            % {"mb": round(limit / 1_000_000, 1)},
            "too_large",
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns (and only warns) between MAX_IMAGE_PIXELS and twice that.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format or ""
                if image_format not in ACCEPTED_FORMATS:
                    raise _refusal(_("Upload a JPEG, PNG or WebP picture."), "format")
                _check_dimensions(*image.size)
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = _plain_rgb(upright)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refusal(_("The picture has too many pixels."), "too_many_pixels") from None
    except UnidentifiedImageError:
        raise _refusal(
            _("This file is not a picture. Upload a JPEG, PNG or WebP picture."), "format"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # Pillow reports truncated and corrupt data with these.
        raise _refusal(_("The picture is damaged and cannot be read."), "damaged") from None
    return CleanImage(
        full=_encode(pixels, settings.IMAGE_MAX_EDGE),
        thumbnail=_encode(pixels, settings.IMAGE_THUMBNAIL_EDGE),
        source_format=image_format,
    )


def _check_dimensions(width: int, height: int) -> None:
    smallest = settings.IMAGE_MIN_EDGE
    if width < smallest or height < smallest:
        raise _refusal(
            ngettext(
                "The picture must be at least %(px)d pixel wide and high.",
                "The picture must be at least %(px)d pixels wide and high.",
                smallest,
            )
            % {"px": smallest},
            "too_small",
        )
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise _refusal(
            _("The picture has too many pixels (at most %(mp)s megapixels).")
            % {"mp": round(settings.IMAGE_MAX_PIXELS / 1_000_000)},
            "too_many_pixels",
        )


def _plain_rgb(image: Image.Image) -> Image.Image:
    """The pixels alone, in RGB: transparency on white, every `info` entry left behind."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    # A new image from the raw bytes carries no `info` (EXIF, ICC, XMP, comments, text chunks),
    # so nothing Pillow might pass through on save can reach the output.
    return Image.frombytes("RGB", image.size, image.tobytes())


def _encode(pixels: Image.Image, edge: int) -> Rendition:
    image = pixels.copy()
    image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True, progressive=True)
    return Rendition(data=out.getvalue(), width=image.width, height=image.height)


def stored_image_response(name: str, *, public: bool) -> HttpResponseBase:
    """The stored picture `name` as a response, after the caller asked who may see it.

    With MEDIA_ACCEL_REDIRECT the proxy sends the file from its internal location (the app
    only says which); otherwise the app streams it. A picture not everyone may see is never
    kept by a shared cache.
    """
    if not name or not default_storage.exists(name):
        raise Http404(_("The picture is missing."))
    response: HttpResponseBase
    if settings.MEDIA_ACCEL_REDIRECT:
        response = HttpResponse(content_type=OUTPUT_CONTENT_TYPE)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT + quote(name)
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type=OUTPUT_CONTENT_TYPE)
    # Short-lived even when public: a photo hidden by moderation must soon stop showing.
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    response["Content-Disposition"] = "inline"
    return response
