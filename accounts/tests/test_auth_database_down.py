"""The database failing while a token is checked answers 503 `service_unavailable`, never 401.

A 401 `token_invalid` tells the app to log the runner out; a database restart must not do that
(found by bench/faults/db_restart.py: every request during the restart answered 401).
"""

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper


@pytest.mark.parametrize("error", [OperationalError(2013, "Lost connection"), InterfaceError(0, "")])
def test_database_error_during_authentication_is_a_503_envelope(auth_client, monkeypatch, error):
    def database_down(self, sql, params=None):
        raise error

    # Every query of the request fails, the token's user lookup first (however accounts.authentication reads it).
    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", database_down)
        response = auth_client.get("/api/v1/users/me")
    assert response.status_code == 503
    assert response.json() == {"success": False, "error": {"code": "service_unavailable",
                                                           "message": "The service is temporarily unavailable."}}
    assert response["Retry-After"] == "5"


def test_unknown_user_in_a_token_is_still_a_401(auth_client, user):
    user.delete()
    response = auth_client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"
