"""The errors services raise (runnerway.api.exceptions) become the error envelope in the one handler."""

import pytest

from runnerway.api.exceptions import NotPermitted, ObjectNotFound, RateLimited, envelope_exception_handler


@pytest.mark.parametrize(("error", "status", "code", "message"), [
    (lambda: ObjectNotFound("No such route."), 404, "not_found", "No such route."),
    (ObjectNotFound, 404, "not_found", "Not found."),
    (lambda: NotPermitted("Only the author can change or delete this post."), 403, "permission_denied",
     "Only the author can change or delete this post."),
    (lambda: RateLimited(retry_after_s=59.2), 429, "throttled", "Too many requests. Try again in 60 seconds."),
])
def test_a_domain_error_becomes_the_envelope(error, status, code, message):
    response = envelope_exception_handler(error(), {"view": None})  # raised in the test's language (English)
    assert response.status_code == status
    assert response.data == {"success": False, "error": {"code": code, "message": message}}
    assert response.get("Retry-After") == ("60" if status == 429 else None)
