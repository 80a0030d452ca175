"""OpenAPI helpers: every documented response carries the envelope, every operation its error responses.

Views describe their payloads as usual (`@extend_schema(responses=RouteSerializer)`); the postprocessing
hook below wraps each 2xx JSON schema in `{success, data, message}` and adds the error envelope for the
status codes the operation can produce, so the schema matches what clients receive.
"""

from http import HTTPStatus

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from runnerway.api.examples import add_request_examples

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
    "406": "The `Accept` header admits none of this endpoint's media types (`not_acceptable`).",
    "413": "The request body is larger than the server accepts (`request_too_large`).",
    "415": "The request body is not in a media type this endpoint reads (`unsupported_media_type`); JSON endpoints "
           "read `application/json` only.",
    "429": "Too many requests (`throttled`); retry after `Retry-After` seconds.",
    "503": "The database or the shared cache is unavailable (`service_unavailable`); retry after `Retry-After` "
           "seconds.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                "schema": {"type": "integer", "minimum": 1}}}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}

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


def _error_schema(declared: dict | None) -> dict:
    """The error envelope; with `data` when the view documents a body of its own beside it (health's 503)."""
    if declared is None or declared == _ERROR_REF:
        return _ERROR_REF
    return {"allOf": [_ERROR_REF, {"type": "object", "required": ["data"], "properties": {"data": declared}}]}


def _views_by_operation(generator) -> dict[tuple[str, str], object]:
    """(path, method) → the view instance the schema was made from, to ask it what it does (throttles)."""
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        views[path, method.lower()] = generator.create_view(callback, method)
    return views


def _throttled(view) -> bool:
    return view is None or bool(view.get_throttles())


def _wanted_errors(*, path: str, method: str, operation: dict, view) -> list[str]:
    """The error statuses an operation can answer, from what the server does for every view."""
    has_body = "requestBody" in operation
    security = operation.get("security") or []
    wanted = ["405", "406"]
    if has_body or operation.get("parameters"):
        wanted.append("400")
    if security:  # `security: []` is a public endpoint: no 401
        wanted.append("401")
    if "{" in path:
        wanted.append("404")
    if has_body:
        wanted += ["413", "415"]
    if _throttled(view):
        wanted.append("429")
    wanted.append("503")
    return wanted


def _fill_nullable_types(node, components: dict) -> None:
    """OAS 3.0 `nullable` means nothing without a `type` beside it: give the wrappers drf-spectacular writes
    around a nullable reference the type of what they refer to, so that tools that read 3.0 strictly (redocly,
    code generators) see the null."""
    if isinstance(node, dict):
        if node.get("nullable") and "type" not in node:
            # `allOf: [$ref]` (a nullable object) or `oneOf: [Enum, BlankEnum, NullEnum]` (a nullable choice)
            types = {components.get(member.get("$ref", "").rsplit("/", 1)[-1], {}).get("type")
                     for member in node.get("allOf", []) + node.get("oneOf", [])} - {None}
            if len(types) == 1:
                node["type"] = types.pop()
        for value in node.values():
            _fill_nullable_types(value, components)
    elif isinstance(node, list):
        for value in node:
            _fill_nullable_types(value, components)


def wrap_in_envelope_hook(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK: envelopes and the error responses every operation can give, public
    endpoints marked `security: []`, operationIds without dots, request examples, the serving host as the
    server."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorEnvelope"] = ERROR_ENVELOPE_SCHEMA
    views = _views_by_operation(generator)
    if request is not None:
        # Swagger's "Try it out" and generated clients talk to the server that served the schema.
        result["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/"), "description": "This server"}]

    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            operation["operationId"] = operation["operationId"].replace(".", "_")
            add_request_examples(operation)
            # drf-spectacular writes no `security` for a view without authentication classes and `[{}]` for
            # `auth=[{}]`: both are public endpoints, which OpenAPI says with an empty list.
            if not operation.get("security") or {} in operation["security"]:
                operation["security"] = []
            responses = operation.setdefault("responses", {})
            for status_code, response in list(responses.items()):
                content = response.get("content", {})
                if status_code.startswith("2"):
                    if "application/json" in content:
                        schema = content["application/json"].get("schema")
                        content["application/json"]["schema"] = _envelope(schema)
                        # A response example written as the data alone is shown as the client receives it:
                        # in the envelope.
                        for example in content["application/json"].get("examples", {}).values():
                            if isinstance(example.get("value"), dict) and "success" not in example["value"]:
                                example["value"] = {"success": True, "data": example["value"]}
                    if not response.get("description"):
                        response["description"] = HTTPStatus(int(status_code)).phrase
                else:
                    declared = content.get("application/json", {}).get("schema")
                    response["content"] = {"application/json": {"schema": _error_schema(declared)}}
                    if not response.get("description"):
                        response["description"] = _ERROR_DESCRIPTIONS.get(status_code,
                                                                          HTTPStatus(int(status_code)).phrase)
            view = views.get((path, method))
            for status_code in _wanted_errors(path=path, method=method, operation=operation, view=view):
                responses.setdefault(status_code, {"description": _ERROR_DESCRIPTIONS[status_code],
                                                   "content": {"application/json": {"schema": _ERROR_REF}}})
            for status_code in ("429", "503"):
                if status_code in responses:
                    responses[status_code].setdefault("headers", dict(_RETRY_AFTER))
    _fill_nullable_types(result, components)
    return result


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "`Authorization: Bearer <access token>` from signup, login, OTP or Kakao login."}
