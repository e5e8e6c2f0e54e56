"""Test helpers for the API: tokens and a client that sends them."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.test import Client
from django.test.client import MULTIPART_CONTENT
from django.utils import timezone

from samvirke.accounts.models import ApiToken, User, digest
from samvirke.core.scoping import organisation_scope
from samvirke.tenancy.models import Organisation

PREFIX = "/api/v1"
ERROR_CODES = {
    "not_found",
    "validation_error",
    "unauthorized",
    "forbidden",
    "bad_request",
    "conflict",
    "server_error",
}


def make_token(
    user: User,
    organisation: Organisation,
    *,
    expires_in: datetime.timedelta = datetime.timedelta(days=30),
    revoked: bool = False,
    name: str = "test",
) -> tuple[ApiToken, str]:
    """An API token and its secret."""
    secret = ApiToken.new_secret()
    with organisation_scope(organisation.pk):
        token = ApiToken.objects.create(
            organisation=organisation,
            user=user,
            name=name,
            prefix=secret[:8],
            key_digest=digest(secret),
            expires_at=timezone.now() + expires_in,
            revoked_at=timezone.now() if revoked else None,
        )
    return token, secret


class ApiClient:
    """A test client that calls the API with a bearer token (or none)."""

    def __init__(self, secret: str | None = None, **headers: str) -> None:
        self.client = Client()
        self.headers = dict(headers)
        if secret is not None:
            self.headers["Authorization"] = f"Bearer {secret}"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        **params: Any,
    ) -> Any:
        """Send a request; `body` is JSON-encoded, `raw` is sent as it is."""
        data: Any = params
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body)
        elif method in {"post", "put", "patch"}:
            data = ""
        kwargs: dict[str, Any] = {"headers": self.headers}
        if method != "get":
            kwargs["content_type"] = content_type or MULTIPART_CONTENT
        return getattr(self.client, method)(f"{PREFIX}{path}", data, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("get", path, **params)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("post", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("put", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("patch", path, body, **kwargs)

    def delete(self, path: str) -> Any:
        return self.call("delete", path)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Check a response has the status and the common error shape; return its `error`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert set(payload) == {"error"}
    error = payload["error"]
    assert error["code"] == code
    assert error["code"] in ERROR_CODES
    assert isinstance(error["message"], str) and error["message"]
    if code == "validation_error":
        assert isinstance(error["fields"], dict)
        for messages in error["fields"].values():
            assert messages and all(isinstance(m, str) and m for m in messages)
    else:
        assert "fields" not in error
    return error
