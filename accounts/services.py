"""What the app can do to a user: sign up, log in (password, email code, Kakao), issue and revoke tokens,
update the profile and avatar, delete."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django_q.tasks import async_task
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import otp as otp_codes
from accounts.avatars import avatar_normalize
from accounts.kakao import KakaoProfile
from accounts.models import EmailOTP, User
from runnerway.api.exceptions import ApiError, Conflict

logger = logging.getLogger(__name__)

# Compared against when the email is unknown, so a login for an unknown email costs the same time as a
# wrong password and the two cannot be told apart (API.md: same answer for both).
_DUMMY_PASSWORD_HASH = make_password("runnerway-timing-equaliser")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@dataclass(frozen=True)
class LoginResult:
    user: User
    created: bool  # True when this login created the account


class AccountDisabled(ApiError):
    status_code = 401
    default_code = "authentication_failed"
    default_detail = "This account is disabled."


class OTPInvalid(ApiError):
    default_code = "otp_invalid"
    default_detail = "The code is not correct. Check the latest email or request a new code."


class OTPExpired(ApiError):
    default_code = "otp_expired"
    default_detail = "The code has expired. Request a new code."


class OTPAttemptsExceeded(ApiError):
    default_code = "otp_attempts_exceeded"
    default_detail = "Too many wrong codes for this email. Try again later."


def normalize_email(email: str) -> str:
    return email.strip().lower()


def tokens_for_user(*, user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


@transaction.atomic
def user_signup(*, email: str, password: str, name: str) -> User:
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise Conflict("An account with this email already exists.")
    candidate = User(email=email, name=name)
    password_validation.validate_password(password, user=candidate)
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name,
                                            provider=User.Provider.EMAIL)
    except IntegrityError as exc:  # a concurrent signup won the race for this email
        raise Conflict("An account with this email already exists.") from exc


def user_authenticate(*, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost whether or not the email exists)."""
    user = User.active.filter(email=normalize_email(email)).first()
    if user is None or not user.has_usable_password():
        check_password(password, _DUMMY_PASSWORD_HASH)
        return None
    if not user.check_password(password) or not user.can_authenticate:
        return None
    return user


@transaction.atomic
def refresh_token_rotate(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted, a used one is refused (token_invalid).

    Takes `select_for_update()` on the token's OutstandingToken row so two concurrent rotations of one
    token cannot both succeed. The user is checked first: simplejwt's own check answers an inactive user
    with `authentication_failed` and a missing one with a 500, where a client must see `token_invalid`.
    """
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    token = RefreshToken(refresh)  # TokenError when invalid, expired or blacklisted → token_invalid
    OutstandingToken.objects.select_for_update().filter(jti=token["jti"]).first()
    token = RefreshToken(refresh)  # again under the lock: a concurrent rotation may have blacklisted it
    try:
        user_ok = User.active.filter(pk=token.payload.get("user_id"), is_active=True).exists()
    except (DjangoValidationError, ValueError):
        user_ok = False
    if not user_ok:
        raise TokenError("The token's user is not available.")
    serializer = TokenRefreshSerializer(data={"refresh": refresh})
    serializer.is_valid(raise_exception=True)
    return TokenPair(access=serializer.validated_data["access"], refresh=serializer.validated_data["refresh"])


def refresh_token_revoke(*, refresh: str, user: User | None = None) -> None:
    token = RefreshToken(refresh)  # TokenError when invalid, expired or already blacklisted
    if user is not None and str(token.payload.get("user_id")) != str(user.pk):
        raise TokenError("The token belongs to another user.")
    token.blacklist()


def user_update_profile(*, user: User, **changes) -> User:
    if "privacy_zone" in changes:  # the API's name for the stored size
        changes["privacy_zone_m"] = changes.pop("privacy_zone")
    allowed = {"name", "weight_kg", "height_cm", "birth_year", "gender", "timezone", "privacy_zone_m"}
    for field, value in changes.items():
        if field not in allowed:
            raise ApiError(f"{field} cannot be changed.", fields={field: ["This field cannot be changed."]})
        setattr(user, field, value)
    user.save(update_fields=[*changes.keys(), "updated_at"])
    return user


@transaction.atomic
def user_soft_delete(*, user: User) -> None:
    """Mark the user deleted, free their email for a new signup and revoke every refresh token."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    user = User.objects.select_for_update().get(pk=user.pk)
    user.deleted_email = user.email or ""
    user.email = None
    user.is_active = False
    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_email", "email", "is_active", "deleted_at", "updated_at"])
    for token in OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False):
        BlacklistedToken.objects.get_or_create(token=token)
    # A later Kakao login with the same Kakao account starts a new account, like a new email signup.
    SocialAccount.objects.filter(user=user).delete()
    user_erase_shared_profile(user=user)


def user_erase_shared_profile(*, user: User) -> None:
    """Deletion means deletion (PIPA): the profile others could see goes now — name, avatar (the file too, on
    commit) and the body figures — and a job removes the account's posts, likes, comments and follows
    (community.services.user_community_erase, queued on commit; the hourly cleanup sweeps what a failed job
    left). Call inside the deleting transaction."""
    avatar_name = user.avatar.name if user.avatar else ""
    storage = user.avatar.storage
    user.name, user.avatar = "", ""
    user.weight_kg = user.height_cm = user.birth_year = None
    user.gender = ""
    user.save(update_fields=["name", "avatar", "weight_kg", "height_cm", "birth_year", "gender", "updated_at"])
    if avatar_name:
        transaction.on_commit(lambda: storage.delete(avatar_name))
    user_id = str(user.pk)
    transaction.on_commit(lambda: async_task("community.tasks.erase_deleted_account", user_id))


def user_set_avatar(*, user: User, upload) -> User:
    """Verify and re-encode an uploaded image (accounts.avatars) and store it under a random name.

    The previous file is removed once the new one is committed. Raises UnsupportedFile (400).
    """
    image_bytes, extension = avatar_normalize(upload)
    previous = user.avatar.name if user.avatar else ""
    user.avatar.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(image_bytes), save=False)
    user.save(update_fields=["avatar", "updated_at"])
    if previous:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return user


# --- Email login codes ------------------------------------------------------------------------------------


def otp_request(*, email: str, now: datetime | None = None) -> EmailOTP:
    """Issue a new login code for `email` and queue the mail (accounts.tasks.send_otp_email).

    The answer does not depend on whether the email has an account. Rate limits are the view's throttles.
    The queue row is written in the same transaction as the code (django-q2's ORM broker), so a code
    exists exactly when its mail is queued. The task is not acknowledged on failure (`ack_failure=False`):
    an SMTP error leaves it in the queue and the cluster delivers it again after Q_CLUSTER["retry"].
    """
    now = now or timezone.now()
    email = normalize_email(email)
    code = otp_codes.otp_generate_code()
    # Old rows are removed by the hourly cleanup job (runnerway.maintenance.cleanup_otp_codes).
    with transaction.atomic():
        otp = EmailOTP.objects.create(
            email=email,
            code_hash=otp_codes.otp_hash_code(email=email, code=code),
            code_encrypted=otp_codes.otp_encrypt_for_transport(code),
            created_at=now,
            expires_at=now + otp_codes.OTP_LIFETIME,
        )
        async_task("accounts.tasks.send_otp_email", str(otp.pk), group="otp_email", ack_failure=False)
    return otp


def _mail_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "runnerway.app"


def otp_send_email(*, otp_id: str, now: datetime | None = None) -> bool:
    """Send the mail of one code; True when a mail left. Safe to run again (the queue delivers at least once).

    Does nothing for a code already sent, used, expired or superseded by a newer one. SMTP errors are
    raised (so the queue retries); only after a successful send is `sent_at` set and the encrypted copy of
    the code dropped.
    """
    now = now or timezone.now()
    otp = EmailOTP.objects.filter(pk=otp_id).first()
    if otp is None or otp.sent_at is not None or not otp.code_encrypted:
        return False
    superseded = EmailOTP.objects.filter(email=otp.email, created_at__gt=otp.created_at).exists()
    if otp.used_at is not None or now >= otp.expires_at or superseded:
        EmailOTP.objects.filter(pk=otp.pk).update(code_encrypted="")
        return False
    context = {"code": otp_codes.otp_decrypt_for_transport(otp.code_encrypted),
               "expires_in_minutes": int(otp_codes.OTP_LIFETIME.total_seconds() // 60)}
    message = EmailMultiAlternatives(
        subject=render_to_string("accounts/email/otp_code_subject.txt", context).strip(),
        body=render_to_string("accounts/email/otp_code.txt", context),
        to=[otp.email],
        # The same Message-ID on every attempt: a redelivery after a crash can be folded by the mailbox.
        headers={"Message-ID": f"<otp.{otp.pk}@{_mail_domain()}>"},
    )
    message.attach_alternative(render_to_string("accounts/email/otp_code.html", context), "text/html")
    message.send(fail_silently=False)
    EmailOTP.objects.filter(pk=otp.pk, sent_at__isnull=True).update(sent_at=timezone.now(), code_encrypted="")
    logger.info("login code mail sent (otp %s)", otp.pk)  # never the code
    return True


def otp_failures_recent(*, email: str, now: datetime) -> int:
    """Wrong codes typed for `email` within OTP_FAILURE_WINDOW and since its last successful code login."""
    recent = EmailOTP.objects.filter(email=email, created_at__gte=now - otp_codes.OTP_FAILURE_WINDOW)
    last_success = recent.filter(used_at__isnull=False).aggregate(at=Max("created_at"))["at"]
    if last_success is not None:
        recent = recent.filter(created_at__gt=last_success)
    return recent.aggregate(total=Sum("failed_attempts"))["total"] or 0


def otp_verify(*, email: str, code: str, now: datetime | None = None) -> LoginResult:
    """Log in with the newest code of `email`; creates a verified account on first use.

    Raises OTPInvalid (wrong, used or no code), OTPExpired, OTPAttemptsExceeded (OTP_MAX_FAILURES wrong
    codes for this email in the window — the code is burned), AccountDisabled. Takes `select_for_update()`
    on the newest code row, so concurrent guesses are counted one by one.
    """
    now = now or timezone.now()
    email = normalize_email(email)
    with transaction.atomic():
        otp = EmailOTP.objects.select_for_update().filter(email=email).order_by("-created_at").first()
        if otp is None or otp.used_at is not None:
            error: ApiError = OTPInvalid()
        elif otp_failures_recent(email=email, now=now) >= otp_codes.OTP_MAX_FAILURES:
            error = OTPAttemptsExceeded()
        elif now >= otp.expires_at:
            error = OTPExpired()
        elif not otp_codes.otp_code_matches(email=email, code=code, code_hash=otp.code_hash):
            # Counted (and committed) before the error is raised outside the transaction.
            EmailOTP.objects.filter(pk=otp.pk).update(failed_attempts=F("failed_attempts") + 1)
            burned = otp_failures_recent(email=email, now=now) >= otp_codes.OTP_MAX_FAILURES
            error = OTPAttemptsExceeded() if burned else OTPInvalid()
        else:
            otp.used_at = now
            otp.code_encrypted = ""
            otp.save(update_fields=["used_at", "code_encrypted"])
            return _user_for_verified_email(email=email)
    raise error


def _user_for_verified_email(*, email: str) -> LoginResult:
    user = User.objects.filter(email=email).first()  # deleted users have no email: a new account is made
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=None, provider=User.Provider.EMAIL,
                                                email_verified=True)
            return LoginResult(user=user, created=True)
        except IntegrityError:  # a concurrent signup took the email a moment ago
            user = User.objects.get(email=email)
    if not user.can_authenticate:
        raise AccountDisabled()
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified", "updated_at"])
    return LoginResult(user=user, created=False)


# --- Kakao ----------------------------------------------------------------------------------------------


def user_login_with_kakao(*, profile: KakaoProfile) -> LoginResult:
    """Log in the user linked to this Kakao account, linking or creating one on first use.

    Link by email only when both sides vouch for it: Kakao says the address is verified *and* our account's
    email is verified. An unverified account with that email answers 409 (log in by email first, which
    verifies it); linking it would hand the Kakao user an account someone else may have registered.
    A Kakao user with no (verified) email gets an account with email NULL.
    """
    try:
        with transaction.atomic():
            return _kakao_login(profile)
    except IntegrityError:
        # A concurrent first login with the same Kakao account created the link: use it.
        with transaction.atomic():
            return _kakao_login(profile)


def _kakao_login(profile: KakaoProfile) -> LoginResult:
    link = (SocialAccount.objects.select_for_update().select_related("user")
            .filter(provider="kakao", uid=profile.uid).first())
    if link is not None and link.user.deleted_at is None:
        if not link.user.can_authenticate:
            raise AccountDisabled()
        link.extra_data = profile.extra_data
        link.last_login = timezone.now()
        link.save(update_fields=["extra_data", "last_login"])
        return LoginResult(user=link.user, created=False)
    if link is not None:  # left from a deleted account
        link.delete()

    owner = User.objects.filter(email=profile.email).first() if profile.email else None
    if owner is not None and profile.email_verified:
        if not owner.email_verified:
            raise Conflict("An account with this email exists. Log in with your email once; Kakao login "
                           "will then be linked to it.")
        if not owner.can_authenticate:
            raise AccountDisabled()
        user, created = owner, False
    else:
        # An unverified Kakao email is not stored: it would block its real owner's signup.
        email = profile.email if profile.email_verified and owner is None else None
        user = User.objects.create_user(email=email, password=None, name=profile.nickname,
                                        provider=User.Provider.KAKAO, provider_id=profile.uid,
                                        email_verified=email is not None)
        created = True
    SocialAccount.objects.create(user=user, provider="kakao", uid=profile.uid, extra_data=profile.extra_data,
                                 last_login=timezone.now())
    return LoginResult(user=user, created=created)
