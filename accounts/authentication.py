"""JWT authentication that refuses soft-deleted and inactive users with a clean 401."""

from django.db import InterfaceError, OperationalError
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken


class JWTAuthentication(SimpleJWTAuthentication):
    def get_user(self, validated_token):
        try:
            user = super().get_user(validated_token)
        except (OperationalError, InterfaceError):
            raise  # the database is down: a 503 the client retries, not a 401 that logs the runner out
        except Exception as exc:  # unknown user, inactive user, malformed claim: all mean "log in again"
            raise InvalidToken("The token's user is not available.") from exc
        if not user.can_authenticate:
            raise InvalidToken("The token's user is not available.")
        return user
