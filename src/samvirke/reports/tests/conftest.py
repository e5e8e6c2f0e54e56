"""Fixtures for report jobs: an assessment of A with two departments, files in a temporary place.

Also the readers the disclosure tests and the attack suite's canary crawl use for report files:
text of a PDF (pages, metadata and every string of its structure, such as alt texts) and of a
zip (a workbook's parts, or every file of a zip of reports).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    TextStringObject,
)

from samvirke.accounts.models import User
from samvirke.baseline.models import Answer, Assessment, Campaign
from samvirke.baseline.tests.conftest import (
    QuestionSet,
    build_questions,
    make_version,
    open_campaign,
)
from samvirke.benchmarking.models import Release, ReleaseKind, ReleaseState
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member, make_user
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy.roles import Role


@dataclass
class Reports:
    """A's assessment, answered per unit by two departments, and B's assessment."""

    world: World
    questions: QuestionSet
    campaign: Campaign
    assessment: Assessment
    b_assessment: Assessment
    units: list[OrgUnit]


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Report files go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def reports(world: World) -> Reports:
    """The standard world with an open campaign; A's IT and HR departments have answered."""
    questions = build_questions(make_version())
    campaign = open_campaign(world, questions.version)
    with organisation_scope(world.org_a.pk):
        hr = OrgUnit.objects.create(organisation=world.org_a, name="Alfa HR")
        assessment = Assessment.objects.get(organisation=world.org_a, campaign=campaign)
        for unit, value in ((world.unit_a, "yes"), (hr, "partly")):
            Answer.objects.create(
                organisation=world.org_a,
                assessment=assessment,
                question=questions.yes_no,
                org_unit=unit,
                value=value,
            )
        Answer.objects.create(
            organisation=world.org_a, assessment=assessment, question=questions.maturity, value=3
        )
    with organisation_scope(world.org_b.pk):
        b_assessment = Assessment.objects.get(organisation=world.org_b, campaign=campaign)
    return Reports(world, questions, campaign, assessment, b_assessment, [hr, world.unit_a])


@pytest.fixture
def coordinator(world: World) -> User:
    """A network coordinator of A, the steward of the world's network."""
    user = make_user("network.a")
    add_member(user, world.org_a, Role.NETWORK_COORDINATOR)
    return user


def make_release(campaign: Campaign, state: str = ReleaseState.PUBLISHED) -> Release:
    """A release of the campaign in a state, without cells (enough to ask for its report)."""
    return Release.objects.create(
        campaign=campaign,
        network=campaign.network,
        kind=ReleaseKind.INITIAL,
        state=state,
        policy_version="test",
        scoring_version="test",
    )


# --- reading report files --------------------------------------------------------------------


def flat(value: str) -> str:
    """Whitespace collapsed, so text wrapped over lines compares with the original."""
    return " ".join(value.split())


def pdf_page_text(raw: bytes) -> str:
    """The text of every page of a PDF, whitespace collapsed."""
    return flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages))


def _pdf_strings(node: Any, found: list[str], visited: set[int]) -> None:
    """Every text string reachable from a PDF object (metadata, alt texts, structure titles)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in visited:
                continue
            visited.add(item.idnum)
            item = item.get_object()
        if isinstance(item, TextStringObject | ByteStringObject):
            found.append(str(item) if isinstance(item, TextStringObject) else item.hex())
        elif isinstance(item, DictionaryObject):
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def pdf_text(raw: bytes) -> str:
    """A PDF's page text, then every string of its document structure and metadata."""
    reader = PdfReader(io.BytesIO(raw))
    strings: list[str] = []
    _pdf_strings(reader.trailer, strings, set())
    pages = " ".join(page.extract_text() for page in reader.pages)
    return flat(pages + " " + " ".join(strings))


def report_text(raw: bytes) -> str:
    """A report file (or any response body) as lower-case text: a PDF's text, a zip's files
    joined (a workbook's parts, every report of a zip of department reports), else the bytes."""
    if raw.startswith(b"%PDF"):
        return pdf_text(raw).lower()
    if raw.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return "\n".join(report_text(archive.read(name)) for name in archive.namelist())
    return raw.decode("utf-8", "replace").lower()
