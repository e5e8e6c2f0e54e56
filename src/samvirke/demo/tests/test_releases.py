"""The demo's benchmark releases: every closed history campaign of the seeded slice gets one,
built and audited by benchmarking.release, published by the network's coordinator, once.

The slice is the one of test_history.py (a few Danish and Norwegian municipalities, two regions,
the stewards), seeded with its history and then with its releases twice, in one transaction
rolled back after the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation

from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import Answer, Assessment, AssessmentState, Campaign, CampaignState
from samvirke.benchmarking.models import Release, ReleaseKind, ReleaseState
from samvirke.benchmarking.service import visible_releases
from samvirke.core.scoping import organisation_scope
from samvirke.demo.catalogue import DemoPlan
from samvirke.demo.history import HISTORY_YEARS, MEASURING_NETWORKS, OPEN_YEAR
from samvirke.demo.history_seed import (
    NetworkReleases,
    demo_history_seed,
    demo_releases_seed,
    release_campaigns,
)
from samvirke.demo.seed import demo_seed
from samvirke.demo.tests.test_history import FULL_PLAN, slice_of, small_codes
from samvirke.frameworks.services import frameworks_load
from samvirke.reports import data
from samvirke.reports.render import FORMATS, render
from samvirke.reports.tests.conftest import flat, report_text
from samvirke.tenancy.models import Organisation, OrgUnit

pytestmark = pytest.mark.django_db


@dataclass
class Released:
    """The slice with its history, and the reports of two release runs."""

    plan: DemoPlan
    pending: int
    first: list[NetworkReleases]
    second: list[NetworkReleases]


@pytest.fixture(scope="module")
def released(django_db_setup: None, django_db_blocker: Any) -> Iterator[Released]:
    with django_db_blocker.unblock(), transaction.atomic():
        frameworks_load(paths=[])
        plan = slice_of(FULL_PLAN, small_codes())
        demo_seed(plan=plan)
        demo_history_seed(plan=plan)
        pending = len(release_campaigns())
        first = demo_releases_seed()
        second = demo_releases_seed()
        yield Released(plan, pending, first, second)
        transaction.set_rollback(True)


def history_campaigns() -> list[Campaign]:
    return list(
        Campaign.objects.filter(year__in=HISTORY_YEARS, network__code__in=MEASURING_NETWORKS)
    )


def test_every_closed_year_has_one_published_release(released: Released, unscoped: None) -> None:
    campaigns = history_campaigns()
    measuring = [n for n in released.plan.networks if n.code in MEASURING_NETWORKS]
    assert len(campaigns) == 5 * len(measuring) == released.pending
    for campaign in campaigns:
        assert campaign.state == CampaignState.RELEASED
        (release,) = Release.objects.filter(campaign=campaign)
        assert (release.kind, release.state) == (ReleaseKind.INITIAL, ReleaseState.PUBLISHED)
        assert release.published_by is not None
        assert release.published_by.username == f"netkoord.{campaign.network.code}"
    assert not Release.objects.filter(campaign__year=OPEN_YEAR).exists()


def test_every_release_passes_its_audit(released: Released, unscoped: None) -> None:
    for release in Release.objects.select_related("campaign"):
        summary = release.summary
        assert summary["pinned"] == 0
        width = summary["narrowest_interval"]
        assert width is None or width >= release.policy["width"]
        submitted = Assessment.objects.filter(
            campaign=release.campaign, state=AssessmentState.SUBMITTED
        ).count()
        assert summary["counted_organisations"] == submitted  # demo organisations count here
        assert summary["cells"] == release.cells.count()
        assert summary["hidden_cells"] == release.cells.filter(hidden=True).count()


def test_the_reports_sum_the_releases(released: Released, unscoped: None) -> None:
    assert sum(r.built for r in released.first) == released.pending
    for report in released.first:
        releases = Release.objects.filter(network__code=report.network)
        assert report.built == releases.count() == 5
        assert report.cells == sum(r.summary["cells"] for r in releases)
        widths = [w for r in releases if (w := r.summary["narrowest_interval"]) is not None]
        assert report.narrowest == (min(widths) if widths else None)
        assert report.network in report.line() and "5 releases" in report.line()


def test_a_second_run_builds_nothing(released: Released, unscoped: None) -> None:
    assert released.second == []
    assert not release_campaigns()
    assert Release.objects.count() == released.pending
    built = AuditEntry.objects.filter(action="benchmarking.release.built")
    published = AuditEntry.objects.filter(action="benchmarking.release.published")
    assert built.count() == published.count() == released.pending


def test_a_member_sees_five_years_of_releases(released: Released, unscoped: None) -> None:
    copenhagen = Organisation.objects.get(code="101")
    years = [
        r.campaign.year for r in visible_releases(copenhagen) if r.network.code == "kl-kommuner"
    ]
    assert sorted(years) == list(HISTORY_YEARS)


def test_the_demo_reports_render_in_every_format(released: Released, unscoped: None) -> None:
    """Issue 7: the organisation, a department's and the network report from the demo data, as
    HTML, PDF and XLSX: København's scores, recommendations and units are in each."""
    copenhagen = Organisation.objects.get(code="101")
    year = max(HISTORY_YEARS)
    with organisation_scope(copenhagen.pk), translation.override("en"):
        assessment = Assessment.objects.get(
            organisation=copenhagen, campaign__year=year, campaign__network__code="kl-kommuner"
        )
        release = next(
            r for r in visible_releases(copenhagen) if r.campaign_id == assessment.campaign_id
        )
        unit_id = (
            Answer.objects.filter(assessment=assessment, org_unit__isnull=False, draft=False)
            .values_list("org_unit_id", flat=True)
            .first()
        )
        unit = OrgUnit.objects.get(pk=unit_id)
        report = data.organisation_report(assessment)
        department = data.department_report(assessment, unit)
        files = {
            (kind, fmt): render(kind, subject, fmt, "en")
            for kind, subject in (
                ("organisation", assessment),
                ("department", (assessment, unit)),
                ("network", release),
            )
            for fmt in FORMATS
        }
    assert report.total.own is not None and report.recommendations
    # Each file as lower-case text with whitespace collapsed: a PDF's text, a workbook's parts.
    texts = {key: flat(report_text(rendered.content)) for key, rendered in files.items()}
    top = flat(report.recommendations[0].text).lower()
    for fmt in FORMATS:
        organisation = texts[("organisation", fmt)]
        assert copenhagen.name.lower() in organisation or fmt == "xlsx"  # a workbook's tables
        assert f"{report.total.own:.1f}" in organisation.replace(",", ".")
        assert top[:60] in organisation
        assert unit.name.lower() in texts[("department", fmt)]
        assert release.network.name.lower() in texts[("network", fmt)] or fmt == "xlsx"
    assert department.unit == unit
