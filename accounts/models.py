"""Users and their activity log."""

import secrets
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _


def new_privacy_zone_secret() -> str:
    """The random per-user secret the privacy zone's radius and offset are drawn from (community.privacy)."""
    return secrets.token_hex(16)


# Privacy zone sizes a runner may choose (community/privacy.py draws the zone): 200 m is Strava's smallest and
# covers a block in Korean apartment districts; 0 turns it off.
ZONE_SIZES_M = (0, 200, 400, 800)
DEFAULT_ZONE_SIZE_M = 200


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str | None, password: str | None, **fields):
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str | None = None, password: str | None = None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True, email_verified=True)
        return self._create(email, password, **fields)


class ActiveUserManager(UserManager):
    """Users that are not soft-deleted: the default for everything a client can reach."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class User(AbstractBaseUser, PermissionsMixin):
    class Provider(models.TextChoices):
        EMAIL = "email", "Email"
        KAKAO = "kakao", "Kakao"

    class Language(models.TextChoices):
        KOREAN = "ko", "한국어"
        ENGLISH = "en", "English"

    class Gender(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"
        OTHER = "other", "Other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # NULL (not "") when unknown — a Kakao user who did not share one — and when the account is deleted
    # (the address moves to `deleted_email`), so the unique index frees it for a new signup. A partial
    # unique index would say this more directly, but MariaDB has none.
    email = models.EmailField(_("email address"), max_length=254, unique=True, null=True, blank=True)
    deleted_email = models.EmailField(max_length=254, blank=True, default="")
    name = models.CharField(_("name"), max_length=100, blank=True, default="")
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True, default="")
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices, default=Provider.EMAIL)
    provider_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    email_verified = models.BooleanField(_("email verified"), default=False)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=8, choices=Gender.choices, blank=True, default="")
    timezone = models.CharField(max_length=64, default="Asia/Seoul")
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.KOREAN,
        help_text="Language of the mails and texts sent outside a request (exports, account notices).")
    privacy_zone_m = models.PositiveSmallIntegerField(
        choices=[(size, f"{size} m" if size else "Off") for size in ZONE_SIZES_M], default=DEFAULT_ZONE_SIZE_M,
        help_text="Hidden around the start and end of every path others see (community.privacy).")
    privacy_zone_secret = models.CharField(max_length=32, default=new_privacy_zone_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    created_at = models.DateTimeField(_("created at"), default=dj_timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, db_index=True)
    # When operations.erasure.account_erase finished removing the deleted account's personal data; a deleted
    # account without it is pending (the hourly cleanup queues the job again).
    erased_at = models.DateTimeField(null=True, blank=True)
    # Every token carries the version it was issued under (claim `ver`, accounts.tokens); JWT authentication and
    # refresh refuse any other. Raising it ends every session at once, access tokens included, without a
    # per-request lookup beyond the user row that authentication reads anyway (and caches).
    token_version = models.PositiveIntegerField(default=0)

    objects = UserManager()
    active = ActiveUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["provider", "provider_id"], name="user_provider_idx")]

    def __str__(self) -> str:
        return self.email or self.deleted_email or f"{self.provider}:{self.provider_id or self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def can_authenticate(self) -> bool:
        return self.is_active and self.deleted_at is None

    @property
    def zone(self) -> ZoneInfo:
        """The runner's time zone: their calendar days, weeks and quiet hours. Every user-local date (stats
        periods, goal days, push quiet hours) comes from here, so a week starts at one instant everywhere. A
        blank or unknown `timezone` falls back to settings.TIME_ZONE (Asia/Seoul, where the runners are)."""
        try:
            return ZoneInfo(self.timezone or settings.TIME_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(settings.TIME_ZONE)


class ActivityLog(models.Model):
    class Action(models.TextChoices):
        SIGNUP = "signup", "Sign up"
        LOGIN = "login", "Login"
        OTP_LOGIN = "otp_login", "OTP login"
        KAKAO_LOGIN = "kakao_login", "Kakao login"
        LOGOUT = "logout", "Logout"
        DELETE = "delete", "Account deleted"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="activity_logs")
    action = models.CharField(max_length=32, choices=Action.choices)
    # Set by the request that queued the row: a redelivered task finds it taken and writes nothing.
    event_id = models.UUIDField(unique=True, null=True, blank=True, editable=False)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)

    class Meta:
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="activity_user_created_idx")]

    def __str__(self) -> str:
        return f"{self.action} by {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


class EmailOTP(models.Model):
    """One emailed login code. The code itself is never stored in clear.

    `code_hash` is an HMAC of the code keyed with SECRET_KEY (a database dump alone cannot recover or test
    codes). `code_encrypted` carries the code, Fernet-encrypted, from the request to the mail task; the
    task empties it once the mail is sent. Only the newest code of an email counts.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, db_index=True)
    code_hash = models.CharField(max_length=64)
    code_encrypted = models.TextField(blank=True, default="")
    # Wrong codes typed against this code. The per-email limit sums these over recent codes, so asking for
    # a new code does not reset it (see accounts.otp.OTP_FAILURE_WINDOW).
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    # The language of the request that asked for the code: the mail task writes in it.
    language = models.CharField(max_length=2, choices=User.Language.choices, default=User.Language.KOREAN)
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("email login code")
        verbose_name_plural = _("email login codes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email", "-created_at"], name="emailotp_email_created_idx")]

    def __str__(self) -> str:
        return f"code for {self.email} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class EmailOTPFailure(models.Model):
    """One wrong code typed for an email, and from where: the per-address count keeps one stranger's guesses from
    locking the owner out (accounts.services.otp_verify). Removed with its code by the hourly cleanup."""

    otp = models.ForeignKey(EmailOTP, on_delete=models.CASCADE, related_name="failures")
    email = models.EmailField(max_length=254)
    # NULL when the address is unknown (a call outside a request): such guesses count only towards the email.
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        verbose_name = _("wrong login code")
        verbose_name_plural = _("wrong login codes")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["email", "created_at"], name="otpfailure_email_created_idx"),
            models.Index(fields=["email", "client_address", "created_at"], name="otpfailure_email_addr_idx"),
        ]

    def __str__(self) -> str:
        return f"wrong code for {self.email} from {self.client_address or '?'} at {self.created_at:%H:%M:%S}"
