"""Avatar uploads: accept only real JPEG/PNG/WebP images and store a clean re-encoded copy.

Re-encoding (rather than storing the upload as sent) drops everything but pixels — EXIF GPS positions
above all, which a running app's users would not expect to publish — and anything smuggled after the image
data. Images are also scaled down: an avatar is shown as a small circle.
"""

import io

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from runnerway.api.exceptions import UnsupportedFile

MAX_AVATAR_BYTES = 5 * 1024 * 1024
MAX_AVATAR_SIDE_PX = 1024
# Refuse before decoding: a small file can declare a huge canvas (decompression bomb).
MAX_SOURCE_PIXELS = 40_000_000
# What a decode may allocate. A JPEG is decoded reduced (libjpeg scales by 1/2, 1/4 or 1/8 while decoding: a 48 MP
# phone photo decodes as ~3 MP for a 1024 px avatar); PNG and WebP decode in full, so this caps them at 6 MP in
# colour (4 bytes a pixel; a phone screenshot is ~4 MP). Decoding and scaling peak at ~2x the decoded size: < 64 MB
# a request, where a 40 MP PNG of a few hundred KB cost ~480 MB.
MAX_DECODED_BYTES = 24 * 1024 * 1024
# Pillow format → (stored extension, save options)
_FORMATS = {
    "JPEG": ("jpg", {"quality": 85, "optimize": True}),
    "PNG": ("png", {"optimize": True}),
    "WEBP": ("webp", {"quality": 85}),
}


def avatar_normalize(upload) -> tuple[bytes, str]:
    """Check an uploaded file and return (re-encoded image bytes, extension: jpg | png | webp).

    Raises UnsupportedFile when the file is over 5 MB, is not a decodable JPEG/PNG/WebP, or is too large
    in pixels.
    """
    if upload.size is not None and upload.size > MAX_AVATAR_BYTES:
        raise UnsupportedFile(_("The avatar must be at most 5 MB."))
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            image_format = probe.format
            if image_format not in _FORMATS:
                raise UnsupportedFile(_("The avatar must be a JPEG, PNG or WebP image."))
            if probe.width * probe.height > MAX_SOURCE_PIXELS:
                raise UnsupportedFile(_("The avatar image has too many pixels."))
            probe.verify()  # structure and checksums; the image cannot be used after this
        upload.seek(0)
        with Image.open(upload) as source:
            if image_format == "JPEG":
                # The avatar's own size: libjpeg then scales by the largest power of 2 (up to 8) that keeps
                # the image at least that big (a square target would be bounded by the shorter side).
                scale = MAX_AVATAR_SIDE_PX / max(source.size)
                if scale < 1:
                    source.draft(None, (max(1, int(source.width * scale)), max(1, int(source.height * scale))))
            if _decoded_bytes(source) > MAX_DECODED_BYTES:
                raise UnsupportedFile(_("The avatar image has too many pixels: a PNG or WebP may have at most "
                                      "6 megapixels (JPEG photos may be larger)."))
            source.load()  # decodes every pixel: a truncated file fails here
            # Scaled first, then turned as the EXIF tag asks: the square bound makes the order irrelevant to the
            # result, and turning the small image costs a copy of 1 MP instead of the source's.
            source.thumbnail((MAX_AVATAR_SIDE_PX, MAX_AVATAR_SIDE_PX))
            image = ImageOps.exif_transpose(source)
            extension, options = _FORMATS[image_format]
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")  # CMYK and friends: JPEG readers expect RGB
            encoded = io.BytesIO()
            image.save(encoded, format=image_format, **options)
    except UnsupportedFile:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedFile(_("The avatar must be a JPEG, PNG or WebP image.")) from exc
    return encoded.getvalue(), extension


def _decoded_bytes(image: Image.Image) -> int:
    """Bytes Pillow allocates for the decoded image: 1 a pixel for the 8-bit single-band modes, else 4 (Pillow
    stores RGB in 4 bytes too)."""
    per_pixel = 1 if image.mode in ("1", "L", "P") else 4
    return image.width * image.height * per_pixel
