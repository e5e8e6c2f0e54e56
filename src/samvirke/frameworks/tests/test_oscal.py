"""OSCAL catalog export: valid against the OSCAL 1.1 catalog model, stable ids and uuids."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from trestle.oscal.catalog import Catalog

from samvirke.frameworks.models import FrameworkVersion
from samvirke.frameworks.oscal import OSCAL_VERSION, catalog_uuid, export_oscal, oscal_id
from samvirke.frameworks.parsing import LIBRARY_DIR
from samvirke.frameworks.services import frameworks_load

ONBOARDING = Path(__file__).parent / "data" / "test-net-onboarding"
TOKEN = re.compile(r"^[_a-zA-Z][\w.-]*$")


def validate(document: dict[str, Any]) -> Catalog:
    """Parse with compliance-trestle's OSCAL catalog model (pydantic; raises on any error)."""
    return Catalog.parse_obj(document["catalog"])


def walk(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Every group and control under an entry."""
    found = []
    for key in ("groups", "controls"):
        for child in entry.get(key, []):
            found.append(child)
            found.extend(walk(child))
    return found


@pytest.mark.parametrize(
    ("key", "token"),
    [("A.5.1", "a.5.1"), ("GV.OC-01", "gv.oc-01"), ("1.1", "n1.1"), ("9", "n9"), ("E8.1", "e8.1")],
)
def test_oscal_ids(key: str, token: str) -> None:
    assert oscal_id(key) == token and TOKEN.match(token)


@pytest.mark.django_db
def test_every_shipped_framework_is_a_valid_oscal_catalog() -> None:
    frameworks_load(paths=[])
    for version in FrameworkVersion.objects.select_related("framework"):
        document = export_oscal(version, "en")
        catalog = validate(document)
        assert catalog.metadata.oscal_version.__root__ == OSCAL_VERSION
        entries = walk(document["catalog"])
        assert len(entries) == version.nodes.count(), version
        ids = [entry["id"] for entry in entries]
        assert len(set(ids)) == len(ids) and all(TOKEN.match(i) for i in ids)


@pytest.mark.django_db
def test_iso_catalog_shape() -> None:
    frameworks_load(paths=[LIBRARY_DIR / "iso27001-2022-annex-a"])
    version = FrameworkVersion.objects.get()
    catalog = export_oscal(version)["catalog"]
    assert [g["id"] for g in catalog["groups"]] == ["a.5", "a.6", "a.7", "a.8"]
    assert len(catalog["groups"][0]["controls"]) == 37
    control = catalog["groups"][0]["controls"][0]
    assert control["id"] == "a.5.1" and control["class"] == "requirement"
    assert {"name": "label", "value": "A.5.1"} in control["props"]
    assert catalog["metadata"]["title"] and catalog["metadata"]["version"] == "2022"


@pytest.mark.django_db
def test_questions_carry_parts_and_props_in_the_requested_language() -> None:
    frameworks_load(paths=[LIBRARY_DIR / "cfcs-top4", ONBOARDING])
    version = FrameworkVersion.objects.get(framework__key="test-net-onboarding")
    document = export_oscal(version, "da")
    validate(document)
    catalog = document["catalog"]
    assert catalog["metadata"]["title"] == "Netværkets egne spørgsmål"
    entries = {entry["id"]: entry for entry in walk(catalog)}
    area, question = entries["on"], entries["on.01"]
    assert "class" not in area and area["parts"][0]["name"] == "statement"
    assert question["class"] == "question"
    parts = {part["name"]: part["prose"] for part in question.get("parts", [])}
    assert parts["guidance"].startswith("Tæl kun")
    props = {prop["name"]: prop["value"] for prop in question["props"]}
    assert props == {
        "label": "ON.01",
        "question-type": "maturity",
        "answer-level": "unit",
        "weight": "2.5",
        "role": "management",
    }
    assert "n9.1" in entries and entries["n9.1"]["controls"][0]["id"] == "n9.1.1"


@pytest.mark.django_db
def test_catalog_uuid_is_stable_per_framework_version() -> None:
    frameworks_load(paths=[LIBRARY_DIR / "cfcs-top4"])
    version = FrameworkVersion.objects.get()
    first = export_oscal(version)["catalog"]["uuid"]
    FrameworkVersion.objects.all().delete()
    frameworks_load(paths=[LIBRARY_DIR / "cfcs-top4"])
    again = FrameworkVersion.objects.get()
    assert export_oscal(again)["catalog"]["uuid"] == first == catalog_uuid(again)


def test_an_invalid_catalog_is_refused_by_the_validator() -> None:
    """The validator is real: a control id that is not a token fails."""
    document = {
        "catalog": {
            "uuid": "6f3b1a8e-2a0d-4a43-9d36-0c8c6a9f0b11",
            "metadata": {
                "title": "x",
                "last-modified": "2026-01-01T00:00:00+00:00",
                "version": "1",
                "oscal-version": OSCAL_VERSION,
            },
            "controls": [{"id": "1.1", "title": "x"}],
        }
    }
    with pytest.raises(Exception, match="id"):
        validate(document)
