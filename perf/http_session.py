"""A small HTTP client with a cookie jar, for the server on 127.0.0.1 only.

Standard library only (http.client), so the harness adds no dependency. gunicorn's sync workers
close the connection after every response, so each request opens a new one, as a browser
behind no proxy would against this server.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from errors import HarnessError

LOGIN_PATH = "/accounts/login/"
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


class HttpError(HarnessError):
    """The server answered something the harness did not expect."""


@dataclass
class Response:
    """Status, headers (lower-case names) and body of one answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", "replace")


@dataclass
class Session:
    """Cookies kept between requests to one host and port, like one browser."""

    host: str
    port: int
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request, read the whole answer and keep the cookies it sets."""
        sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            payload = answer.read()
            for value in answer.headers.get_all("Set-Cookie") or []:
                self._keep(value)
            names = {k.lower(): v for k, v in answer.getheaders()}
            return Response(answer.status, names, payload)
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        """GET a path."""
        return self.request("GET", path, headers=headers)

    def timed_get(self, path: str, headers: dict[str, str] | None = None) -> float:
        """GET a path that must answer 200; return the milliseconds until the body was read."""
        started = time.perf_counter()
        answer = self.get(path, headers)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise HttpError(f"GET {path} answered {answer.status}, not 200")
        return elapsed

    def login(self, username: str, password: str) -> None:
        """Log in through the real allauth form: GET it for the CSRF token, then POST."""
        form = self.get(LOGIN_PATH)
        match = _CSRF_INPUT.search(form.text)
        if form.status != 200 or match is None:
            raise HttpError(f"GET {LOGIN_PATH} answered {form.status} without a CSRF token")
        fields = {"csrfmiddlewaretoken": match.group(1), "login": username, "password": password}
        answer = self.request("POST", LOGIN_PATH, form=fields)
        target = answer.headers.get("location", "")
        if answer.status != 302 or target.startswith(LOGIN_PATH):
            raise HttpError(f"login as {username} answered {answer.status} (to {target!r})")

    def _keep(self, header: str) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value
