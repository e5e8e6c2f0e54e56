"""The benchmark management pages: custom partitions, releases and opt-in sharing."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tasks_db.models import DBTaskResult

from conftest import login
from samvirke.accounts.models import User
from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import Campaign, CampaignState
from samvirke.benchmarking.forms import MAX_CSV_BYTES
from samvirke.benchmarking.models import (
    CustomPartition,
    CustomPartitionState,
    Release,
    ReleaseGroup,
    ReleaseScore,
    ReleaseState,
    SharingConsent,
)
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.benchmarking.services import partition_decide, partition_propose, sharing_set
from samvirke.benchmarking.testing import Population, Spec, population
from samvirke.core.testing import World, add_member, make_organisation, make_user
from samvirke.tenancy.models import Network, NetworkMembership, Organisation
from samvirke.tenancy.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]

SMALL = Spec(regions=(8, 8), code_prefix="P")
RELEASES = "/benchmarks/releases/"
PARTITIONS = "/benchmarks/partitions/"
SHARING = "/benchmarks/sharing/"
HEADER = "organisation code,group key,group label\n"


@pytest.fixture
def pop(world: World) -> Population:
    """Sixteen answering municipalities in the world's network (A stewards it; A and B are in)."""
    return population(SMALL, network=world.network)


@pytest.fixture
def coordinators(world: World) -> tuple[User, User]:
    """Two network coordinators of the steward, organisation A."""
    first, second = make_user("coord.one"), make_user("coord.two")
    add_member(first, world.org_a, Role.NETWORK_COORDINATOR)
    add_member(second, world.org_a, Role.NETWORK_COORDINATOR)
    return first, second


def as_user(user: User) -> Client:
    """A fresh client logged in as the user."""
    return login(Client(), user)


def codes(world: World, pop: Population) -> list[str]:
    """Every current member's code: A, B and the population."""
    return [world.org_a.code, world.org_b.code] + [o.code for o in pop.organisations]


def rows_csv(members: list[str], split: int = 10) -> str:
    """Two groups: the first `split` members east, the rest west."""
    lines = [
        f"{code},{'east' if i < split else 'west'},{'East' if i < split else 'West'}"
        for i, code in enumerate(members)
    ]
    return HEADER + "\n".join(lines) + "\n"


def upload(client: Client, world: World, content: bytes, name: str = "groups.csv") -> Any:
    """Post a partition proposal with a CSV file."""
    return client.post(
        PARTITIONS,
        {
            "network": world.network.pk,
            "key": "coast",
            "title": "Coast and inland",
            "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        },
    )


def groups_of(world: World, pop: Population) -> dict[str, tuple[str, list[Organisation]]]:
    """The valid east/west partition as the service takes it."""
    members = [world.org_a, world.org_b, *pop.organisations]
    return {"east": ("East", members[:10]), "west": ("West", members[10:])}


# --- custom partitions -----------------------------------------------------------------------


def test_partition_proposed_by_one_coordinator_and_approved_by_another(
    world: World, pop: Population, coordinators: tuple[User, User]
) -> None:
    first, second = coordinators
    response = upload(as_user(first), world, rows_csv(codes(world, pop)).encode())
    assert response.status_code == 302
    partition = CustomPartition.objects.get(network=world.network, key="coast")
    assert partition.state == CustomPartitionState.PROPOSED
    assert partition.groups.get(key="east").members.count() == 10

    decide = f"{PARTITIONS}{partition.pk}/decide/"
    refused = as_user(first).post(decide, {"decision": "approve"})
    assert refused.status_code == 400
    assert "another network coordinator must decide" in refused.content.decode()
    partition.refresh_from_db()
    assert partition.state == CustomPartitionState.PROPOSED

    assert as_user(second).post(decide, {"decision": "approve"}).status_code == 302
    partition.refresh_from_db()
    assert partition.state == CustomPartitionState.APPROVED and partition.decided_by == second
    actions = set(
        AuditEntry.objects.filter(organisation=world.org_a).values_list("action", flat=True)
    )
    assert {"benchmarking.partition.proposed", "benchmarking.partition.approved"} <= actions
    again = as_user(second).post(decide, {"decision": "reject"})
    assert again.status_code == 400 and "already been decided" in again.content.decode()


def _unknown(members: list[str]) -> bytes:
    return rows_csv(["XX999", *members[1:]]).encode()


def _missing(members: list[str]) -> bytes:
    return rows_csv(members[:-1]).encode()


def _duplicate(members: list[str]) -> bytes:
    return rows_csv([*members, members[0]]).encode()


def _too_small(members: list[str]) -> bytes:
    return rows_csv(members, split=3).encode()


def _columns(members: list[str]) -> bytes:
    return b"code;group\n" + "\n".join(f"{m};east" for m in members).encode()


def _not_utf8(members: list[str]) -> bytes:
    return rows_csv(members).encode() + "ÆØÅ,east,Øst\n".encode("latin-1")


def _oversized(members: list[str]) -> bytes:
    return rows_csv(members).encode() + b"#" * MAX_CSV_BYTES


def _wrong_width(members: list[str]) -> bytes:
    return rows_csv(members).replace(f"{members[2]},east,East", f"{members[2]},east").encode()


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (_unknown, ["<td>2</td>", "No member of the network has the code “XX999”"]),
        (_missing, ["The whole file", "is in no group"]),
        (_duplicate, ["<td>20</td>", "already listed on line 2"]),
        (_too_small, ["<td>2</td>", "The group east has 3 members"]),
        (_columns, ["<td>1</td>", "The first line must name the columns"]),
        (_not_utf8, ["<td>20</td>", "not UTF-8"]),
        (_oversized, ["larger than 256 KB"]),
        (_wrong_width, ["<td>4</td>", "Expected 3 columns, found 2"]),
    ],
)
def test_bad_partition_file_is_refused_with_located_errors_and_nothing_stored(
    world: World,
    pop: Population,
    coordinators: tuple[User, User],
    build: Callable[[list[str]], bytes],
    expected: list[str],
) -> None:
    response = upload(as_user(coordinators[0]), world, build(codes(world, pop)))
    assert response.status_code == 400
    page = response.content.decode()
    for text in expected:
        assert text in page
    assert not CustomPartition.objects.exists()
    assert not AuditEntry.objects.filter(action="benchmarking.partition.proposed").exists()


def test_partition_file_of_another_type_is_refused(
    world: World, pop: Population, coordinators: tuple[User, User]
) -> None:
    content = rows_csv(codes(world, pop)).encode()
    response = upload(as_user(coordinators[0]), world, content, name="groups.xlsx")
    assert response.status_code == 400
    assert "Upload a CSV file" in response.content.decode()
    assert not CustomPartition.objects.exists()


def test_partition_typed_in_the_form(
    world: World, pop: Population, coordinators: tuple[User, User]
) -> None:
    response = as_user(coordinators[0]).post(
        PARTITIONS,
        {
            "network": world.network.pk,
            "key": "typed",
            "title": "Typed",
            "rows": rows_csv(codes(world, pop)),
        },
    )
    assert response.status_code == 302
    assert CustomPartition.objects.filter(key="typed").exists()


def test_approved_partition_is_a_grouping_of_the_next_release(
    world: World, pop: Population, coordinators: tuple[User, User]
) -> None:
    first, second = coordinators
    groups = groups_of(world, pop)
    partition = partition_propose(
        actor=first, network=world.network, key="coast", title="Coast", groups=groups
    )
    with pytest.raises(Exception, match="another network coordinator"):
        partition_decide(actor=first, partition=partition, approve=True)
    partition_decide(actor=second, partition=partition, approve=True)
    release = release_build(actor=None, campaign=pop.campaign)
    custom = ReleaseGroup.objects.filter(release=release, partition="custom:coast")
    assert set(custom.values_list("key", flat=True)) == {"east", "west"}
    west = custom.get(key="west")
    assert west.members == sorted(o.code for o in pop.organisations[8:])


def test_only_coordinators_of_the_steward_propose(world: World, pop: Population) -> None:
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        partition_propose(
            actor=world.owner,
            network=world.network,
            key="coast",
            title="Coast",
            groups=groups_of(world, pop),
        )
    assert not CustomPartition.objects.exists()


# --- opt-in sharing --------------------------------------------------------------------------


def test_sharing_set_and_unset_is_audited_and_the_release_treats_it_as_known(
    world: World, pop: Population
) -> None:
    sharer = pop.organisations[3]
    coordinator = make_user("security.p003")
    add_member(coordinator, sharer, Role.SECURITY_COORDINATOR)
    client = as_user(coordinator)
    page = client.get(SHARING)
    assert page.status_code == 200 and pop.campaign.title in page.content.decode()

    response = client.post(SHARING, {"campaign": pop.campaign.pk, "audience": "members"})
    assert response.status_code == 302
    consent = SharingConsent.objects.get(organisation=sharer, withdrawn_at__isnull=True)
    assert consent.audience == "members"
    entries = AuditEntry.objects.filter(organisation=sharer)
    assert entries.filter(action="benchmarking.sharing.given").exists()

    release = release_build(actor=None, campaign=pop.campaign)
    known = set(
        ReleaseScore.objects.filter(release=release, known=True).values_list(
            "organisation_id", flat=True
        )
    )
    assert known == {sharer.pk}

    assert client.post(SHARING, {"campaign": pop.campaign.pk, "audience": ""}).status_code == 302
    assert not SharingConsent.objects.filter(
        organisation=sharer, withdrawn_at__isnull=True
    ).exists()
    assert entries.filter(action="benchmarking.sharing.withdrawn").exists()


def test_sharing_refuses_a_campaign_the_organisation_did_not_take_part_in(
    world: World, pop: Population
) -> None:
    other = Campaign.objects.create(
        network=world.network,
        framework_version=pop.version,
        title="Other",
        year=2030,
        opens_on=datetime.date(2030, 1, 1),
        deadline=datetime.date(2030, 3, 1),
    )
    coordinator = make_user("security.p001")
    add_member(coordinator, pop.organisations[1], Role.SECURITY_COORDINATOR)
    response = as_user(coordinator).post(SHARING, {"campaign": other.pk, "audience": "members"})
    assert response.status_code == 400
    assert not SharingConsent.objects.exists()
    with pytest.raises(Exception, match="does not take part"):
        sharing_set(
            actor=coordinator, organisation=pop.organisations[1], campaign=other, audience="members"
        )


# --- releases --------------------------------------------------------------------------------


def test_release_pages_show_the_summary_and_publish_once(
    world: World, pop: Population, coordinators: tuple[User, User]
) -> None:
    release = release_build(actor=None, campaign=pop.campaign)
    client = as_user(coordinators[0])
    listing = client.get(RELEASES).content.decode()
    assert "Review and publish" in listing and "Counted organisations" in listing
    detail = client.get(f"{RELEASES}{release.pk}/")
    page = detail.content.decode()
    assert detail.status_code == 200
    assert str(release.summary["counted_organisations"]) in page
    assert release.policy_version in page and "Narrowest interval" in page
    assert "R1" not in page and "R13" not in page  # no reason codes

    publish = f"{RELEASES}{release.pk}/publish/"
    assert client.post(publish, {}).status_code == 400
    assert client.post(publish, {"confirm": "on"}).status_code == 302
    release.refresh_from_db()
    assert release.state == ReleaseState.PUBLISHED and release.published_by == coordinators[0]
    again = client.post(publish, {"confirm": "on"})
    assert again.status_code == 400
    assert Release.objects.filter(campaign=pop.campaign).count() == 1
    assert "Published on" in client.get(RELEASES).content.decode()


def test_correction_with_fewer_than_k_changes_is_refused(
    world: World, pop: Population, coordinators: tuple[User, User]
) -> None:
    release = release_publish(
        actor=coordinators[0], release=release_build(actor=None, campaign=pop.campaign)
    )
    client = as_user(coordinators[0])
    assert "Build the correction" in client.get(f"{RELEASES}{release.pk}/").content.decode()
    response = client.post(f"{RELEASES}{release.pk}/correct/")
    assert response.status_code == 400
    assert "at least 5 changed organisations; 0 changed" in response.content.decode()
    assert Release.objects.filter(campaign=pop.campaign).count() == 1


def test_collecting_shows_the_rounded_count_and_build_now_enqueues(
    world: World,
    pop: Population,
    coordinators: tuple[User, User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = as_user(coordinators[0])
    Campaign.objects.filter(pk=pop.campaign.pk).update(state=CampaignState.OPEN)
    assert "about 15 submissions" in client.get(RELEASES).content.decode()  # 16 → 15

    Campaign.objects.filter(pk=pop.campaign.pk).update(state=CampaignState.CLOSED)
    assert "Closed, release being built." in client.get(RELEASES).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{RELEASES}campaigns/{pop.campaign.pk}/build/")
    assert response.status_code == 302
    assert DBTaskResult.objects.count() == 1
    assert AuditEntry.objects.filter(action="benchmarking.release.build_requested").exists()
    assert not Release.objects.exists()  # built by the worker, never in the request


def test_release_pages_need_the_steward_s_coordinator(
    world: World, pop: Population, coordinators: tuple[User, User]
) -> None:
    release = release_build(actor=None, campaign=pop.campaign)
    for user in (world.owner, world.outsider):  # security coordinators of the steward, a member
        client = as_user(user)
        assert client.get(RELEASES).status_code == 403
        assert client.get(f"{RELEASES}{release.pk}/").status_code == 403
        assert client.get(PARTITIONS).status_code == 403
    org_c = make_organisation("903", "Gamma Kommune")
    Network.objects.create(code="other-net", name="Other network", steward=org_c)
    NetworkMembership.objects.create(
        network=Network.objects.get(code="other-net"),
        organisation=org_c,
        joined_on=datetime.date(2020, 1, 1),
    )
    stranger = make_user("coord.other")
    add_member(stranger, org_c, Role.NETWORK_COORDINATOR)
    client = as_user(stranger)
    assert client.get(f"{RELEASES}{release.pk}/").status_code == 404
    assert client.post(f"{RELEASES}{release.pk}/publish/", {"confirm": "on"}).status_code == 404
    assert client.post(f"{RELEASES}campaigns/{pop.campaign.pk}/build/").status_code == 404
    assert pop.campaign.title not in client.get(RELEASES).content.decode()
    partition = partition_propose(
        actor=coordinators[0],
        network=world.network,
        key="coast",
        title="Coast",
        groups=groups_of(world, pop),
    )
    decide = f"{PARTITIONS}{partition.pk}/decide/"
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    assert "Coast" not in client.get(PARTITIONS).content.decode()
    release.refresh_from_db()
    partition.refresh_from_db()
    assert release.state == ReleaseState.AUDITED
    assert partition.state == CustomPartitionState.PROPOSED
