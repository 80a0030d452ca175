"""What the app can do to a user: sign up, log in, issue and revoke tokens, update, delete."""

from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from runnerway.api.exceptions import ApiError, Conflict

# Compared against when the email is unknown, so a login for an unknown email costs the same time as a
# wrong password and the two cannot be told apart (API.md: same answer for both).
_DUMMY_PASSWORD_HASH = make_password("runnerway-timing-equaliser")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


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


def refresh_token_rotate(*, refresh: str) -> TokenPair:
    """Rotate a refresh token: the old one is blacklisted, a used one is refused (token_invalid)."""
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer

    serializer = TokenRefreshSerializer(data={"refresh": refresh})
    serializer.is_valid(raise_exception=True)  # raises TokenError/InvalidToken → token_invalid
    user_id = RefreshToken(serializer.validated_data["refresh"]).payload.get("user_id")
    if not User.active.filter(pk=user_id, is_active=True).exists():
        raise TokenError("The token's user is not available.")
    return TokenPair(access=serializer.validated_data["access"], refresh=serializer.validated_data["refresh"])


def refresh_token_revoke(*, refresh: str, user: User | None = None) -> None:
    token = RefreshToken(refresh)  # TokenError when invalid, expired or already blacklisted
    if user is not None and str(token.payload.get("user_id")) != str(user.pk):
        raise TokenError("The token belongs to another user.")
    token.blacklist()


def user_update_profile(*, user: User, **changes) -> User:
    allowed = {"name", "weight_kg", "height_cm", "birth_year", "gender", "timezone"}
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
