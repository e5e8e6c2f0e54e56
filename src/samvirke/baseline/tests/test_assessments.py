"""Submitting and reopening assessments; delegating areas and questions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import Assessment, AssessmentState, Campaign, Delegation
from samvirke.baseline.services import (
    assessment_reopen,
    assessment_submit,
    campaign_close,
    delegation_assign,
    delegation_remove,
)
from samvirke.baseline.tests.conftest import QuestionSet, add_node, make_version
from samvirke.core.testing import World
from samvirke.frameworks.models import NodeKind

pytestmark = pytest.mark.django_db


def test_submit_locks_and_cannot_repeat(world: World, assessment: Assessment) -> None:
    assessment_submit(actor=world.owner, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED and assessment.is_locked
    assert assessment.submitted_by == world.owner and assessment.submitted_at
    with pytest.raises(ValidationError):
        assessment_submit(actor=world.owner, assessment=assessment)


def test_reopen_needs_a_reason_and_a_submitted_assessment(
    world: World, assessment: Assessment
) -> None:
    with pytest.raises(ValidationError):
        assessment_reopen(actor=world.owner, assessment=assessment, reason="Forgot one")
    assessment_submit(actor=world.owner, assessment=assessment)
    with pytest.raises(ValidationError):
        assessment_reopen(actor=world.owner, assessment=assessment, reason="  ")
    assessment_reopen(actor=world.owner, assessment=assessment, reason="Forgot one")
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.IN_PROGRESS and assessment.reopen_count == 1
    entry = AuditEntry.objects.get(action="baseline.assessment.reopened")
    assert entry.changes["reason"] == "Forgot one"


def test_reopen_only_while_the_campaign_is_open(
    world: World, campaign: Campaign, assessment: Assessment
) -> None:
    assessment_submit(actor=world.owner, assessment=assessment)
    campaign_close(actor=world.owner, campaign=campaign)
    with pytest.raises(ValidationError):
        assessment_reopen(actor=world.owner, assessment=assessment, reason="Too late")
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED


def test_delegate_to_own_units_and_people_only(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    delegation = delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=world.unit_a
    )
    assert delegation.organisation == world.org_a
    refused = [
        {"node": questions.area_1, "org_unit": world.unit_a},  # twice
        {"node": questions.area_1, "org_unit": world.unit_b},
        {"node": questions.area_1, "user": world.outsider},
        {"node": questions.area_1},
        {
            "node": add_node(make_version("x"), "X", NodeKind.AREA),
            "org_unit": world.unit_a,
        },
    ]
    for kwargs in refused:
        with pytest.raises(ValidationError):
            delegation_assign(actor=world.owner, assessment=assessment, **kwargs)  # type: ignore[arg-type]
    assert Delegation.objects.count() == 1
    delegation_remove(actor=world.owner, delegation=delegation)
    assert not Delegation.objects.exists()
    assert AuditEntry.objects.filter(action="baseline.delegation.removed").exists()


def test_no_delegation_on_a_locked_assessment(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    assessment_submit(actor=world.owner, assessment=assessment)
    with pytest.raises(ValidationError):
        delegation_assign(
            actor=world.owner, assessment=assessment, node=questions.area_1, user=world.member
        )
