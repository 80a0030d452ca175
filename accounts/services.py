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
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_q.tasks import async_task
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import otp as otp_codes
from accounts import tokens as jwt_tokens
from accounts.avatars import avatar_normalize
from accounts.events import author_standing_changed
from accounts.kakao import KakaoProfile
from accounts.models import ActivityLog, EmailOTP, EmailOTPFailure, User
from accounts.tasks import client_ip
from runnerway.api.exceptions import ApiError, Conflict
from runnerway.i18n import active_language

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
    # True when this login proved the email of an unverified account and so ended every other way into it
    # (user_secure): its password, its tokens.
    secured: bool = False


@dataclass(frozen=True)
class Client:
    """Who sent a request, as the services need it: the client address (the code-login lockout, the activity
    log) and the user agent (the activity log). `Client()` is a call from outside a request."""

    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, request) -> "Client":
        return cls(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:200])


def activity_record(*, user_id, action: str, client: Client | None = None, details: dict | None = None) -> None:
    """Queue one activity-log row (accounts.tasks.record_activity; `action` one of ActivityLog.Action).

    The services that sign up, log in, log out and delete call it themselves, so every way into or out of an
    account is logged whichever view, command or test called the service. Call it outside the service's
    transaction: the task may run before a commit it is not part of, and would then find no user.
    """
    client = client or Client()
    payload = {**(details or {}), "user_agent": client.user_agent}
    async_task("accounts.tasks.record_activity", str(user_id), action, payload, client.ip, str(uuid.uuid4()),
               timezone.now().isoformat(), group="activity_log")


class AccountDisabled(ApiError):
    status_code = 401
    default_code = "authentication_failed"
    default_detail = gettext_lazy("This account is disabled.")


class OTPInvalid(ApiError):
    default_code = "otp_invalid"
    default_detail = gettext_lazy("The code is not correct. Check the latest email or request a new code.")


class OTPExpired(ApiError):
    default_code = "otp_expired"
    default_detail = gettext_lazy("The code has expired. Request a new code.")


class OTPAttemptsExceeded(ApiError):
    default_code = "otp_attempts_exceeded"
    default_detail = gettext_lazy("Too many wrong codes for this email. Try again later.")


class RefreshTokenReused(TokenError):
    """A rotated (already used) refresh token came back: its family has been revoked."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def tokens_for_user(*, user: User) -> TokenPair:
    """A new token pair (a new refresh family) carrying the user's current token version (accounts.tokens)."""
    refresh = jwt_tokens.refresh_token_issue(user=user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


@transaction.atomic
def user_secure(*, user: User) -> User:
    """End every way into the account but the one that just proved its email: called when an emailed code (or a
    Kakao-verified email) proves ownership of an account whose email was never verified.

    Whoever signed it up may not own the address (account pre-hijacking), so: the password becomes unusable,
    every refresh token is blacklisted, the token version is raised (access tokens already issued fail at once:
    accounts.authentication), other Kakao links are removed, the email is marked verified, and the owner is told
    by mail (queued in this transaction). Issue the new session's tokens after this returns.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_unusable_password()
    user.email_verified = True
    user.token_version = F("token_version") + 1
    user.save(update_fields=["password", "email_verified", "token_version", "updated_at"])
    user.refresh_from_db(fields=["token_version"])
    jwt_tokens.refresh_tokens_blacklist_all(user_id=user.pk)
    SocialAccount.objects.filter(user=user).delete()
    async_task("accounts.tasks.send_account_secured_email", str(user.pk), user.token_version,
               group="account_mail", ack_failure=False)
    logger.info("account %s secured: unverified email proven, password and sessions ended", user.pk)
    return user


def user_send_secured_email(*, user_id: str, token_version: int) -> bool:
    """Tell the owner that their account was secured (user_secure); True when a mail left. Safe to run twice:
    the Message-ID is the same on every attempt, so a redelivery can be folded by the mailbox."""
    user = User.active.filter(pk=user_id).first()
    if user is None or not user.email:
        return False
    context = {"email": user.email}
    with translation.override(user.language):
        message = EmailMultiAlternatives(
            subject=render_to_string("accounts/email/account_secured_subject.txt", context).strip(),
            body=render_to_string("accounts/email/account_secured.txt", context),
            to=[user.email],
            headers={"Message-ID": f"<secured.{user.pk}.{token_version}@{_mail_domain()}>"},
        )
        message.attach_alternative(render_to_string("accounts/email/account_secured.html", context), "text/html")
    message.send(fail_silently=False)
    return True


def user_signup(*, email: str, password: str, name: str, client: Client | None = None) -> User:
    """A new email account. Raises Conflict (409) for a taken email and ApiError (400 `validation_error` with
    `fields.password`) for a weak password."""
    user = _user_signup(email=email, password=password, name=name)
    activity_record(user_id=user.pk, action=ActivityLog.Action.SIGNUP, client=client)
    return user


@transaction.atomic
def _user_signup(*, email: str, password: str, name: str) -> User:
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise Conflict(_("An account with this email already exists."))
    candidate = User(email=email, name=name)
    try:
        password_validation.validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        raise ApiError(_("The password is too weak."), code="validation_error",
                       fields={"password": list(exc.messages)}) from exc
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, name=name,
                                            provider=User.Provider.EMAIL, language=active_language())
    except IntegrityError as exc:  # a concurrent signup won the race for this email
        raise Conflict(_("An account with this email already exists.")) from exc


def user_login(*, email: str, password: str, client: Client | None = None) -> User:
    """The user logging in with this email and password; ApiError 401 `authentication_failed` otherwise (the
    same for an unknown email, a wrong password and an account without one)."""
    user = user_authenticate(email=email, password=password)
    if user is None:
        raise ApiError(_("Incorrect email or password."), code="authentication_failed", status_code=401)
    activity_record(user_id=user.pk, action=ActivityLog.Action.LOGIN, client=client)
    return user


def user_authenticate(*, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost whether or not the email exists)."""
    user = User.active.filter(email=normalize_email(email)).first()
    if user is None or not user.has_usable_password():
        check_password(password, _DUMMY_PASSWORD_HASH)
        return None
    if not user.check_password(password) or not user.can_authenticate:
        return None
    return user


def refresh_token_rotate(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted and a new one of the same family returned.

    Raises TokenError (401 `token_invalid`) for an invalid or expired token, one of an unavailable user or of an
    old token version (user_secure), and RefreshTokenReused when the token was already rotated or revoked: then
    every live token of its family is blacklisted too (committed before the error is raised), so a thief who
    replays a stolen token and the client who still holds its successor are both logged out of that session.
    """
    with transaction.atomic():
        outcome = _refresh_token_rotate_locked(refresh)
    if outcome is None:
        raise RefreshTokenReused("The refresh token was already used; its session has been revoked.")
    return outcome


def _refresh_token_rotate_locked(refresh: str) -> TokenPair | None:
    """The new pair, or None when the token was a replay (and its family is now revoked).

    Takes `select_for_update()` on the token's OutstandingToken row so two concurrent rotations of one token
    cannot both succeed (the second is a replay). The user is checked first: simplejwt's own check answers an
    inactive user with `authentication_failed` and a missing one with a 500, where a client must see
    `token_invalid`.
    """
    from rest_framework_simplejwt.exceptions import TokenBackendError
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.state import token_backend
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    try:  # signature and expiry, not the blacklist: a blacklisted token is a replay, not garbage
        payload = token_backend.decode(refresh, verify=True)
    except TokenBackendError as exc:
        raise TokenError("Token is invalid or expired.") from exc
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != RefreshToken.token_type:
        raise TokenError("Token has wrong type.")
    jti = payload.get(api_settings.JTI_CLAIM)
    OutstandingToken.objects.select_for_update().filter(jti=jti).first()
    if BlacklistedToken.objects.filter(token__jti=jti).exists():
        jwt_tokens.refresh_token_family_revoke(user_id=payload.get(api_settings.USER_ID_CLAIM),
                                               family=payload.get(jwt_tokens.TOKEN_FAMILY_CLAIM))
        logger.warning("refresh token replayed: family revoked (user %s)", payload.get(api_settings.USER_ID_CLAIM))
        return None
    try:
        user = User.active.filter(pk=payload.get(api_settings.USER_ID_CLAIM), is_active=True).only(
            "pk", "token_version").first()
    except (DjangoValidationError, ValueError):
        user = None
    if user is None:
        raise TokenError("The token's user is not available.")
    if jwt_tokens.token_version_of(payload) != user.token_version:
        raise TokenError("The token was revoked.")
    serializer = TokenRefreshSerializer(data={"refresh": refresh})
    serializer.is_valid(raise_exception=True)
    return TokenPair(access=serializer.validated_data["access"], refresh=serializer.validated_data["refresh"])


def refresh_token_revoke(*, refresh: str, user: User | None = None, client: Client | None = None) -> None:
    """Log out: blacklist the refresh token (TokenError when it is unusable or, with `user`, someone else's)."""
    token = RefreshToken(refresh)  # TokenError when invalid, expired or already blacklisted
    if user is not None and str(token.payload.get("user_id")) != str(user.pk):
        raise TokenError("The token belongs to another user.")
    token.blacklist()
    activity_record(user_id=token.payload.get("user_id"), action=ActivityLog.Action.LOGOUT, client=client)


def user_update_profile(*, user: User, **changes) -> User:
    if "privacy_zone" in changes:  # the API's name for the stored size
        changes["privacy_zone_m"] = changes.pop("privacy_zone")
    allowed = {"name", "weight_kg", "height_cm", "birth_year", "gender", "timezone", "privacy_zone_m", "language"}
    for field, value in changes.items():
        if field not in allowed:
            raise ApiError(_("%(field)s cannot be changed.") % {"field": field},
                           fields={field: [_("This field cannot be changed.")]})
        setattr(user, field, value)
    user.save(update_fields=[*changes.keys(), "updated_at"])
    if "privacy_zone_m" in changes:  # what others see of the shared routes moved: so do their boxes near me
        user_id = str(user.pk)
        transaction.on_commit(lambda: async_task("community.tasks.refresh_figure_bounds", user_id))
    return user


def user_soft_delete(*, user: User, client: Client | None = None) -> None:
    """Mark the user deleted, free their email for a new signup and revoke every refresh token."""
    activity_record(user_id=user.pk, action=ActivityLog.Action.DELETE, client=client)
    _user_soft_delete(user=user)


@transaction.atomic
def _user_soft_delete(*, user: User) -> None:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    user = User.objects.select_for_update().get(pk=user.pk)
    user.deleted_email = user.email or ""
    user.email = None
    user.is_active = False
    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_email", "email", "is_active", "deleted_at", "updated_at"])
    author_standing_changed.send(sender=User, user_id=user.pk)
    for token in OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False):
        BlacklistedToken.objects.get_or_create(token=token)
    # A later Kakao login with the same Kakao account starts a new account, like a new email signup.
    SocialAccount.objects.filter(user=user).delete()
    user_erase_shared_profile(user=user)


def user_erase_shared_profile(*, user: User) -> None:
    """Deletion means deletion (PIPA): the profile others could see goes now — name, avatar (the file too, on
    commit) and the body figures — and a job removes everything else of the account (operations.erasure, queued
    on commit; the hourly cleanup queues it again while it has not finished). Call inside the deleting
    transaction."""
    avatar_name = user.avatar.name if user.avatar else ""
    storage = user.avatar.storage
    user.name, user.avatar = "", ""
    user.weight_kg = user.height_cm = user.birth_year = None
    user.gender = ""
    user.save(update_fields=["name", "avatar", "weight_kg", "height_cm", "birth_year", "gender", "updated_at"])
    if avatar_name:
        transaction.on_commit(lambda: storage.delete(avatar_name))
    user_id = str(user.pk)
    transaction.on_commit(lambda: async_task("operations.tasks.erase_deleted_account", user_id))


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
    # Old rows are removed by the hourly cleanup job (operations.maintenance.cleanup_otp_codes).
    with transaction.atomic():
        otp = EmailOTP.objects.create(
            email=email,
            code_hash=otp_codes.otp_hash_code(email=email, code=code),
            code_encrypted=otp_codes.otp_encrypt_for_transport(code),
            created_at=now,
            expires_at=now + otp_codes.OTP_LIFETIME,
            language=active_language(),  # the mail speaks the language of the request that asked for it
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
    with translation.override(otp.language):
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


@dataclass(frozen=True)
class OTPFailureCounts:
    from_address: int  # wrong codes for the email from this client address
    total: int  # wrong codes for the email from anywhere


def otp_failures_recent(*, email: str, client_address: str | None, now: datetime) -> OTPFailureCounts:
    """Wrong codes typed for `email` within OTP_FAILURE_WINDOW and since its last successful code login, from
    `client_address` and in all (two COUNTs on an index)."""
    since = now - otp_codes.OTP_FAILURE_WINDOW
    last_success = (EmailOTP.objects.filter(email=email, used_at__gte=since)
                    .aggregate(at=Max("used_at"))["at"])
    recent = EmailOTPFailure.objects.filter(email=email, created_at__gte=since)
    if last_success is not None:
        recent = recent.filter(created_at__gt=last_success)
    total = recent.count()
    from_address = recent.filter(client_address=client_address).count() if client_address and total else 0
    return OTPFailureCounts(from_address=from_address, total=total)


def _otp_locked_out(counts: OTPFailureCounts) -> bool:
    return (counts.from_address >= settings.OTP_MAX_FAILURES_PER_ADDRESS
            or counts.total >= settings.OTP_MAX_FAILURES_PER_EMAIL)


def otp_verify(*, email: str, code: str, client: Client | None = None, now: datetime | None = None) -> LoginResult:
    """Log in with the newest code of `email`; creates a verified account on first use, and secures an existing
    unverified one (user_secure: the code proves the email; `secured` in the result).

    Wrong codes are counted per email and client address: OTP_MAX_FAILURES_PER_ADDRESS of them within
    OTP_FAILURE_WINDOW lock that address out for that email, so a stranger guessing from their own address
    cannot lock the owner out, who types the right code from another. OTP_MAX_FAILURES_PER_EMAIL from all
    addresses together lock the email out everywhere: the bound on a guesser spread over many addresses
    (by default 20 guesses an hour: a 1-in-50,000 chance).

    Raises OTPInvalid (wrong, used or no code), OTPExpired, OTPAttemptsExceeded, AccountDisabled. Takes
    `select_for_update()` on the newest code row, so concurrent guesses are counted one by one.
    """
    result = _otp_login(email=email, code=code, client_address=(client or Client()).ip, now=now)
    activity_record(user_id=result.user.pk, action=ActivityLog.Action.OTP_LOGIN, client=client,
                    details={"created": result.created, "secured_account": result.secured})
    return result


def _otp_login(*, email: str, code: str, client_address: str | None, now: datetime | None) -> LoginResult:
    now = now or timezone.now()
    email = normalize_email(email)
    with transaction.atomic():
        otp = EmailOTP.objects.select_for_update().filter(email=email).order_by("-created_at").first()
        if otp is None or otp.used_at is not None:
            error: ApiError = OTPInvalid()
        elif _otp_locked_out(otp_failures_recent(email=email, client_address=client_address, now=now)):
            error = OTPAttemptsExceeded()
        elif now >= otp.expires_at:
            error = OTPExpired()
        elif not otp_codes.otp_code_matches(email=email, code=code, code_hash=otp.code_hash):
            # Counted (and committed) before the error is raised outside the transaction.
            EmailOTPFailure.objects.create(otp=otp, email=email, client_address=client_address, created_at=now)
            EmailOTP.objects.filter(pk=otp.pk).update(failed_attempts=F("failed_attempts") + 1)
            locked = _otp_locked_out(otp_failures_recent(email=email, client_address=client_address, now=now))
            error = OTPAttemptsExceeded() if locked else OTPInvalid()
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
                                                email_verified=True, language=active_language())
            return LoginResult(user=user, created=True)
        except IntegrityError:  # a concurrent signup took the email a moment ago
            user = User.objects.get(email=email)
    if not user.can_authenticate:
        raise AccountDisabled()
    if not user.email_verified:
        return LoginResult(user=user_secure(user=user), created=False, secured=True)
    return LoginResult(user=user, created=False)


# --- Kakao ----------------------------------------------------------------------------------------------


def user_login_with_kakao(*, profile: KakaoProfile, client: Client | None = None) -> LoginResult:
    """Log in the user linked to this Kakao account, linking or creating one on first use.

    Link by email only when Kakao says the address is verified. If our account with that email was never
    verified, Kakao's word proves the Kakao user owns the address and whoever signed the account up did not:
    the account is secured first (user_secure: password and every session ended; `secured` in the result) and
    then linked, as an emailed code would. A Kakao user with no (verified) email gets an account with email
    NULL.
    """
    try:
        with transaction.atomic():
            result = _kakao_login(profile)
    except IntegrityError:
        # A concurrent first login with the same Kakao account created the link: use it.
        with transaction.atomic():
            result = _kakao_login(profile)
    activity_record(user_id=result.user.pk, action=ActivityLog.Action.KAKAO_LOGIN, client=client,
                    details={"created": result.created, "secured_account": result.secured})
    return result


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
    secured = False
    if owner is not None and profile.email_verified:
        if not owner.can_authenticate:
            raise AccountDisabled()
        if not owner.email_verified:
            owner, secured = user_secure(user=owner), True
        user, created = owner, False
    else:
        # An unverified Kakao email is not stored: it would block its real owner's signup.
        email = profile.email if profile.email_verified and owner is None else None
        user = User.objects.create_user(email=email, password=None, name=profile.nickname,
                                        provider=User.Provider.KAKAO, provider_id=profile.uid,
                                        email_verified=email is not None, language=active_language())
        created = True
    SocialAccount.objects.create(user=user, provider="kakao", uid=profile.uid, extra_data=profile.extra_data,
                                 last_login=timezone.now())
    return LoginResult(user=user, created=created, secured=secured)
