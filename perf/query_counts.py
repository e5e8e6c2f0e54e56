"""SQL queries per page, counted in this process with Django's test client on the same database.

The server cannot report its queries, so the same pages are rendered here, with the same
settings and data. Each page is asked for once to warm caches, then once more to count.
"""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from errors import HarnessError
from samvirke.accounts.models import User
from samvirke.frameworks.models import FrameworkVersion
from samvirke.tenancy.models import Network

HOST = "127.0.0.1"


class QueryCountError(HarnessError):
    """A page did not answer 200 in-process."""


def client_for(username: str | None) -> Client:
    """A test client logged in as a user (no password check: that is measured elsewhere)."""
    client = Client(HTTP_HOST=HOST)
    if username is not None:
        client.force_login(User.objects.get(username=username))
    return client


def count_queries(client: Client, path: str, headers: dict[str, str] | None = None) -> int:
    """Queries of one GET after a warm-up GET; the page must answer 200."""
    return len(page_queries(client, path, headers))


def page_queries(client: Client, path: str, headers: dict[str, str] | None = None) -> list[str]:
    """The SQL of one GET after a warm-up GET; the page must answer 200."""
    for attempt in ("warm-up", "counted"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise QueryCountError(f"{attempt} GET {path} answered {response.status_code}")
    return [str(query["sql"]) for query in captured.captured_queries]


def answers_ok(client: Client, path: str, headers: dict[str, str] | None = None) -> bool:
    """Whether a page exists and answers 200 for this client."""
    return client.get(path, headers=headers).status_code == 200


def json_items(client: Client, path: str, headers: dict[str, str]) -> int | None:
    """How many `items` a JSON page holds, or None when it does not answer 200."""
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        return None
    return len(response.json()["items"])


def network_id(code: str) -> int:
    """The id of a demo network by its code."""
    return int(Network.objects.get(code=code).pk)


def latest_version(framework_key: str) -> str | None:
    """The most recently loaded version of a framework, if it is loaded."""
    version = (
        FrameworkVersion.objects.filter(framework__key=framework_key)
        .order_by("-loaded_at", "-id")
        .first()
    )
    return None if version is None else version.version


def clear_cache() -> None:
    """Empty the database cache, which holds allauth's login rate-limit counters."""
    from django.core.cache import cache

    cache.clear()
