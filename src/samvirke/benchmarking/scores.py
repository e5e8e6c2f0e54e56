"""Scoring every counted organisation of a campaign at once, by the rules of docs/scoring.md.

One query reads the answers of all the campaign's counted assessments as plain tuples; the
scores are then computed in memory with lookup tables per question, the same rules as
`baseline.scoring` (which the pages use for one organisation) — a test holds the two equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from samvirke.baseline.scoring import is_scored, value_score, weighted_mean
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind, QuestionType

#: Answer categories besides the question's own options.
NOT_APPLICABLE, DONT_KNOW = "not_applicable", "dont_know"

#: (assessment id, question id, org unit id, value, not applicable, don't know) per answer.
AnswerRow = tuple[int, int, int | None, Any, bool, bool]


@dataclass
class Structure:
    """A framework version's areas and questions, with lookup tables for fast scoring."""

    areas: list[Node]
    area_of: dict[int, int]  # question id → area id
    questions: dict[int, Node]
    scored: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, version_id: int) -> Structure:
        """Read a version's nodes in one query."""
        return cls.of_many([version_id])[version_id]

    @classmethod
    def of_many(cls, version_ids: Iterable[int]) -> dict[int, Structure]:
        """Several versions' structures in one query."""
        wanted = sorted(set(version_ids))
        nodes: dict[int, list[Node]] = defaultdict(list)
        for node in (
            Node.objects.filter(
                version__in=wanted, kind__in=[NodeKind.AREA, NodeKind.GROUP, NodeKind.QUESTION]
            )
            .select_related("version")
            .defer("help", "description", "recommendations")
            .order_by("version", "position")
        ):
            nodes[node.version_id].append(node)
        return {version: cls.from_nodes(nodes.get(version, [])) for version in wanted}

    @classmethod
    def from_nodes(cls, nodes: list[Node]) -> Structure:
        """The structure of one version's nodes, already read in document order."""
        parent = {n.pk: n.parent_id for n in nodes}
        kinds = {n.pk: n.kind for n in nodes}
        area_of: dict[int, int] = {}
        for node in nodes:
            if node.kind != NodeKind.QUESTION:
                continue
            current: int | None = node.pk
            while current is not None and kinds.get(current) != NodeKind.AREA:
                current = parent.get(current)
            if current is not None:
                area_of[node.pk] = current
        questions = {n.pk: n for n in nodes if n.kind == NodeKind.QUESTION and n.pk in area_of}
        return cls(
            areas=[n for n in nodes if n.kind == NodeKind.AREA],
            area_of=area_of,
            questions=questions,
            scored={q for q, node in questions.items() if is_scored(node)},
        )

    def options(self, question: Node) -> list[str]:
        """The answer categories of a question's distribution (empty: no distribution)."""
        if question.answer_level == AnswerLevel.UNIT or question.pk not in self.scored:
            return []
        if question.question_type == QuestionType.MATURITY:
            levels = sorted(int(k) for k in question.level_texts() if str(k).isdigit())
            scale = question.version.scale or {}
            low, high = int(scale.get("min", 0)), int(scale.get("max", 5))
            chosen = [str(level) for level in range(low, high + 1)] or [str(v) for v in levels]
        elif question.question_type == QuestionType.YES_PARTLY_NO:
            chosen = ["yes", "partly", "no"]
        else:
            chosen = [str(option["id"]) for option in question.options]
        extra = [NOT_APPLICABLE] if question.allows_not_applicable else []
        return [*chosen, *extra, DONT_KNOW]


@dataclass
class OrganisationScores:
    """One organisation's total and area scores, and its answer category per question."""

    total: float | None
    areas: dict[int, float]
    categories: dict[int, str]


def _category(value: Any, not_applicable: bool, dont_know: bool) -> str | None:
    if not_applicable:
        return NOT_APPLICABLE
    if dont_know:
        return DONT_KNOW
    return None if value is None else str(value)


def score_assessments(
    structure: Structure, rows: Iterable[AnswerRow]
) -> dict[int, OrganisationScores]:
    """Scores per assessment id from answer tuples (drafts must already be left out)."""
    question_scores: dict[tuple[int, int], float | None] = {}
    unit_scores: dict[tuple[int, int], list[float]] = defaultdict(list)
    unit_na: dict[tuple[int, int], bool] = {}
    categories: dict[int, dict[int, str]] = defaultdict(dict)
    cache: dict[tuple[int, str], float | None] = {}
    questions = structure.questions
    for assessment, question_id, unit, value, not_applicable, dont_know in rows:
        question = questions.get(question_id)
        if question is None:
            continue
        answered = value is not None or not_applicable or dont_know
        if not answered:
            continue
        key = (assessment, question_id)
        scored = question_id in structure.scored
        if unit is None and question.answer_level != AnswerLevel.UNIT:
            category = _category(value, not_applicable, dont_know)
            if category is not None:
                categories[assessment][question_id] = category
        if not scored:
            continue
        if not_applicable:
            score = None
        elif dont_know:
            score = 0.0
        else:
            cache_key = (question_id, repr(value))
            if cache_key not in cache:
                cache[cache_key] = value_score(question, value)
            score = cache[cache_key]
        if question.answer_level == AnswerLevel.UNIT:
            if unit is None:
                continue
            if score is None:
                unit_na.setdefault(key, True)
            else:
                unit_scores[key].append(score)
                unit_na[key] = False
        elif unit is None:
            question_scores[key] = score
    for key, scores in unit_scores.items():
        question_scores[key] = sum(scores) / len(scores)
    for key, all_na in unit_na.items():
        if all_na:
            question_scores.setdefault(key, None)
    by_area: dict[int, dict[int, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (assessment, question_id), score in question_scores.items():
        if score is not None:
            area = structure.area_of[question_id]
            by_area[assessment][area].append((score, questions[question_id].weight))
    weights = {area.pk: area.weight for area in structure.areas}
    result: dict[int, OrganisationScores] = {}
    for assessment in set(by_area) | set(categories):
        areas = {
            area: mean
            for area, pairs in by_area.get(assessment, {}).items()
            if (mean := weighted_mean(pairs)) is not None
        }
        total = weighted_mean((score, weights[area]) for area, score in areas.items())
        result[assessment] = OrganisationScores(total, areas, categories.get(assessment, {}))
    return result
