"""The audit chain, its verification and the audit trail pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from conftest import login
from samvirke.audit.models import AuditEntry
from samvirke.audit.services import audit_log
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World
from samvirke.tenancy.services import orgunit_create

pytestmark = pytest.mark.django_db


def _write_entries(world: World, count: int = 3) -> list[AuditEntry]:
    with organisation_scope(world.org_a.pk):
        return [
            audit_log(
                actor=world.owner,
                organisation=world.org_a,
                action="test.thing.done",
                changes={"n": [None, i]},
            )
            for i in range(count)
        ]


def test_entries_chain_by_organisation(world: World) -> None:
    first, second, third = _write_entries(world)
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert first.chain_key == f"organisation:{world.org_a.pk}"


def test_entries_refuse_change_and_delete(world: World) -> None:
    entry = _write_entries(world, 1)[0]
    entry.action = "forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_verify_passes_on_intact_chains(world: World) -> None:
    _write_entries(world)
    out = io.StringIO()
    call_command("audit_verify", stdout=out, verbosity=0)
    assert "verified" in out.getvalue()


def test_verify_names_an_edited_entry(world: World) -> None:
    entries = _write_entries(world)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET actor_label = %s WHERE id = %s", ["mallory", entries[1].pk]
        )
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", verbosity=0, stderr=io.StringIO())
    assert f"entry id {entries[1].pk}" in str(failure.value)
    assert "changed" in str(failure.value)


def test_verify_names_the_gap_of_a_deleted_entry(world: World) -> None:
    entries = _write_entries(world)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", verbosity=0, stderr=io.StringIO())
    assert f"entry id {entries[2].pk}" in str(failure.value)
    assert "missing" in str(failure.value)


def test_verify_notices_a_deleted_last_entry(world: World) -> None:
    entries = _write_entries(world)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entries[-1].pk])
    with pytest.raises(CommandError, match="end of the chain"):
        call_command("audit_verify", verbosity=0, stderr=io.StringIO())


def test_a_service_write_is_audited_with_ip_and_channel(client: Client, world: World) -> None:
    login(client, world.owner)
    response = client.post("/units/new/", {"name": "Borgerservice"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    with organisation_scope(world.org_a.pk):
        entry = AuditEntry.objects.filter(action="tenancy.orgunit.created").get()
    assert entry.ip == "10.1.2.3" and entry.via == "page"
    assert entry.actor == world.owner
    assert entry.changes["name"] == [None, "Borgerservice"]


def test_trail_shows_only_own_organisation(client: Client, world: World) -> None:
    with organisation_scope(world.org_b.pk):
        orgunit_create(actor=world.outsider, organisation=world.org_b, name="Secret unit of B")
    with organisation_scope(world.org_a.pk):
        orgunit_create(actor=world.owner, organisation=world.org_a, name="Visible unit of A")
    login(client, world.owner)
    page = client.get("/audit/").content.decode()
    assert "Visible unit of A" in page
    assert "Secret unit of B" not in page


def test_trail_filters_and_rejects_bad_dates(client: Client, world: World) -> None:
    _write_entries(world)
    with organisation_scope(world.org_a.pk):
        orgunit_create(actor=world.owner, organisation=world.org_a, name="Filtered unit")
    login(client, world.owner)
    page = client.get("/audit/", {"action": "tenancy."}).content.decode()
    assert "Filtered unit" in page and "test.thing.done" not in page
    bad = client.get("/audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert bad.status_code == 400
    assert client.get("/audit/", {"since": "not-a-date"}).status_code == 400
    assert client.get("/audit/", {"until": "9999-12-31"}).status_code == 400
    assert client.get("/audit/", {"since": "0001-01-01"}).status_code == 400
    assert client.get("/audit/export.csv", {"until": "9999-12-31"}).status_code == 400


def test_exports_match_the_trail(client: Client, world: World) -> None:
    _write_entries(world, 2)
    login(client, world.owner)
    csv_text = client.get("/audit/export.csv").content.decode("utf-8-sig")
    assert csv_text.count("test.thing.done") == 2
    workbook = load_workbook(io.BytesIO(client.get("/audit/export.xlsx").content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[1][3] == "test.thing.done"


def test_respondent_may_not_read_the_trail(client: Client, world: World) -> None:
    login(client, world.member)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_behind_a_trusted_proxy_the_client_address_is_recorded(
    client: Client, world: World, settings: object
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    login(client, world.owner)
    client.post(
        "/units/new/",
        {"name": "Via proxy"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    with organisation_scope(world.org_a.pk):
        entry = AuditEntry.objects.filter(action="tenancy.orgunit.created").get()
    assert entry.ip == "203.0.113.9"


def test_verify_checks_the_installation_chain_too(world: World) -> None:
    first = audit_log(actor=None, organisation=None, action="test.installation.done")
    audit_log(actor=None, organisation=None, action="test.installation.done")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET action = %s WHERE id = %s", ["forged", first.pk]
        )
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", verbosity=0, stderr=io.StringIO())
    assert f"installation, seq 1 (entry id {first.pk})" in str(failure.value)
