"""Real pictures for the photo tests, carrying the metadata that must never be published:
EXIF with GPS (as phones write it), XMP, an ICC profile, a JPEG comment, PNG text chunks."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import zlib
from typing import Any

from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

SECRET = "Geheimstrasse 7"  # written into every metadata field; must never come back out
GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    f'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:description="{SECRET}"/></rdf:RDF>'
    '</x:xmpmeta><?xpacket end="w"?>'
).encode()


def picture(width: int = 800, height: int = 600) -> Image.Image:
    """A picture with structure (so resizing and orientation are visible): red top-left."""
    image = Image.new("RGB", (width, height), (40, 120, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2, height // 2), fill=(220, 30, 30))
    draw.ellipse((width // 3, height // 3, width * 2 // 3, height * 2 // 3), fill=(250, 220, 0))
    return image


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x010E] = SECRET  # ImageDescription
    if orientation is not None:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (49.0, 26.0, 40.92)  # GPSLatitude (Kaiserslautern)
    gps[3] = "E"
    gps[4] = (7.0, 46.0, 8.04)
    return exif


def icc_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


def jpeg_with_gps(
    width: int = 800, height: int = 600, *, orientation: int | None = None, quality: int = 90
) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(
        out,
        "JPEG",
        quality=quality,
        exif=gps_exif(orientation).tobytes(),
        icc_profile=icc_profile(),
        comment=SECRET.encode(),
        xmp=XMP,
    )
    return out.getvalue()


def png_with_text(width: int = 640, height: int = 480) -> bytes:
    info = PngInfo()
    info.add_text("Comment", SECRET)
    info.add_itxt("Description", SECRET, lang="de")
    info.add_text("Author", SECRET, zip=True)
    image = picture(width, height).convert("RGBA")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=gps_exif().tobytes(), icc_profile=icc_profile())
    return out.getvalue()


def webp_with_exif(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(
        out, "WEBP", exif=gps_exif().tobytes(), icc_profile=icc_profile(), xmp=XMP
    )
    return out.getvalue()


def noise_jpeg(width: int, height: int) -> bytes:
    """Incompressible content: a JPEG whose byte size grows with its pixels."""
    import random

    rng = random.Random(13)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` pixels in a few bytes: a decompression bomb's header
    (any decoder that believed it would allocate width*height*3 bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def exiftool(data: bytes) -> dict[str, Any]:
    """Every tag exiftool (Debian's libimage-exiftool-perl) reads, by group."""
    result = subprocess.run(
        ["exiftool", "-j", "-G1", "-a", "-u", "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)[0]


def assert_no_metadata(data: bytes) -> None:
    """The served bytes carry pixels only: no EXIF (GPS above all), XMP, ICC, comment, text."""
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(GPS_IFD) == {}
        leaked = {"exif", "icc_profile", "xmp", "comment", "photoshop", "adobe"} & set(image.info)
        assert not leaked, leaked
    assert SECRET.encode() not in data
    assert b"Exif\x00\x00" not in data
    assert b"http://ns.adobe.com/xap/1.0/" not in data
    tags = exiftool(data)
    groups = {key.split(":")[0] for key in tags if ":" in key}
    # What a bare JPEG has: the file's own facts and the JFIF header; nothing else.
    assert groups <= {"ExifTool", "System", "File", "JFIF", "Composite"}, groups
    assert not [k for k in tags if "GPS" in k], tags
