"""OpenAPI helpers: every documented response carries the envelope, every operation its error responses.

Views describe their payloads as usual (`@extend_schema(responses=RouteSerializer)`); the postprocessing
hook below wraps each 2xx JSON schema in `{success, data, message}` and adds the error envelope for the
status codes the operation can produce, so the schema matches what clients receive.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_CODES = [
    "validation_error", "authentication_failed", "not_authenticated", "token_invalid", "permission_denied",
    "not_found", "method_not_allowed", "not_acceptable", "unsupported_media_type", "request_too_large", "conflict",
    "throttled",
    "otp_invalid", "otp_expired", "otp_attempts_exceeded", "kakao_token_invalid", "kakao_unavailable",
    "no_road_network", "route_not_found", "route_planning_timeout", "invalid_state", "unsupported_file",
    "service_unavailable", "server_error",
]

ERROR_ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": ERROR_CODES},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Validation messages by field; nested fields as dotted paths (points.3.latitude).",
                },
            },
        },
    },
}

_ERROR_DESCRIPTIONS = {
    "400": "Invalid input (`validation_error`, with `fields`).",
    "401": "Missing, invalid or expired credentials (`not_authenticated`, `token_invalid`, `authentication_failed`).",
    "404": "Not found, or not yours (`not_found`).",
    "405": "Method not allowed (`method_not_allowed`).",
    "415": "Unsupported request media type (`unsupported_media_type`).",
    "429": "Too many requests (`throttled`); see the `Retry-After` header.",
}

# A placeholder serializer for `responses={409: ERROR_RESPONSE}` in views; the hook swaps in the envelope.
ErrorEnvelopeSerializer = inline_serializer(
    name="ErrorEnvelope",
    fields={"success": serializers.BooleanField(), "error": serializers.DictField()},
)


def error_response(description: str) -> OpenApiResponse:
    """Document a specific error status in `@extend_schema(responses={409: error_response("...")})`."""
    return OpenApiResponse(response=ErrorEnvelopeSerializer, description=description)


def _envelope(data_schema: dict | None) -> dict:
    properties = {"success": {"type": "boolean", "enum": [True]}, "message": {"type": "string"}}
    if data_schema is not None:
        properties["data"] = data_schema
    return {"type": "object", "required": ["success", "data"], "properties": properties}


def wrap_in_envelope_hook(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK: envelopes and default error responses on every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorEnvelope"] = ERROR_ENVELOPE_SCHEMA
    error_ref = {"$ref": "#/components/schemas/ErrorEnvelope"}

    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status_code, response in list(responses.items()):
                content = response.get("content", {})
                if status_code.startswith("2") and "application/json" in content:
                    schema = content["application/json"].get("schema")
                    content["application/json"]["schema"] = _envelope(schema)
                elif not status_code.startswith("2"):
                    response["content"] = {"application/json": {"schema": error_ref}}
            # drf-spectacular derives `security` from the view's authentication classes: none, or `[{}]`
            # (`auth=[{}]`), means the endpoint is public and cannot answer 401.
            security = operation.get("security") or []
            secured = bool(security) and {} not in security
            wanted = ["405"]
            if method in {"post", "put", "patch"}:
                wanted += ["400", "415"]
            elif operation.get("parameters"):
                wanted.append("400")
            if secured:
                wanted.append("401")
            if "{" in path:
                wanted.append("404")
            wanted.append("429")
            for status_code in wanted:
                responses.setdefault(
                    status_code,
                    {"description": _ERROR_DESCRIPTIONS[status_code],
                     "content": {"application/json": {"schema": error_ref}}},
                )
    return result


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "`Authorization: Bearer <access token>` from signup, login, OTP or Kakao login."}
