"""Copying last year's answers forward as drafts that each respondent confirms.

A copied answer is a draft: shown on the answer page, not counted as answered, until someone
saves it through the answer form (the save confirms it; services._answer_write clears `draft`).
Copying never overwrites an answer that exists, and copies only what the actor may answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log
from samvirke.baseline.models import (
    Answer,
    AnswerRevision,
    AnswerVia,
    Assessment,
    CampaignState,
)
from samvirke.baseline.queries import previous_campaign
from samvirke.baseline.services import answer_snapshot, is_coordinator, may_answer
from samvirke.baseline.validation import AnswerData, clean_answer
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind
from samvirke.tenancy.models import OrgUnit

if TYPE_CHECKING:
    from samvirke.accounts.models import User


@dataclass(frozen=True)
class _Target:
    """Which answers to copy: every question, one area's, or one question's for one unit."""

    area: Node | None = None
    question: Node | None = None
    org_unit: OrgUnit | None = None


def _questions(assessment: Assessment, target: _Target) -> dict[str, Node]:
    """Question key → this year's question, within the area or the one question asked for."""
    if target.question is not None:
        return {target.question.key: target.question}
    nodes = list(
        Node.objects.filter(version=assessment.campaign.framework_version_id).order_by("position")
    )
    under: set[int] | None = None if target.area is None else {target.area.pk}
    found: dict[str, Node] = {}
    for node in nodes:  # positions are depth-first: a parent comes before its children
        if under is not None:
            if node.parent_id not in under:
                continue
            under.add(node.pk)
        if node.kind == NodeKind.QUESTION:
            found[node.key] = node
    return found


def _last_years_answers(
    assessment: Assessment, questions: dict[str, Node], target: _Target
) -> list[Answer]:
    earlier = previous_campaign(assessment.campaign)
    if earlier is None:
        return []
    answers = Answer.objects.filter(
        organisation=assessment.organisation_id,
        assessment__campaign=earlier,
        question__key__in=list(questions),
        draft=False,
    ).select_related("question", "org_unit")
    if target.question is not None:
        answers = answers.filter(org_unit=target.org_unit)
    return [a for a in answers.order_by("question__position", "org_unit_id") if a.is_answered]


def _copyable(answer: Answer, question: Node) -> AnswerData | None:
    """Last year's answer as valid for this year's question, or None if it no longer fits."""
    per_unit = question.answer_level == AnswerLevel.UNIT
    if per_unit != (answer.org_unit_id is not None):
        return None
    data = AnswerData(
        value=answer.value,
        not_applicable=answer.not_applicable,
        not_applicable_reason=answer.not_applicable_reason,
        dont_know=answer.dont_know,
        unsure=answer.unsure,
        comment=answer.comment,
    )
    try:
        return clean_answer(question, data)
    except ValidationError:
        return None


def _copy_one(actor: User, assessment: Assessment, question: Node, old: Answer) -> Answer | None:
    data = _copyable(old, question)
    if data is None:
        return None
    answer = Answer.objects.create(
        organisation=assessment.organisation,
        assessment=assessment,
        question=question,
        org_unit=old.org_unit,
        version=1,
        draft=True,
        updated_by=actor,
        via=AnswerVia.COPY,
        **data,
    )
    AnswerRevision.objects.create(
        organisation=assessment.organisation,
        answer=answer,
        version=1,
        data=answer_snapshot(answer),
        by=actor,
        at=timezone.now(),
        via=AnswerVia.COPY,
    )
    return answer


def _locked_open(assessment: Assessment) -> Assessment:
    current = (
        Assessment.objects.select_for_update()
        .select_related("campaign", "organisation")
        .get(pk=assessment.pk, organisation=assessment.organisation_id)
    )
    if current.is_locked or current.campaign.state != CampaignState.OPEN:
        raise ValidationError(_("The assessment is locked: it has been submitted or closed."))
    return current


@transaction.atomic
def answers_copy_forward(
    *,
    actor: User,
    assessment: Assessment,
    area: Node | None = None,
    question: Node | None = None,
    org_unit: OrgUnit | None = None,
) -> int:
    """Copy last year's answers into empty answers as drafts; returns how many were copied.

    With `question`, only that question's answer for `org_unit` (None: the organisation's).
    """
    current = _locked_open(assessment)
    target = _Target(area=area, question=question, org_unit=org_unit)
    questions = _questions(current, target)
    existing = set(
        Answer.objects.filter(organisation=current.organisation_id, assessment=current).values_list(
            "question_id", "org_unit_id"
        )
    )
    coordinator = is_coordinator(actor, current.organisation_id)
    copied: list[Answer] = []
    for old in _last_years_answers(current, questions, target):
        new_question = questions[old.question.key]
        if (new_question.pk, old.org_unit_id) in existing:
            continue
        if not coordinator and not may_answer(actor, current, new_question, old.org_unit):
            continue
        answer = _copy_one(actor, current, new_question, old)
        if answer is not None:
            copied.append(answer)
            existing.add((new_question.pk, old.org_unit_id))
    if copied:
        audit_log(
            actor=actor,
            organisation=current.organisation,
            action="baseline.answer.copied_forward",
            obj=current,
            changes={
                "copied": len(copied),
                "area": area.pk if area else None,
                "question": question.pk if question else None,
                "answers": [a.pk for a in copied],
            },
        )
    return len(copied)
