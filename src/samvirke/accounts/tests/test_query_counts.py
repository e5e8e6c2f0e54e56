"""List pages run a fixed number of queries however many rows they show."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from samvirke.accounts.tests.test_invitations import invite
from samvirke.accounts.tests.test_tokens import make_token
from samvirke.core.testing import World, add_member, make_user
from samvirke.tenancy.roles import Role


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def grows(client: Client, url: str, add: Callable[[int], object]) -> tuple[int, int]:
    add(0)
    before = queries(client, url)
    for index in range(1, 6):
        add(index)
    return before, queries(client, url)


def test_invitation_list(owner_client: Client, world: World) -> None:
    url = reverse("accounts:invitation_list")
    before, after = grows(owner_client, url, lambda i: invite(world, email=f"p{i}@example.test"))
    assert before == after


def test_token_list(owner_client: Client, world: World) -> None:
    url = reverse("accounts:token_list")
    before, after = grows(owner_client, url, lambda i: make_token(world, user=world.owner))
    assert before == after


def test_member_list(owner_client: Client, world: World) -> None:
    url = reverse("tenancy:member_list")

    def add(index: int) -> object:
        return add_member(make_user(f"extra{index}.a"), world.org_a, Role.RESPONDENT, world.unit_a)

    before, after = grows(owner_client, url, add)
    assert before == after
