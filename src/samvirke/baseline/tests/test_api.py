"""The baseline API: campaigns, assessments, questions, delegations, answers and progress."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samvirke.api.tests.helpers import ApiClient, assert_error, make_token
from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import (
    Answer,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignState,
    Delegation,
)
from samvirke.baseline.services import assessment_submit, delegation_assign
from samvirke.baseline.tests.conftest import QuestionSet, add_node, make_version
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member, make_user
from samvirke.tenancy.models import Network, NetworkMembership, OrgUnit
from samvirke.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def api_of(world: World, user: Any) -> ApiClient:
    return ApiClient(make_token(user, world.org_a)[1])


@pytest.fixture
def owner(world: World) -> ApiClient:
    """A's security coordinator."""
    return api_of(world, world.owner)


@pytest.fixture
def respondent(world: World) -> ApiClient:
    """A's respondent, in unit Alfa IT."""
    return api_of(world, world.member)


@pytest.fixture
def reader(world: World) -> ApiClient:
    """A's management reader."""
    return api_of(world, world.reader)


@pytest.fixture
def coordinator(world: World) -> ApiClient:
    """A network coordinator of A, the steward of the world's network."""
    user = make_user("network.a")
    add_member(user, world.org_a, Role.NETWORK_COORDINATOR)
    return api_of(world, user)


def b_assessment(world: World, campaign: Campaign) -> Assessment:
    with organisation_scope(world.org_b.pk):
        return Assessment.objects.get(organisation=world.org_b, campaign=campaign)


def answer_path(assessment: Assessment, question: Any) -> str:
    return f"/assessments/{assessment.pk}/questions/{question.pk}/answer"


def body(value: Any, version: int = 0, **extra: Any) -> dict[str, Any]:
    return {"value": value, "version": version, **extra}


def refusals(world: World, reason: str | None = None) -> list[AuditEntry]:
    entries = AuditEntry.objects.filter(organisation=world.org_a, action="baseline.answer.refused")
    return [e for e in entries if reason is None or e.changes["reason"] == reason]


def answers_of(assessment: Assessment) -> list[tuple[Any, ...]]:
    with organisation_scope(assessment.organisation_id):
        rows = Answer.objects.filter(organisation=assessment.organisation_id).order_by("pk")
        return list(rows.values_list("pk", "question_id", "org_unit_id", "value", "version"))


# --- campaigns -------------------------------------------------------------------------------


def test_campaign_life_cycle(coordinator: ApiClient, world: World, questions: QuestionSet) -> None:
    new = {
        "network": world.network.pk,
        "framework_version": questions.version.pk,
        "title": " Baseline 2027 ",
        "year": 2027,
        "opens_on": "2027-01-01",
        "deadline": "2027-06-30",
    }
    created = coordinator.post("/campaigns", new)
    assert created.status_code == 201, created.content
    campaign = created.json()
    assert (campaign["title"], campaign["state"], campaign["version"]) == (
        "Baseline 2027",
        "draft",
        "2026.1",
    )
    assert campaign["reminder_days"] == [14, 7, 1]
    assert [(p["code"], p["state"]) for p in campaign["participation"]] == [
        ("901", None),
        ("902", None),
    ]
    path = f"/campaigns/{campaign['id']}"
    assert coordinator.get("/campaigns").json()["items"][0]["id"] == campaign["id"]
    opened = coordinator.post(f"{path}/open").json()
    assert {p["state"] for p in opened["participation"]} == {"not_started"}
    assert_error(coordinator.post(f"{path}/open"), 409, "conflict")
    later = coordinator.post(f"{path}/deadline", {"deadline": "2027-09-30"}).json()
    assert later["deadline"] == "2027-09-30"
    earlier = coordinator.post(f"{path}/deadline", {"deadline": "2027-01-30"})
    assert set(assert_error(earlier, 422, "validation_error")["fields"]) == {"deadline"}
    closed = coordinator.post(f"{path}/close").json()
    assert closed["state"] == "closed"
    assert {p["state"] for p in closed["participation"]} == {"closed_unsubmitted"}
    assert_error(coordinator.post(f"{path}/deadline", {"deadline": "2028-01-01"}), 409, "conflict")
    participation = coordinator.get(path).json()["participation"]
    assert all(set(p) == {"code", "name", "state", "submitted_at"} for p in participation)


def test_campaign_create_refuses_foreign_network_and_unknown_version(
    coordinator: ApiClient, world: World, questions: QuestionSet
) -> None:
    theirs = Network.objects.create(code="b-net", name="B's network", steward=world.org_b)
    NetworkMembership.objects.create(
        network=theirs, organisation=world.org_a, joined_on=datetime.date(2020, 1, 1)
    )
    new = {
        "network": theirs.pk,
        "framework_version": questions.version.pk + 1000,
        "title": "T",
        "year": 2027,
        "opens_on": "2027-01-01",
        "deadline": "2027-06-30",
    }
    error = assert_error(coordinator.post("/campaigns", new), 422, "validation_error")
    assert set(error["fields"]) == {"network", "framework_version"}
    assert not Campaign.objects.exists()


def test_campaigns_need_campaign_manage(
    owner: ApiClient, coordinator: ApiClient, world: World, campaign: Campaign
) -> None:
    for call in (
        lambda api: api.get("/campaigns"),
        lambda api: api.get(f"/campaigns/{campaign.pk}"),
        lambda api: api.post(f"/campaigns/{campaign.pk}/close"),
    ):
        assert_error(call(owner), 403, "forbidden")
    other = Network.objects.create(code="other", name="Other", steward=world.org_b)
    theirs = Campaign.objects.create(
        network=other,
        framework_version=campaign.framework_version,
        title="B's",
        year=2026,
        opens_on=datetime.date(2026, 1, 1),
        deadline=datetime.date(2026, 12, 31),
    )
    for path in (f"/campaigns/{theirs.pk}", f"/campaigns/{theirs.pk}/close"):
        method = "get" if path.count("/") == 2 else "post"
        assert_error(coordinator.call(method, path), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.state == CampaignState.DRAFT


# --- assessments -----------------------------------------------------------------------------


def test_assessment_list_get_and_progress(
    reader: ApiClient, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=world.unit_a
    )
    listed = reader.get("/assessments").json()
    assert [a["id"] for a in listed["items"]] == [assessment.pk]
    one = reader.get(f"/assessments/{assessment.pk}").json()
    assert one["campaign"]["framework"] == "test-baseline" and one["locked"] is False
    progress = reader.get(f"/assessments/{assessment.pk}/progress").json()
    assert progress["total"] == {"total": 6, "answered": 0, "percent": 0}
    assert [a["key"] for a in progress["areas"]] == ["A1", "A2"]
    assert progress["units"] == [
        {"id": world.unit_a.pk, "name": "Alfa IT", "total": 2, "answered": 0, "percent": 0}
    ]


def test_assessments_of_another_organisation_are_not_found(
    owner: ApiClient, world: World, campaign: Campaign, unscoped: None
) -> None:
    theirs = b_assessment(world, campaign)
    for suffix in ("", "/progress", "/questions", "/answers"):
        assert_error(owner.get(f"/assessments/{theirs.pk}{suffix}"), 404, "not_found")
    assert_error(owner.post(f"/assessments/{theirs.pk}/submit"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.state == AssessmentState.NOT_STARTED


def test_respondent_cannot_list_assessments(respondent: ApiClient, assessment: Assessment) -> None:
    assert_error(respondent.get("/assessments"), 403, "forbidden")
    assert_error(respondent.get(f"/assessments/{assessment.pk}/progress"), 403, "forbidden")


def test_submit_and_reopen(owner: ApiClient, reader: ApiClient, assessment: Assessment) -> None:
    path = f"/assessments/{assessment.pk}"
    assert_error(reader.post(f"{path}/submit"), 403, "forbidden")
    submitted = owner.post(f"{path}/submit").json()
    assert (submitted["state"], submitted["locked"]) == ("submitted", True)
    assert_error(owner.post(f"{path}/submit"), 409, "conflict")
    error = assert_error(owner.post(f"{path}/reopen", {"reason": "  "}), 422, "validation_error")
    assert set(error["fields"]) == {"reason"}
    reopened = owner.post(f"{path}/reopen", {"reason": "Forgot one"}).json()
    assert (reopened["state"], reopened["reopen_count"]) == ("in_progress", 1)
    assert_error(owner.post(f"{path}/reopen", {"reason": "Again"}), 409, "conflict")


# --- questions and delegations ---------------------------------------------------------------


def test_question_list_shows_scale_options_delegations_and_answers(
    owner: ApiClient, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    owner.put(answer_path(assessment, questions.maturity), body(3))
    page = owner.get(f"/assessments/{assessment.pk}/questions").json()
    assert page["count"] == 6
    items = {item["key"]: item for item in page["items"]}
    assert list(items) == ["A1.1", "A1.2", "A2.1", "A2.2", "A2.3", "A2.4"]
    maturity = items["A1.1"]
    assert (maturity["area"], maturity["type"], maturity["level"]) == (
        "A1",
        "maturity",
        "organisation",
    )
    assert (maturity["scale"]["min"], maturity["scale"]["max"]) == (0, 5)
    assert [(a["value"], a["version"]) for a in maturity["answers"]] == [(3, 1)]
    assert [o["id"] for o in items["A2.2"]["options"]] == ["a", "b"]
    assert (items["A2.1"]["min"], items["A2.1"]["max"]) == (0, 100)
    second = owner.get(f"/assessments/{assessment.pk}/questions", limit=2, offset=2).json()
    assert [item["key"] for item in second["items"]] == ["A2.1", "A2.2"]


def test_respondent_sees_only_delegated_questions(
    respondent: ApiClient, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    path = f"/assessments/{assessment.pk}/questions"
    assert respondent.get(path).json() == {"count": 0, "items": []}
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.yes_no, org_unit=world.unit_a
    )
    other_unit = OrgUnit.objects.create(organisation=world.org_a, name="Alfa Skole")
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.yes_no, org_unit=other_unit
    )
    page = respondent.get(path).json()
    assert [item["key"] for item in page["items"]] == ["A1.2"]
    assert [d["org_unit"]["name"] for d in page["items"][0]["delegations"]] == ["Alfa IT"]


def test_delegation_create_and_delete(
    owner: ApiClient, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    path = f"/assessments/{assessment.pk}/delegations"
    created = owner.post(path, {"node": questions.area_1.pk, "user": world.member.pk})
    assert created.status_code == 201, created.content
    delegation = created.json()
    assert delegation["user"] == {"id": world.member.pk, "name": "Member"}
    assert_error(
        owner.post(path, {"node": questions.area_1.pk, "user": world.member.pk}), 409, "conflict"
    )
    assert owner.delete(f"{path}/{delegation['id']}").status_code == 204
    assert not Delegation.objects.filter(assessment=assessment).exists()


def test_delegation_refuses_foreign_references(
    owner: ApiClient,
    reader: ApiClient,
    world: World,
    questions: QuestionSet,
    assessment: Assessment,
) -> None:
    path = f"/assessments/{assessment.pk}/delegations"
    cases = [
        ({"node": questions.area_1.pk, "org_unit": world.unit_b.pk}, "org_unit"),
        ({"node": questions.area_1.pk, "user": world.outsider.pk}, "user"),
        ({"node": questions.area_1.pk + 10_000, "user": world.member.pk}, "node"),
    ]
    for sent, field in cases:
        error = assert_error(owner.post(path, sent), 422, "validation_error")
        assert set(error["fields"]) == {field}
    assert_error(owner.post(path, {"node": questions.area_1.pk}), 422, "validation_error")
    assert_error(
        reader.post(path, {"node": questions.area_1.pk, "user": world.member.pk}), 403, "forbidden"
    )
    assert not Delegation.objects.filter(assessment=assessment).exists()


def test_delegation_of_another_organisation_is_not_found(
    owner: ApiClient,
    world: World,
    questions: QuestionSet,
    campaign: Campaign,
    assessment: Assessment,
) -> None:
    theirs = b_assessment(world, campaign)
    with organisation_scope(world.org_b.pk):
        delegation = delegation_assign(
            actor=world.outsider, assessment=theirs, node=questions.area_1, org_unit=world.unit_b
        )
    paths = [
        f"/assessments/{assessment.pk}/delegations/{delegation.pk}",
        f"/assessments/{theirs.pk}/delegations/{delegation.pk}",
    ]
    for path in paths:
        assert_error(owner.delete(path), 404, "not_found")
    with organisation_scope(world.org_b.pk):
        assert Delegation.objects.filter(pk=delegation.pk).exists()


# --- answers ---------------------------------------------------------------------------------


def test_answer_save_get_revisions_and_list(
    owner: ApiClient, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    path = answer_path(assessment, questions.maturity)
    assert_error(owner.get(path), 404, "not_found")
    first = owner.put(path, body(3, comment=" first "))
    assert first.status_code == 200, first.content
    saved = first.json()
    assert (saved["value"], saved["version"], saved["comment"], saved["via"]) == (
        3,
        1,
        "first",
        "api",
    )
    assert saved["updated_by"] == {"id": world.owner.pk, "name": "Owner"}
    second = owner.put(path, body(4, version=1)).json()
    assert second["version"] == 2
    assert owner.get(path).json()["value"] == 4
    revisions = owner.get(f"{path}/revisions").json()
    assert [(r["version"], r["data"]["value"], r["via"]) for r in revisions["items"]] == [
        (2, 4, "api"),
        (1, 3, "api"),
    ]
    listed = owner.get(f"/assessments/{assessment.pk}/answers").json()
    assert [(a["question"], a["version"]) for a in listed["items"]] == [(questions.maturity.pk, 2)]


def test_per_unit_answer_needs_an_own_unit(
    owner: ApiClient, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    path = answer_path(assessment, questions.yes_no)
    for sent in (body("yes"), body("yes", org_unit=world.unit_b.pk)):
        error = assert_error(owner.put(path, sent), 422, "validation_error")
        assert set(error["fields"]) == {"org_unit"}
    saved = owner.put(path, body("yes", org_unit=world.unit_a.pk)).json()
    assert saved["org_unit"] == {"id": world.unit_a.pk, "name": "Alfa IT"}
    assert owner.get(path, org_unit=world.unit_a.pk).json()["value"] == "yes"
    assert_error(owner.get(path, org_unit=world.unit_b.pk), 422, "validation_error")
    assert [row[2] for row in answers_of(assessment)] == [world.unit_a.pk]


def test_stale_save_is_refused_with_both_answers(
    owner: ApiClient,
    respondent: ApiClient,
    world: World,
    questions: QuestionSet,
    assessment: Assessment,
) -> None:
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.maturity, user=world.member
    )
    path = answer_path(assessment, questions.maturity)
    assert owner.put(path, body(2)).status_code == 200
    assert respondent.put(path, body(5, version=1, comment="mine")).status_code == 200
    stale = owner.put(path, body(1, version=1, comment="theirs"))
    error = assert_error(stale, 409, "conflict")
    assert (error["stored"]["value"], error["stored"]["version"], error["stored"]["comment"]) == (
        5,
        2,
        "mine",
    )
    assert error["stored"]["updated_by"]["id"] == world.member.pk
    assert (error["submitted"]["value"], error["submitted"]["version"]) == (1, 1)
    assert [row[3:] for row in answers_of(assessment)] == [(5, 2)]
    assert len(refusals(world, "stale")) == 1


@pytest.mark.parametrize(
    ("question", "sent", "field"),
    [
        ("maturity", {"value": 6}, "value"),
        ("maturity", {"value": "high"}, "value"),
        ("number", {"value": 101}, "value"),
        ("single", {"value": "z"}, "value"),
        ("maturity", {"not_applicable": True}, "not_applicable_reason"),
        ("number", {"not_applicable": True, "not_applicable_reason": "No"}, "not_applicable"),
        ("maturity", {"not_applicable": True, "dont_know": True}, "dont_know"),
        ("maturity", {"value": 3, "version": 4}, "version"),
    ],
)
def test_invalid_answer_names_the_field_changes_nothing_and_is_audited(
    owner: ApiClient,
    world: World,
    questions: QuestionSet,
    assessment: Assessment,
    question: str,
    sent: dict[str, Any],
    field: str,
) -> None:
    node = getattr(questions, question)
    response = owner.put(answer_path(assessment, node), {"version": 0, **sent})
    error = assert_error(response, 422, "validation_error")
    assert set(error["fields"]) == {field}
    assert answers_of(assessment) == []
    assert len(refusals(world)) == 1


def test_answer_not_delegated_is_forbidden_and_audited(
    respondent: ApiClient,
    reader: ApiClient,
    world: World,
    questions: QuestionSet,
    assessment: Assessment,
) -> None:
    path = answer_path(assessment, questions.maturity)
    assert_error(respondent.put(path, body(3)), 403, "forbidden")
    assert_error(respondent.get(path), 403, "forbidden")
    assert_error(respondent.get(f"{path}/revisions"), 403, "forbidden")
    assert_error(reader.put(path, body(3)), 403, "forbidden")
    assert answers_of(assessment) == []
    assert len(refusals(world, "not_delegated")) == 1


def test_respondent_answers_what_is_delegated(
    respondent: ApiClient, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=world.unit_a
    )
    path = answer_path(assessment, questions.yes_no)
    saved = respondent.put(path, body("partly", org_unit=world.unit_a.pk))
    assert saved.status_code == 200, saved.content
    listed = respondent.get(f"/assessments/{assessment.pk}/answers").json()
    assert [a["value"] for a in listed["items"]] == ["partly"]
    assert respondent.get(path, org_unit=world.unit_a.pk).json()["version"] == 1


def test_locked_assessment_refuses_answers(
    owner: ApiClient,
    respondent: ApiClient,
    world: World,
    questions: QuestionSet,
    assessment: Assessment,
) -> None:
    assessment_submit(actor=world.owner, assessment=assessment)
    error = assert_error(
        owner.put(answer_path(assessment, questions.maturity), body(3)), 409, "conflict"
    )
    assert "stored" not in error
    # Someone the question is not delegated to learns nothing of its state.
    assert_error(
        respondent.put(answer_path(assessment, questions.maturity), body(3)), 403, "forbidden"
    )
    assert answers_of(assessment) == []
    assert len(refusals(world)) == 2


def test_answer_to_foreign_assessment_question_or_unit_is_refused_and_audited(
    owner: ApiClient,
    world: World,
    questions: QuestionSet,
    campaign: Campaign,
    assessment: Assessment,
) -> None:
    theirs = b_assessment(world, campaign)
    other = make_version("other-framework", "1")
    foreign_question = add_node(other, "X", "question", question_type="maturity")
    assert_error(owner.put(answer_path(theirs, questions.maturity), body(3)), 404, "not_found")
    assert_error(owner.put(answer_path(assessment, foreign_question), body(3)), 404, "not_found")
    sent = body("yes", org_unit=world.unit_b.pk)
    error = assert_error(
        owner.put(answer_path(assessment, questions.yes_no), sent), 422, "validation_error"
    )
    assert set(error["fields"]) == {"org_unit"}
    assert answers_of(assessment) == [] and answers_of(theirs) == []
    assert len(refusals(world, "not_found")) == 3


def test_review(
    owner: ApiClient,
    reader: ApiClient,
    world: World,
    questions: QuestionSet,
    assessment: Assessment,
) -> None:
    saved = owner.put(answer_path(assessment, questions.maturity), body(3)).json()
    path = f"/assessments/{assessment.pk}/answers/{saved['id']}/review"
    assert_error(reader.post(path), 403, "forbidden")
    reviewed = owner.post(path).json()
    assert reviewed["reviewed"] is True and reviewed["reviewed_at"]
    assert_error(
        owner.post(f"/assessments/{assessment.pk}/answers/{saved['id'] + 99}/review"),
        404,
        "not_found",
    )
    assessment_submit(actor=world.owner, assessment=assessment)
    assert_error(owner.post(path), 409, "conflict")


# --- query counts ----------------------------------------------------------------------------


def queries(api: ApiClient, path: str, **params: Any) -> int:
    with CaptureQueriesContext(connection) as context:
        response = api.get(path, **params)
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


def test_lists_need_the_same_queries_for_any_page_size(
    owner: ApiClient,
    respondent: ApiClient,
    coordinator: ApiClient,
    world: World,
    questions: QuestionSet,
    assessment: Assessment,
) -> None:
    unit_2 = OrgUnit.objects.create(organisation=world.org_a, name="Alfa Skole")
    for unit in (world.unit_a, unit_2):
        delegation_assign(
            actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=unit
        )
        owner.put(answer_path(assessment, questions.yes_no), body("yes", org_unit=unit.pk))
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_2, user=world.member
    )
    for name in ("maturity", "number", "single", "text"):
        value = {"maturity": 2, "number": 5, "single": "a", "text": "Yes"}[name]
        owner.put(answer_path(assessment, getattr(questions, name)), body(value))
    owner.put(answer_path(assessment, questions.maturity), body(3, version=1))
    base = f"/assessments/{assessment.pk}"
    for api, path in [
        (owner, f"{base}/questions"),
        (respondent, f"{base}/questions"),
        (owner, f"{base}/answers"),
        (respondent, f"{base}/answers"),
        (owner, f"{answer_path(assessment, questions.maturity)}/revisions"),
        (owner, "/assessments"),
        (coordinator, "/campaigns"),
    ]:
        assert queries(api, path, limit=1) == queries(api, path, limit=100), path


def test_every_baseline_operation_is_documented() -> None:
    from samvirke.api.api import api

    document = api.get_openapi_schema()
    operations = [
        operation
        for path, methods in document["paths"].items()
        if path.startswith(("/api/v1/campaigns", "/api/v1/assessments"))
        for operation in methods.values()
    ]
    assert len(operations) == 19
    for operation in operations:
        assert operation["tags"] == ["baseline"] and operation["description"]
