"""Avatar decoding stays within a small memory budget: a small file can declare a huge canvas.

Pillow allocates decoded pixels with malloc, which tracemalloc does not see, so each upload is decoded in a child
process and measured by its peak resident memory above what it held before: the kernel's high-water mark (VmHWM),
reset just before the decode (`/proc/self/clear_refs`). ru_maxrss would not do: it keeps the parent's peak across
fork and exec.
"""

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.avatars import MAX_SOURCE_PIXELS

AVATAR = "/api/v1/users/me/avatar"

_MEASURE = r'''
import io, json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "runnerway.settings_test")
import django
django.setup()
from django.utils import translation
translation.activate("en")  # the refusals' English texts are asserted
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from accounts.avatars import avatar_normalize
from runnerway.api.exceptions import UnsupportedFile

warm = io.BytesIO()
Image.new("RGB", (64, 64)).save(warm, "PNG")
avatar_normalize(SimpleUploadedFile("w.png", warm.getvalue()))  # codecs loaded before the baseline
def rss_kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as clear_refs:
    clear_refs.write("5")  # the high-water mark starts again from the current resident size
baseline_kb = rss_kb("VmRSS")
cpu_start = time.process_time()
try:
    stored, extension = avatar_normalize(SimpleUploadedFile("a", data))
    with Image.open(io.BytesIO(stored)) as image:
        outcome = {"stored": extension, "size": list(image.size)}
except UnsupportedFile as exc:
    outcome = {"refused": str(exc.detail)}
outcome["peak_mb"] = (rss_kb("VmHWM") - baseline_kb) / 1024
outcome["cpu_s"] = time.process_time() - cpu_start
print(json.dumps(outcome))
'''


def _measure(path: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True,
                            cwd=settings.BASE_DIR, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _large_png(path: Path, width: int, height: int) -> Path:
    """A valid RGBA PNG of `width` x `height`, written row by row (this process never holds the pixels)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + bytes(range(256)) * (width * 4 // 256) + b"\x00" * (width * 4 % 256)
    with path.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(_png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)))
        data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
        out.write(_png_chunk(b"IDAT", data))
        out.write(_png_chunk(b"IEND", b""))
    return path


def _large_jpeg(path: Path, width: int, height: int) -> Path:
    # In a child as well: the pixels (~100 MB) never enter the test process.
    script = ("import sys; from PIL import Image; "
              f"Image.linear_gradient('L').resize(({width}, {height})).convert('RGB').save(sys.argv[1], 'JPEG')")
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=120)
    return path


def test_a_small_png_declaring_40_megapixels_is_refused_before_decoding(tmp_path):
    side = int(MAX_SOURCE_PIXELS ** 0.5) - 4  # just under the pixel cap: 39.9 MP
    path = _large_png(tmp_path / "bomb.png", side, side)
    assert path.stat().st_size < 1024 * 1024
    outcome = _measure(path)
    assert "6 megapixels" in outcome.get("refused", ""), outcome
    assert outcome["peak_mb"] < 16, outcome  # it was ~480 MB (decoded in full, then copied)
    assert outcome["cpu_s"] < 0.5, outcome


def test_a_6_megapixel_png_is_stored_within_the_budget(tmp_path):
    path = _large_png(tmp_path / "screenshot.png", 3000, 2000)
    outcome = _measure(path)
    assert outcome.get("stored") == "png" and outcome["size"] == [1024, 683], outcome
    assert outcome["peak_mb"] < 64, outcome


def test_a_12_megapixel_png_is_refused_before_decoding(tmp_path):
    outcome = _measure(_large_png(tmp_path / "big.png", 4000, 3000))
    assert "6 megapixels" in outcome.get("refused", ""), outcome
    assert outcome["peak_mb"] < 16, outcome


@pytest.mark.parametrize(("width", "height"), [(6000, 4000), (7000, 4000)])
def test_a_big_photo_is_decoded_reduced(tmp_path, width, height):
    path = _large_jpeg(tmp_path / "photo.jpg", width, height)
    outcome = _measure(path)
    assert outcome.get("stored") == "jpg" and max(outcome["size"]) == 1024, outcome
    assert outcome["peak_mb"] < 40, outcome  # decoded at 1/4 scale (1500 x 1000), not 96-112 MB of pixels


@pytest.mark.django_db
def test_the_api_refuses_the_near_cap_png_and_keeps_no_avatar(auth_client, user, tmp_path):
    side = int(MAX_SOURCE_PIXELS ** 0.5) - 4
    path = _large_png(tmp_path / "bomb.png", side, side)
    response = auth_client.put(AVATAR, {"avatar": SimpleUploadedFile("bomb.png", path.read_bytes(),
                                                                     content_type="image/png")}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"
    user.refresh_from_db()
    assert not user.avatar


@pytest.mark.django_db
def test_a_rotated_photo_keeps_its_orientation(auth_client, user, tmp_path):
    photo = Image.new("RGB", (1600, 1200), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "portrait.jpg"
    photo.save(path, "JPEG", exif=exif.tobytes())
    response = auth_client.put(AVATAR, {"avatar": SimpleUploadedFile("p.jpg", path.read_bytes(),
                                                                     content_type="image/jpeg")}, format="multipart")
    assert response.status_code == 200
    user.refresh_from_db()
    with user.avatar.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (768, 1024)  # turned upright, then within 1024 px
        assert 0x0112 not in image.getexif()
