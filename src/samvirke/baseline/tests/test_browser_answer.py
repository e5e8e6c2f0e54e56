"""Answering in a real browser, in Danish: an HTMX save, then a version conflict shown in place."""

from __future__ import annotations

import os

import pytest

from samvirke.baseline.models import Answer, Assessment
from samvirke.baseline.services import answer_save
from samvirke.baseline.tests.conftest import build_questions, make_version, open_campaign
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member
from samvirke.core.tests.conftest import (
    BrowserSession,
    check_page,
    login_through_form,
    report,
    visit,
)
from samvirke.core.tests.conftest import (
    browser_session as browser_session,
)
from samvirke.core.tests.conftest import (
    browser_world as browser_world,
)
from samvirke.tenancy.roles import Role

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

LANGUAGE = "da"


def test_answer_then_meet_a_version_conflict(
    browser_session: BrowserSession, browser_world: World
) -> None:
    world = browser_world
    add_member(world.owner, world.org_a, Role.NETWORK_COORDINATOR)
    questions = build_questions(make_version())
    campaign = open_campaign(world, questions.version)
    with organisation_scope(world.org_a.pk):
        assessment = Assessment.objects.get(organisation=world.org_a, campaign=campaign)
    session, page = browser_session, browser_session.page
    login_through_form(session, "owner.a")
    for label, path in [
        ("campaign list", "/baseline/campaigns/"),
        ("campaign", f"/baseline/campaigns/{campaign.pk}/"),
        ("new campaign", "/baseline/campaigns/new/"),
        ("assessments", "/baseline/assessments/"),
        ("assessment", f"/baseline/assessments/{assessment.pk}/"),
        ("area", f"/baseline/assessments/{assessment.pk}/areas/{questions.area_1.pk}/"),
    ]:
        visit(session, path)
        check_page(session, label, LANGUAGE)

    visit(session, f"/baseline/assessments/{assessment.pk}/questions/{questions.maturity.pk}/")
    check_page(session, "answer", LANGUAGE)
    page.locator("label[for='id_value_3']").click()
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("main form button[type=submit]").click()
    page.locator(".alert-success").wait_for()
    assert page.url.endswith(f"/questions/{questions.maturity.pk}/")  # saved in place

    with organisation_scope(world.org_a.pk):  # someone else saves meanwhile
        answer_save(
            actor=world.owner,
            assessment=assessment,
            question=questions.maturity,
            org_unit=None,
            data={"value": 5, "comment": "Saved elsewhere"},
            base_version=1,
        )
    page.locator("label[for='id_value_1']").click()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").click()
    assert posted.value.status == 409
    page.locator(".alert-warning").wait_for()
    assert "Saved elsewhere" in page.locator("main").inner_text()
    check_page(session, "answer conflict", LANGUAGE)
    with organisation_scope(world.org_a.pk):
        stored = Answer.objects.get(assessment=assessment)
    assert (stored.version, stored.value) == (2, 5)
    assert not session.failures, "Accessibility problems:\n" + report(session.failures)
