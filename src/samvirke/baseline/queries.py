"""Reads for the assessment pages, each in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from samvirke.baseline.models import Answer, Assessment, Campaign, CampaignState
from samvirke.frameworks.models import Node, NodeKind, localized
from samvirke.tenancy.models import OrgUnit


def answered_question_ids(assessment: Assessment) -> set[int]:
    """Questions with at least one answer that says something."""
    answers = Answer.objects.filter(organisation=assessment.organisation_id, assessment=assessment)
    rows = answers.filter(draft=False).values_list(
        "question_id", "value", "not_applicable", "dont_know"
    )
    return {q for q, value, na, dont_know in rows if value is not None or na or dont_know}


@dataclass
class QuestionRow:
    """A question with the answers given to it (one, or one per org unit)."""

    question: Node
    answers: list[Answer] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The question's text in the user's language."""
        return localized(self.question.title)


def area_questions(assessment: Assessment, area: Node) -> list[QuestionRow]:
    """The questions under an area with their answers, in three queries."""
    nodes = list(Node.objects.filter(version=area.version_id).order_by("position"))
    under: set[int] = {area.pk}
    questions: list[Node] = []
    for node in nodes:  # positions are depth-first, so a parent comes before its children
        if node.parent_id in under:
            under.add(node.pk)
            if node.kind == NodeKind.QUESTION:
                questions.append(node)
    rows = {q.pk: QuestionRow(q) for q in questions}
    answers = Answer.objects.filter(
        organisation=assessment.organisation_id, assessment=assessment, question__in=list(rows)
    ).select_related("org_unit")
    for answer in answers.order_by("org_unit__name"):
        rows[answer.question_id].answers.append(answer)
    return list(rows.values())


def previous_campaign(campaign: Campaign) -> Campaign | None:
    """The network's latest earlier campaign that has closed, if any."""
    return (
        Campaign.objects.filter(network=campaign.network_id, year__lt=campaign.year)
        .exclude(state=CampaignState.DRAFT)
        .order_by("-year")
        .first()
    )


def previous_answer(
    assessment: Assessment, question: Node, org_unit: OrgUnit | None
) -> Answer | None:
    """Last year's answer to the same question (matched by its key) for the same unit."""
    earlier = previous_campaign(assessment.campaign)
    if earlier is None:
        return None
    return (
        Answer.objects.filter(
            organisation=assessment.organisation_id,
            assessment__campaign=earlier,
            question__key=question.key,
            org_unit=org_unit,
        )
        .select_related("question")
        .first()
    )


def stored_answer(
    assessment: Assessment, question: Node, org_unit: OrgUnit | None
) -> Answer | None:
    """The current answer to a question for the organisation or one unit."""
    return Answer.objects.filter(
        organisation=assessment.organisation_id,
        assessment=assessment,
        question=question,
        org_unit=org_unit,
    ).first()
