"""A network is visible to its current members and its steward only."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from conftest import login
from samvirke.core.testing import World
from samvirke.tenancy.models import NetworkMembership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("joined", "left"),
    [(datetime.date(2020, 1, 1), datetime.date(2021, 6, 30)), (datetime.date(2099, 1, 1), None)],
    ids=["left", "not-yet-joined"],
)
def test_former_and_future_members_do_not_see_the_network(
    client: Client, world: World, joined: datetime.date, left: datetime.date | None
) -> None:
    NetworkMembership.objects.filter(network=world.network, organisation=world.org_b).update(
        joined_on=joined, left_on=left
    )
    login(client, world.outsider)
    assert client.get(f"/networks/{world.network.pk}/").status_code == 404
    assert world.network.name not in client.get("/networks/").content.decode()


def test_current_members_and_the_steward_see_it(client: Client, world: World) -> None:
    login(client, world.outsider)
    assert client.get(f"/networks/{world.network.pk}/").status_code == 200
    login(client, world.owner)
    assert client.get(f"/networks/{world.network.pk}/").status_code == 200
