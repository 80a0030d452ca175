"""The user's own profile, avatar and account deletion (public profiles: community/tests/test_public_profile_api.py)."""

import io

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ActivityLog, User
from accounts.tests.factories import DEFAULT_PASSWORD
from conftest import client_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"
AVATAR = "/api/v1/users/me/avatar"


def _image_file(name: str, image_format: str, size=(64, 48), mode="RGB", **options) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    color = (200, 30, 60) if mode == "RGB" else 128
    Image.new(mode, size, color=color).save(buffer, format=image_format, **options)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def test_get_me_returns_the_profile(auth_client, user):
    response = auth_client.get(ME)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == str(user.pk) and data["email"] == user.email
    assert {"id", "email", "name", "avatar", "provider", "email_verified", "weight_kg", "height_cm",
            "birth_year", "gender", "created_at"} <= set(data)
    assert data["avatar"] is None


def test_patch_me_updates_allowed_fields(auth_client, user):
    response = auth_client.patch(ME, {"name": "김러너", "weight_kg": "61.5", "height_cm": 172,
                                      "birth_year": 1990, "gender": "female"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["name"] == "김러너" and data["gender"] == "female" and data["birth_year"] == 1990
    user.refresh_from_db()
    assert user.name == "김러너" and float(user.weight_kg) == 61.5 and float(user.height_cm) == 172.0


def test_weight_and_height_are_json_numbers(auth_client, api_client, user):
    # API.md units: quantities are numbers (as sent in PATCH), not the decimal strings DRF defaults to.
    patched = auth_client.patch(ME, {"weight_kg": 61.5, "height_cm": 172}).json()["data"]
    assert (patched["weight_kg"], patched["height_cm"]) == (61.5, 172.0)
    assert isinstance(patched["weight_kg"], float) and isinstance(patched["height_cm"], float)
    me = auth_client.get(ME).json()["data"]
    assert (me["weight_kg"], me["height_cm"]) == (61.5, 172.0)
    login = api_client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert login.json()["data"]["user"]["weight_kg"] == 61.5
    cleared = auth_client.patch(ME, {"weight_kg": None}).json()["data"]
    assert cleared["weight_kg"] is None and cleared["height_cm"] == 172.0


# A fixed UUID: a random one would name the test differently in each xdist worker (a collection error).
@pytest.mark.parametrize("field,value", [("id", "2f1e7c52-6a0e-4b8e-9d7f-3c1a5b9e0d42"), ("email", "mine@example.com"),
                                         ("is_staff", True), ("email_verified", False),
                                         ("provider", "kakao")])
def test_patch_me_refuses_read_only_fields_and_applies_nothing(auth_client, user, field, value):
    watched = ["id", "email", "is_staff", "email_verified", "provider", "name"]
    before = {name: getattr(user, name) for name in watched}
    response = auth_client.patch(ME, {field: value, "name": "Changed"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    user.refresh_from_db()
    assert {name: getattr(user, name) for name in before} == before


@pytest.mark.parametrize("payload,field", [({"weight_kg": 5}, "weight_kg"),
                                           ({"birth_year": 1800}, "birth_year"),
                                           ({"gender": "robot"}, "gender"),
                                           ({"timezone": "Mars/Base"}, "timezone")])
def test_patch_me_validates_values(auth_client, payload, field):
    response = auth_client.patch(ME, payload)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_me_needs_a_token(api_client):
    assert api_client.patch(ME, {"name": "x"}).status_code == 401


@pytest.mark.parametrize("image_format,extension", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_avatar_upload_stores_a_reencoded_copy_under_a_random_name(auth_client, user, image_format,
                                                                     extension):
    upload = _image_file("my face.png", image_format)
    response = auth_client.put(AVATAR, {"avatar": upload}, format="multipart")
    assert response.status_code == 200, response.content
    avatar_url = response.json()["data"]["avatar"]
    assert avatar_url.startswith("http://testserver/media/avatars/") and avatar_url.endswith(f".{extension}")
    assert "my face" not in avatar_url
    user.refresh_from_db()
    with user.avatar.open("rb") as stored, Image.open(stored) as image:
        assert image.format == image_format and image.size == (64, 48)


def test_avatar_is_scaled_down_and_loses_its_metadata(auth_client, user):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    upload = _image_file("big.jpg", "JPEG", size=(3000, 1500), exif=exif.tobytes())
    response = auth_client.put(AVATAR, {"avatar": upload}, format="multipart")
    assert response.status_code == 200
    user.refresh_from_db()
    with user.avatar.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (1024, 512)
        assert not image.getexif()


def test_replacing_the_avatar_removes_the_old_file(auth_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.put(AVATAR, {"avatar": _image_file("a.png", "PNG")}, format="multipart")
    user.refresh_from_db()
    first_name = user.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.put(AVATAR, {"avatar": _image_file("b.png", "PNG")}, format="multipart")
    user.refresh_from_db()
    assert user.avatar.name != first_name
    assert user.avatar.storage.exists(user.avatar.name)
    assert not user.avatar.storage.exists(first_name)


def test_avatar_text_file_renamed_png_is_unsupported(auth_client, user):
    fake = SimpleUploadedFile("face.png", b"just some text, not an image\n" * 10, content_type="image/png")
    response = auth_client.put(AVATAR, {"avatar": fake}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"
    user.refresh_from_db()
    assert not user.avatar


def test_avatar_gif_is_unsupported(auth_client):
    gif = _image_file("anim.gif", "GIF", mode="L")
    response = auth_client.put(AVATAR, {"avatar": gif}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"


def test_avatar_truncated_png_is_unsupported(auth_client):
    whole = _image_file("x.png", "PNG", size=(300, 300))
    truncated = SimpleUploadedFile("x.png", whole.read()[:400], content_type="image/png")
    response = auth_client.put(AVATAR, {"avatar": truncated}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"


def test_avatar_over_5_mb_is_refused(auth_client, user):
    valid_png = _image_file("x.png", "PNG").read()
    oversized = SimpleUploadedFile("x.png", valid_png + b"\0" * (5 * 1024 * 1024), content_type="image/png")
    response = auth_client.put(AVATAR, {"avatar": oversized}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_file"
    assert "5 MB" in response.json()["error"]["message"]
    user.refresh_from_db()
    assert not user.avatar


def test_avatar_missing_file_or_json_body(auth_client):
    missing = auth_client.put(AVATAR, {}, format="multipart")
    assert missing.status_code == 400 and "avatar" in missing.json()["error"]["fields"]
    as_json = auth_client.put(AVATAR, {"avatar": "data"}, format="json")
    assert as_json.status_code == 415


def test_delete_me_soft_deletes_revokes_tokens_and_frees_the_email(api_client, user):
    refresh = str(RefreshToken.for_user(user))
    client = client_for(user)
    SocialAccount.objects.create(user=user, provider="kakao", uid="777", extra_data={})
    response = client.delete(ME)
    assert response.status_code == 204
    assert response.content == b""

    stored = User.objects.get(pk=user.pk)
    assert stored.deleted_at is not None and not stored.is_active
    assert stored.email is None and stored.deleted_email == user.email
    assert not SocialAccount.objects.filter(user=stored).exists()
    assert ActivityLog.objects.filter(user=stored, action="delete").count() == 1

    after = client.get(ME)
    assert after.status_code == 401 and after.json()["error"]["code"] == "token_invalid"
    assert client.delete(ME).status_code == 401  # a second delete is not a 500
    reuse = api_client.post("/api/v1/auth/refresh", {"refresh": refresh})
    assert reuse.status_code == 401 and reuse.json()["error"]["code"] == "token_invalid"
    old_login = api_client.post("/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert old_login.status_code == 401

    again = api_client.post("/api/v1/auth/signup", {"email": user.email, "password": "brand-new-pass-77",
                                                    "name": "Again"})
    assert again.status_code == 201
    assert again.json()["data"]["user"]["id"] != str(user.pk)


def test_schema_documents_weight_and_height_as_numbers(api_client):
    schemas = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["components"][
        "schemas"]
    for component in ("User", "PatchedProfileUpdateRequest"):
        for field in ("weight_kg", "height_cm"):
            assert schemas[component]["properties"][field]["type"] == "number", (component, field)
