"""Where an assessment stands: each question's status, and progress per area, unit and person.

Everything is computed in memory from four reads (the version's nodes, the assessment's
delegations, its answers, the organisation's current memberships), so the pages and the API
that show it take the same number of queries for 30 questions or 300.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from samvirke.baseline.models import Answer, Assessment, Delegation
from samvirke.baseline.scoring import Scores, assessment_scores
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind, localized
from samvirke.tenancy.models import Membership, OrgUnit

if TYPE_CHECKING:
    from samvirke.accounts.models import User

#: An expected answer: (question id, org unit id or None for the organisation's own answer).
Target = tuple[int, int | None]


@dataclass
class Tally:
    """How many of some questions have their answer."""

    total: int = 0
    answered: int = 0

    @property
    def percent(self) -> int:
        """Answered share in whole percent, rounded down."""
        return 100 * self.answered // self.total if self.total else 0

    @property
    def missing(self) -> int:
        """How many are still unanswered."""
        return self.total - self.answered


@dataclass
class QuestionStatus:
    """One question of an assessment with its delegations and answers."""

    question: Node
    area: Node
    delegations: list[Delegation] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The question's text in the user's language."""
        return localized(self.question.title)

    @property
    def per_unit(self) -> bool:
        """Whether each unit it is sent to answers it."""
        return self.question.answer_level == AnswerLevel.UNIT

    def expected_units(self) -> set[int | None]:
        """The answers this question needs: the organisation's, or each delegated unit's."""
        if not self.per_unit:
            return {None}
        return {d.org_unit_id for d in self.delegations if d.org_unit_id is not None}

    def answer_for(self, unit_id: int | None) -> Answer | None:
        """The answer for the organisation (None) or one unit."""
        return next((a for a in self.answers if a.org_unit_id == unit_id), None)

    @property
    def answered(self) -> bool:
        """Every expected answer given (a per-unit question sent nowhere needs one unit's)."""
        given = {a.org_unit_id for a in self.answers if a.is_answered}
        expected = self.expected_units()
        if self.per_unit and not expected:
            return bool(given)
        return expected <= given

    @property
    def reviewed(self) -> bool:
        """Every given answer reviewed by the coordinator (and at least one given)."""
        given = [a for a in self.answers if a.is_answered]
        return bool(given) and all(a.reviewed_at is not None for a in given)

    @property
    def has_draft(self) -> bool:
        """Some answer is a copied-forward draft still to confirm."""
        return any(a.draft for a in self.answers)

    @property
    def unsure(self) -> bool:
        """Some answer is flagged unsure."""
        return any(a.unsure and a.is_answered for a in self.answers)


@dataclass
class Overview:
    """An assessment's questions with progress per area, org unit and named person."""

    assessment: Assessment
    questions: list[QuestionStatus]
    areas: list[tuple[Node, Tally]]
    units: list[tuple[OrgUnit, Tally]]
    people: list[tuple[Any, Tally]]

    @property
    def total(self) -> Tally:
        """Progress of the whole assessment."""
        return Tally(len(self.questions), sum(q.answered for q in self.questions))

    def scores(self) -> Scores:
        """The organisation's own scores so far (docs/scoring.md)."""
        return assessment_scores(
            [area for area, _tally in self.areas],
            ((q.question, q.area, q.answers) for q in self.questions),
        )

    def unanswered(self) -> list[QuestionStatus]:
        """Questions still missing an answer."""
        return [q for q in self.questions if not q.answered]

    def to_review(self) -> list[QuestionStatus]:
        """Answered questions the coordinator has not yet reviewed."""
        return [q for q in self.questions if q.answered and not q.reviewed]


#: Long texts a progress page never shows; left unread unless `texts=True`.
LONG_TEXTS = ("help", "description", "recommendations")


def version_nodes(assessment: Assessment, *, texts: bool = False) -> list[Node]:
    """The areas, groups and questions of the assessment's framework version, in order.

    Without `texts` the long texts (help, descriptions, recommendations) are not read: decoding
    them is most of the cost of a 300-question page, and only reports and the API show them.
    """
    version = assessment.campaign.framework_version
    nodes = Node.objects.filter(
        version=version, kind__in=[NodeKind.AREA, NodeKind.GROUP, NodeKind.QUESTION]
    )
    if not texts:
        nodes = nodes.defer(*LONG_TEXTS)
    found = list(nodes.order_by("position"))
    for node in found:  # one version object for all, rather than one copy per row
        node.version = version
    return found


def chains(nodes: list[Node]) -> dict[int, list[int]]:
    """Question id → the question and every node above it, nearest first."""
    parent = {n.pk: n.parent_id for n in nodes}
    found: dict[int, list[int]] = {}
    for node in nodes:
        if node.kind != NodeKind.QUESTION:
            continue
        chain: list[int] = []
        current: int | None = node.pk
        while current is not None and current not in chain:
            chain.append(current)
            current = parent.get(current)
        found[node.pk] = chain
    return found


def _statuses(
    nodes: list[Node], delegations: Iterable[Delegation], answers: Iterable[Answer]
) -> list[QuestionStatus]:
    by_id = {n.pk: n for n in nodes}
    covering: dict[int, list[Delegation]] = defaultdict(list)
    for delegation in delegations:
        covering[delegation.node_id].append(delegation)
    given: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        given[answer.question_id].append(answer)
    statuses = []
    for question_id, chain in chains(nodes).items():
        areas = [by_id[n] for n in chain if by_id[n].kind == NodeKind.AREA]
        if not areas:
            continue
        status = QuestionStatus(by_id[question_id], areas[0])
        status.delegations = [d for node_id in chain for d in covering.get(node_id, [])]
        status.answers = given.get(question_id, [])
        statuses.append(status)
    return statuses


def _tally_by(
    statuses: list[QuestionStatus], key_of: Any, units_of_user: dict[int, set[int]]
) -> dict[Any, Tally]:
    """Per delegate (unit or person): the delegated questions and how many have their answer."""
    tallies: dict[Any, Tally] = defaultdict(Tally)
    for status in statuses:
        seen: set[Any] = set()
        for delegation in status.delegations:
            key = key_of(delegation)
            if key is None or key in seen:
                continue
            seen.add(key)
            tallies[key].total += 1
            tallies[key].answered += _delegate_done(status, delegation, units_of_user)
    return tallies


def _delegate_done(
    status: QuestionStatus, delegation: Delegation, units_of_user: dict[int, set[int]]
) -> bool:
    """Whether the delegate's part of a question is answered."""
    if not status.per_unit:
        answer = status.answer_for(None)
        return answer is not None and answer.is_answered
    if delegation.org_unit_id is not None:
        units = {delegation.org_unit_id}
    else:
        units = units_of_user.get(delegation.user_id or 0, set())
    return any(
        (answer := status.answer_for(unit)) is not None and answer.is_answered for unit in units
    )


def assessment_overview(assessment: Assessment, *, texts: bool = False) -> Overview:
    """The assessment's questions and progress, in four queries whatever its size.

    `texts=True` also reads the questions' long texts (for reports and the API).
    """
    organisation = assessment.organisation_id
    nodes = version_nodes(assessment, texts=texts)
    delegations = list(
        Delegation.objects.filter(organisation=organisation, assessment=assessment)
        .select_related("org_unit", "user")
        .order_by("pk")
    )
    answers = Answer.objects.filter(organisation=organisation, assessment=assessment).only(
        "id",
        "question_id",
        "org_unit_id",
        "value",
        "not_applicable",
        "dont_know",
        "unsure",
        "draft",
        "version",
        "reviewed_at",
        "updated_at",
    )
    memberships = Membership.objects.filter(organisation=organisation).current()
    units_of_user: dict[int, set[int]] = defaultdict(set)
    for user_id, unit_id in memberships.values_list("user_id", "org_unit_id"):
        if unit_id is not None:
            units_of_user[user_id].add(unit_id)
    statuses = _statuses(nodes, delegations, answers)

    area_tallies: dict[int, Tally] = {n.pk: Tally() for n in nodes if n.kind == NodeKind.AREA}
    for status in statuses:
        area_tallies[status.area.pk].total += 1
        area_tallies[status.area.pk].answered += status.answered
    units = {d.org_unit_id: d.org_unit for d in delegations if d.org_unit is not None}
    people = {d.user_id: d.user for d in delegations if d.user is not None}
    unit_tallies = _tally_by(statuses, lambda d: d.org_unit_id, units_of_user)
    person_tallies = _tally_by(statuses, lambda d: d.user_id, units_of_user)
    by_id = {n.pk: n for n in nodes}
    return Overview(
        assessment=assessment,
        questions=statuses,
        areas=[(by_id[pk], tally) for pk, tally in area_tallies.items()],
        units=sorted(
            ((units[pk], tally) for pk, tally in unit_tallies.items()),
            key=lambda row: row[0].name,
        ),
        people=sorted(
            ((people[pk], tally) for pk, tally in person_tallies.items()),
            key=lambda row: str(row[0]),
        ),
    )


def delegated_to(overview: Overview, user: User, unit_ids: set[int]) -> list[QuestionStatus]:
    """The questions sent to the user by name or to one of their units."""
    return [
        status
        for status in overview.questions
        if any(
            d.user_id == user.pk or (d.user_id is None and d.org_unit_id in unit_ids)
            for d in status.delegations
        )
    ]
