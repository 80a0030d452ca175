"""Staff admin for users and the activity log, and the OpenAPI description of the accounts endpoints."""

import pytest
from django.urls import reverse

from accounts.models import ActivityLog, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin_user = User.objects.create_superuser(email="staff@example.com", password="staff-pass-123")
    client.force_login(admin_user)
    return client


def test_user_admin_lists_searches_and_filters(staff_client):
    UserFactory(email="findme@example.com", name="Findable Runner")
    UserFactory(email="other@example.com", provider="kakao", provider_id="123456")
    listing = staff_client.get(reverse("admin:accounts_user_changelist"), {"q": "findme"})
    assert listing.status_code == 200
    assert b"findme@example.com" in listing.content and b"other@example.com" not in listing.content
    by_provider_id = staff_client.get(reverse("admin:accounts_user_changelist"), {"q": "123456"})
    assert b"other@example.com" in by_provider_id.content
    filtered = staff_client.get(reverse("admin:accounts_user_changelist"),
                                {"provider__exact": "kakao", "deleted": "no"})
    assert b"other@example.com" in filtered.content and b"findme@example.com" not in filtered.content


def test_user_admin_change_and_add_pages_render(staff_client):
    user = UserFactory()
    assert staff_client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 200
    assert staff_client.get(reverse("admin:accounts_user_add")).status_code == 200


def test_deactivate_users_action(staff_client):
    first, second, untouched = UserFactory(), UserFactory(), UserFactory()
    response = staff_client.post(reverse("admin:accounts_user_changelist"),
                                 {"action": "deactivate_users", "_selected_action": [first.pk, second.pk]})
    assert response.status_code == 302
    assert list(User.objects.filter(is_active=False).order_by("email")) == sorted([first, second],
                                                                                key=lambda u: u.email)
    untouched.refresh_from_db()
    assert untouched.is_active


def test_activity_log_admin_is_read_only(staff_client):
    log = ActivityLog.objects.create(user=UserFactory(), action="login", ip="127.0.0.1")
    assert staff_client.get(reverse("admin:accounts_activitylog_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:accounts_activitylog_change", args=[log.pk])).status_code == 200
    assert staff_client.get(reverse("admin:accounts_activitylog_add")).status_code == 403
    delete = staff_client.post(reverse("admin:accounts_activitylog_delete", args=[log.pk]), {"post": "yes"})
    assert delete.status_code == 403
    change = staff_client.post(reverse("admin:accounts_activitylog_change", args=[log.pk]), {"action": "logout"})
    assert change.status_code == 403
    log.refresh_from_db()
    assert log.action == "login"


def test_schema_documents_the_accounts_endpoints(api_client):
    response = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {"/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout",
                "/api/v1/auth/otp/request", "/api/v1/auth/otp/verify", "/api/v1/auth/kakao", "/api/v1/users/me",
                "/api/v1/users/me/avatar", "/api/v1/users/{user_id}"}
    assert expected <= set(paths)
    for path in expected:
        for method, operation in paths[path].items():
            if method in {"get", "post", "put", "patch", "delete"}:
                assert operation.get("summary"), (path, method)
    public = {"/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/otp/request",
              "/api/v1/auth/otp/verify", "/api/v1/auth/kakao"}
    for path in public:
        assert paths[path]["post"]["security"] == [], path  # public: no security requirement at all
    assert "jwtAuth" in str(paths["/api/v1/users/me"]["get"].get("security", "jwtAuth"))
    kakao = paths["/api/v1/auth/kakao"]["post"]["responses"]
    assert {"200", "401", "429", "503"} <= set(kakao)
    assert "409" not in kakao  # an unverified account with the email is secured and linked, not refused
    assert "409" in paths["/api/v1/auth/signup"]["post"]["responses"]
    assert "202" in paths["/api/v1/auth/otp/request"]["post"]["responses"]
    assert "multipart/form-data" in paths["/api/v1/users/me/avatar"]["put"]["requestBody"]["content"]
    otp_ok = paths["/api/v1/auth/otp/verify"]["post"]["responses"]["200"]["content"]["application/json"]
    assert "data" in otp_ok["schema"]["properties"]  # enveloped by the schema hook


# --- the admin login is throttled (django-axes) -----------------------------------------------------------------


def _admin_login(client, email: str, password: str, address: str = "203.0.113.9"):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password},
                       REMOTE_ADDR=address)


def test_fifteen_wrong_admin_passwords_end_in_429_and_even_the_right_one_waits(client, settings):
    staff = User.objects.create_superuser(email="staff@example.com", password="staff-pass-123")
    statuses = [_admin_login(client, staff.email, f"wrong-{index}").status_code for index in range(15)]
    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert set(statuses[limit:]) == {429}
    locked = _admin_login(client, staff.email, "staff-pass-123")
    assert locked.status_code == 429 and "_auth_user_id" not in client.session


def test_the_admin_lock_is_per_address_and_per_staff_email(client, settings):
    staff = User.objects.create_superuser(email="staff@example.com", password="staff-pass-123")
    other = User.objects.create_superuser(email="other-staff@example.com", password="other-pass-123")
    for index in range(settings.AXES_FAILURE_LIMIT):
        _admin_login(client, staff.email, f"wrong-{index}")
    # That email from elsewhere: locked (guessing one account from many addresses does not help) ...
    assert _admin_login(client, staff.email, "staff-pass-123", address="198.51.100.1").status_code == 429
    # ... that address for another account: locked too; another account from another address: fine.
    assert _admin_login(client, other.email, "other-pass-123").status_code == 429
    response = _admin_login(client, other.email, "other-pass-123", address="198.51.100.2")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_good_admin_login_resets_the_count(client, settings):
    staff = User.objects.create_superuser(email="staff@example.com", password="staff-pass-123")
    for _ in range(2):
        for index in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _admin_login(client, staff.email, f"wrong-{index}").status_code == 200
        assert _admin_login(client, staff.email, "staff-pass-123").status_code == 302
        client.logout()


def test_wrong_codes_are_listed_read_only_for_staff(staff_client):
    from django.utils import timezone

    from accounts.models import EmailOTP, EmailOTPFailure

    otp = EmailOTP.objects.create(email="target@example.com", code_hash="x" * 64,
                                  expires_at=timezone.now())
    EmailOTPFailure.objects.create(otp=otp, email=otp.email, client_address="203.0.113.66")
    listing = staff_client.get(reverse("admin:accounts_emailotpfailure_changelist"), {"q": "203.0.113.66"})
    assert listing.status_code == 200 and b"target@example.com" in listing.content
    assert staff_client.get(reverse("admin:accounts_emailotpfailure_add")).status_code == 403
