"""Avatar uploads: accept only real JPEG/PNG/WebP images and store a clean re-encoded copy.

Re-encoding (rather than storing the upload as sent) drops everything but pixels — EXIF GPS positions
above all, which a running app's users would not expect to publish — and anything smuggled after the image
data. Images are also scaled down: an avatar is shown as a small circle.
"""

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from runnerway.api.exceptions import UnsupportedFile

MAX_AVATAR_BYTES = 5 * 1024 * 1024
MAX_AVATAR_SIDE_PX = 1024
# Refuse before decoding: a small file can declare a huge canvas (decompression bomb).
MAX_SOURCE_PIXELS = 40_000_000
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
        raise UnsupportedFile("The avatar must be at most 5 MB.")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            image_format = probe.format
            if image_format not in _FORMATS:
                raise UnsupportedFile("The avatar must be a JPEG, PNG or WebP image.")
            if probe.width * probe.height > MAX_SOURCE_PIXELS:
                raise UnsupportedFile("The avatar image has too many pixels.")
            probe.verify()  # structure and checksums; the image cannot be used after this
        upload.seek(0)
        with Image.open(upload) as source:
            source.load()  # decodes every pixel: a truncated file fails here
            image = ImageOps.exif_transpose(source)  # keep the orientation the EXIF tag asked for
            image.thumbnail((MAX_AVATAR_SIDE_PX, MAX_AVATAR_SIDE_PX))
            extension, options = _FORMATS[image_format]
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")  # CMYK and friends: JPEG readers expect RGB
            encoded = io.BytesIO()
            image.save(encoded, format=image_format, **options)
    except UnsupportedFile:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedFile("The avatar must be a JPEG, PNG or WebP image.") from exc
    return encoded.getvalue(), extension
