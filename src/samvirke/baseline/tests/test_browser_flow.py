"""The whole campaign in a real browser, in Danish (issue 5's end-to-end flow).

A network coordinator opens the campaign; the security coordinator delegates an area to a
department; the department's respondent finds the question under "my questions", answers it
with last year's answer beside it, autosaves and meets a version conflict; the coordinator
reviews and submits. axe-core checks every page on the way.
"""

from __future__ import annotations

import datetime
import os

import pytest

from samvirke.baseline.models import (
    Answer,
    Assessment,
    AssessmentState,
    Campaign,
    Delegation,
)
from samvirke.baseline.services import (
    answer_save,
    assessment_submit,
    campaign_close,
    campaign_create,
    campaign_open,
)
from samvirke.baseline.tests.conftest import build_questions, make_version
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member
from samvirke.core.tests.conftest import (
    BrowserSession,
    check_page,
    login_through_form,
    logout_through_header,
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
LAST_YEAR = 2025
THIS_YEAR = 2026


def last_years_campaign(world: World, questions: object) -> None:
    """2025: the department answered the per-unit question "partly", with a comment."""
    campaign = campaign_create(
        actor=world.owner,
        network=world.network,
        framework_version=questions.version,  # type: ignore[attr-defined]
        title=f"Baseline {LAST_YEAR}",
        year=LAST_YEAR,
        opens_on=datetime.date(LAST_YEAR, 1, 1),
        deadline=datetime.date(LAST_YEAR, 3, 1),
    )
    campaign_open(actor=world.owner, campaign=campaign)
    with organisation_scope(world.org_a.pk):
        assessment = Assessment.objects.get(organisation=world.org_a, campaign=campaign)
        answer_save(
            actor=world.owner,
            assessment=assessment,
            question=questions.yes_no,  # type: ignore[attr-defined]
            org_unit=world.unit_a,
            data={"value": "partly", "comment": "Sidste års kommentar fra IT"},
            base_version=0,
        )
        assessment_submit(actor=world.owner, assessment=assessment)
    campaign_close(actor=world.owner, campaign=campaign)


def test_a_campaign_from_opening_to_submission_in_danish(
    browser_session: BrowserSession, browser_world: World
) -> None:
    world = browser_world
    add_member(world.owner, world.org_a, Role.NETWORK_COORDINATOR)
    questions = build_questions(make_version())
    last_years_campaign(world, questions)
    session, page = browser_session, browser_session.page

    # The network coordinator creates and opens this year's campaign.
    login_through_form(session, "owner.a")
    visit(session, "/baseline/campaigns/new/")
    check_page(session, "new campaign", LANGUAGE)
    page.select_option("#id_network", str(world.network.pk))
    page.select_option("#id_framework_version", str(questions.version.pk))
    page.fill("#id_title", f"Basismåling {THIS_YEAR}")
    page.fill("#id_year", str(THIS_YEAR))
    page.fill("#id_opens_on", f"{THIS_YEAR}-01-01")
    page.fill("#id_deadline", f"{THIS_YEAR}-12-31")
    with page.expect_navigation(wait_until="load"):
        page.locator("main form button[type=submit]").click()
    campaign = Campaign.objects.get(year=THIS_YEAR)
    check_page(session, "campaign draft", LANGUAGE)
    with page.expect_navigation(wait_until="load"):
        page.locator("main form[action$='/open/'] button").click()
    campaign.refresh_from_db()
    assert campaign.state == "open"
    check_page(session, "campaign open", LANGUAGE)
    with organisation_scope(world.org_a.pk):
        assessment = Assessment.objects.get(organisation=world.org_a, campaign=campaign)

    # The security coordinator delegates the first area to the IT department.
    visit(session, f"/baseline/assessments/{assessment.pk}/")
    check_page(session, "assessment", LANGUAGE)
    visit(session, f"/baseline/assessments/{assessment.pk}/delegations/")
    check_page(session, "delegation", LANGUAGE)
    page.select_option("#id_node", str(questions.area_1.pk))
    page.locator(f"input[name=org_units][value='{world.unit_a.pk}']").check()
    with page.expect_navigation(wait_until="load"):
        page.locator("main form button[type=submit]").first.click()
    with organisation_scope(world.org_a.pk):
        assert Delegation.objects.filter(
            assessment=assessment, node=questions.area_1, org_unit=world.unit_a
        ).exists()
    check_page(session, "delegation done", LANGUAGE)
    logout_through_header(session)

    # The department's respondent answers with last year's answer beside the question.
    login_through_form(session, "member.a")
    visit(session, "/baseline/my-questions/")
    check_page(session, "my questions", LANGUAGE)
    with page.expect_navigation(wait_until="load"):
        page.locator(f"main a[href*='/questions/{questions.yes_no.pk}/']").click()
    assert f"org_unit={world.unit_a.pk}" in page.url
    assert "Sidste års kommentar fra IT" in page.locator("main").inner_text()
    check_page(session, "answer with last year", LANGUAGE)
    with page.expect_response(lambda r: r.request.method == "POST") as saved:
        page.locator("label[for='id_value_0']").click()  # yes
    assert saved.value.status == 200
    page.locator("[data-state=saved]").wait_for()
    check_page(session, "answer autosaved", LANGUAGE)

    with organisation_scope(world.org_a.pk):  # the coordinator saves the same answer meanwhile
        answer_save(
            actor=world.owner,
            assessment=assessment,
            question=questions.yes_no,
            org_unit=world.unit_a,
            data={"value": "no", "comment": "Rettet af koordinatoren"},
            base_version=1,
        )
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("label[for='id_value_1']").click()  # partly
    assert posted.value.status == 409
    page.locator(".alert-warning").wait_for()
    assert "Rettet af koordinatoren" in page.locator("main").inner_text()
    check_page(session, "answer conflict", LANGUAGE)
    with organisation_scope(world.org_a.pk):
        stored = Answer.objects.get(assessment=assessment, question=questions.yes_no)
    assert (stored.version, stored.value) == (2, "no")  # the conflict changed nothing
    with page.expect_response(lambda r: r.request.method == "POST") as replaced:
        page.locator("main form button[name=save]").click()  # keep mine, on purpose
    assert replaced.value.status == 200
    page.locator("[data-state=saved]").wait_for()
    logout_through_header(session)

    # The security coordinator reviews and submits.
    login_through_form(session, "owner.a")
    visit(session, f"/baseline/assessments/{assessment.pk}/review/")
    check_page(session, "review", LANGUAGE)
    with page.expect_navigation(wait_until="load"):
        page.locator("main form[method=post]:not([action]) button[type=submit]").click()
    with organisation_scope(world.org_a.pk):
        stored = Answer.objects.get(assessment=assessment, question=questions.yes_no)
    assert stored.reviewed_by == world.owner and stored.value == "partly"
    with page.expect_navigation(wait_until="load"):
        page.locator("main form[action$='/submit/'] button").click()
    with organisation_scope(world.org_a.pk):
        assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED
    check_page(session, "submitted", LANGUAGE)
    assert not session.failures, "Accessibility problems:\n" + report(session.failures)
