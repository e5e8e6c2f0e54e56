"""Answering in a real browser, in Danish: autosave, a reload, then a version conflict in place."""

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

    answer_page = f"/baseline/assessments/{assessment.pk}/questions/{questions.maturity.pk}/"
    visit(session, answer_page)
    check_page(session, "answer", LANGUAGE)
    # Autosave: choosing a level saves it, the status line says so, a reload shows it stored.
    with page.expect_response(lambda r: r.request.method == "POST") as saved:
        page.locator("label[for='id_value_3']").click()
    assert saved.value.status == 200
    page.locator("[data-state=saved]").wait_for()
    assert "(version 1)" in page.locator("[role=status]").inner_text()
    page.locator("#id_comment").press_sequentially("Written here")  # saved after a pause
    page.locator("text=(version 2)").wait_for()
    visit(session, answer_page)
    assert page.locator("#id_value_3").is_checked()
    assert page.locator("#id_comment").input_value() == "Written here"
    assert page.locator("#id_base_version").input_value() == "2"
    check_page(session, "answer after autosave", LANGUAGE)

    with organisation_scope(world.org_a.pk):  # someone else saves meanwhile
        answer_save(
            actor=world.owner,
            assessment=assessment,
            question=questions.maturity,
            org_unit=None,
            data={"value": 5, "comment": "Saved elsewhere"},
            base_version=2,
        )
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("label[for='id_value_1']").click()
    assert posted.value.status == 409
    page.locator(".alert-warning").wait_for()
    assert "Saved elsewhere" in page.locator("main").inner_text()
    check_page(session, "answer conflict", LANGUAGE)
    with organisation_scope(world.org_a.pk):
        stored = Answer.objects.get(assessment=assessment)
    assert (stored.version, stored.value) == (3, 5)
    # Saving over it on purpose, with the button: the conflict goes, the answer is stored.
    with page.expect_response(lambda r: r.request.method == "POST") as replaced:
        page.locator("main form button[name=save]").click()
    assert replaced.value.status == 200
    page.locator("[data-state=saved]").wait_for()
    assert page.locator(".alert-warning").count() == 0
    with organisation_scope(world.org_a.pk):
        stored = Answer.objects.get(assessment=assessment)
    assert (stored.version, stored.value) == (4, 1)
    # Two quick changes: the second waits for the first and is based on its version.
    page.locator("label[for='id_value_2']").click()
    page.locator("label[for='id_value_4']").click()
    page.locator("text=(version 6)").wait_for()
    assert page.locator(".alert-warning").count() == 0
    with organisation_scope(world.org_a.pk):
        stored = Answer.objects.get(assessment=assessment)
    assert (stored.version, stored.value) == (6, 4)
    assert not session.failures, "Accessibility problems:\n" + report(session.failures)
