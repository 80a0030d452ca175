"""API errors and the exception handler that turns every failure into the error envelope.

`{"success": false, "error": {"code": "<snake_case>", "message": "<text>", "fields": {...}}}` — `fields`
only for validation errors, with nested fields as dotted paths (`points.3.latitude`).
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

logger = logging.getLogger("runnerway.api")


class ApiError(drf_exceptions.APIException):
    """An error with a stable `code` from API.md. Raise a subclass, or ApiError(code=..., status_code=...).

    Services raise these (never DRF's own exceptions, never HTTP responses); envelope_exception_handler below is
    the one place that turns them into the error envelope."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "validation_error"
    default_detail = gettext_lazy("The request could not be processed.")

    def __init__(self, message: str | None = None, *, code: str | None = None, status_code: int | None = None,
                 fields: dict | None = None):
        super().__init__(detail=message or self.default_detail, code=code or self.default_code)
        self.error_code = code or self.default_code
        if status_code is not None:
            self.status_code = status_code
        self.fields = fields


class ObjectNotFound(ApiError):
    """404 `not_found` from a service: the object is missing, deleted or not the caller's to see."""

    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = drf_exceptions.NotFound.default_detail  # DRF's words, in its own catalogue


class NotPermitted(ApiError):
    """403 `permission_denied` from a service: the caller may see the object but not do this to it."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_detail = drf_exceptions.PermissionDenied.default_detail


class RateLimited(ApiError):
    """429 `throttled` from a service's own limit (not a DRF throttle's), answered like a throttle: with
    `Retry-After` and the seconds in the message."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "throttled"

    def __init__(self, *, retry_after_s: float):
        self.retry_after_s = max(1, int(retry_after_s + 0.999))
        super().__init__(_("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": self.retry_after_s})


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("The request conflicts with the current state.")


class InvalidState(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_state"
    default_detail = gettext_lazy("This action is not allowed in the object's current state.")


class UnsupportedFile(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unsupported_file"
    default_detail = gettext_lazy("The uploaded file is not supported.")


class Unprocessable(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"
    default_detail = gettext_lazy("The request is valid but cannot be fulfilled.")


class ServiceUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = gettext_lazy("A service this request needs is unavailable. Try again shortly.")


# DRF exception class → our code. Order matters: subclasses before their bases.
_CODE_BY_EXCEPTION: list[tuple[type[Exception], str]] = [
    (drf_exceptions.ValidationError, "validation_error"),
    (drf_exceptions.ParseError, "validation_error"),
    (drf_exceptions.NotAuthenticated, "not_authenticated"),
    (drf_exceptions.AuthenticationFailed, "authentication_failed"),
    (drf_exceptions.PermissionDenied, "permission_denied"),
    (drf_exceptions.NotFound, "not_found"),
    (drf_exceptions.MethodNotAllowed, "method_not_allowed"),
    (drf_exceptions.NotAcceptable, "not_acceptable"),
    (drf_exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (drf_exceptions.Throttled, "throttled"),
]


def flatten_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into `{"points.3.latitude": ["..."]}`."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A list field's own error (DRF files it as `{"points": {"non_field_errors": [...]}}`, e.g. too many
            # items) belongs to the field: `points`, not `points.non_field_errors`, which names no field.
            own_error = prefix and key == "non_field_errors"
            name = prefix if own_error else (f"{prefix}.{key}" if prefix else str(key))
            flat.update(flatten_fields(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item in ({}, []):
                    continue  # DRF puts an empty dict for list items that were valid
                flat.update(flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"success": False, "error": error}


def _first_message(fields: dict[str, list[str]]) -> str:
    for name, messages in fields.items():
        if messages:
            return messages[0] if name == "non_field_errors" else f"{name}: {messages[0]}"
    return _("Invalid input.")


def envelope_exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: every error becomes the error envelope; unknown errors become 500/503."""
    headers: dict[str, str] = {}

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, InvalidToken | TokenError):
        # simplejwt's many token errors collapse to one code: the client's answer is always "log in again".
        return Response(error_body("token_invalid", _("The token is invalid or expired.")),
                        status=status.HTTP_401_UNAUTHORIZED, headers={"WWW-Authenticate": 'Bearer realm="api"'})

    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("request_too_large", _("The request body is too large.")),
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        logger.warning("suspicious request refused: %s", exc.__class__.__name__)
        return Response(error_body("validation_error", _("The request was refused as malformed.")),
                        status=status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, ApiError):
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after_s)
        return Response(error_body(exc.error_code, str(exc.detail), exc.fields), status=exc.status_code,
                        headers=headers)

    if isinstance(exc, drf_exceptions.APIException):
        code = next((c for cls, c in _CODE_BY_EXCEPTION if isinstance(exc, cls)), "server_error")
        fields = None
        if isinstance(exc, drf_exceptions.ValidationError):
            fields = flatten_fields(exc.detail)
            message = _first_message(fields)
        elif isinstance(exc, drf_exceptions.ParseError):
            fields = {"non_field_errors": [str(exc.detail)]}
            message = str(exc.detail)
        else:
            message = str(exc.detail)
        if isinstance(exc, drf_exceptions.AuthenticationFailed | drf_exceptions.NotAuthenticated):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        wait = getattr(exc, "wait", None)
        if isinstance(exc, drf_exceptions.Throttled) and wait is not None:
            headers["Retry-After"] = str(max(1, int(wait + 0.999)))
            message = _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": headers["Retry-After"]}
        return Response(error_body(code, message, fields), status=exc.status_code, headers=headers)

    if isinstance(exc, OperationalError | InterfaceError | RedisConnectionError | RedisTimeoutError):
        # The database or the shared cache (Redis) is down or restarting: a clean 503 the client may retry.
        logger.warning("%s unavailable: %s", "database" if isinstance(exc, DatabaseError) else "cache",
                       exc.__class__.__name__)
        return Response(error_body("service_unavailable", _("The service is temporarily unavailable.")),
                        status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
    else:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
    return Response(error_body("server_error", _("An unexpected error occurred.")),
                    status=status.HTTP_500_INTERNAL_SERVER_ERROR)
