"""Question scores (0 to 100) and the roll-up of per-unit answers (rules in docs/scoring.md).

Pure functions over already loaded rows: no queries here, so pages, exports and releases that
score thousands of answers do it in memory after a constant number of reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from samvirke.baseline.models import Answer
from samvirke.baseline.validation import maturity_range
from samvirke.frameworks.models import AnswerLevel, Node, QuestionType

#: Version of the rules in docs/scoring.md; stored with anything computed from them.
SCORING_VERSION = "2026.1"

YES_PARTLY_NO_SCORES = {"yes": 100.0, "partly": 50.0, "no": 0.0}


def is_scored(question: Node) -> bool:
    """Whether the question's answers have a score (maturity, yes/partly/no, scored choices)."""
    if question.question_type in {QuestionType.MATURITY, QuestionType.YES_PARTLY_NO}:
        return True
    if question.question_type == QuestionType.SINGLE_CHOICE:
        return all("score" in option for option in question.options or []) and bool(
            question.options
        )
    return False


def value_score(question: Node, value: Any) -> float | None:
    """The 0 to 100 score of an answer's value, or None when the value has no score.

    Only values that validation accepts (baseline.validation) score: one written around it (a
    level out of range, 3.0 for 3, a number for an option id) scores nothing, here and in the
    database's stamps alike (benchmarking.scores.Structure.score_table).
    """
    if value is None or isinstance(value, bool):
        return None
    if question.question_type == QuestionType.MATURITY:
        low, high = maturity_range(question)
        if high <= low or not isinstance(value, int) or not low <= value <= high:
            return None
        return 100.0 * (value - low) / (high - low)
    if not isinstance(value, str):
        return None
    if question.question_type == QuestionType.YES_PARTLY_NO:
        return YES_PARTLY_NO_SCORES.get(value)
    if question.question_type == QuestionType.SINGLE_CHOICE and is_scored(question):
        scores = {str(o["id"]): float(o["score"]) for o in question.options}
        return scores.get(value)
    return None


@dataclass(frozen=True)
class QuestionScore:
    """A question's score for the organisation: a number, or why there is none.

    `not_applicable` questions drop out of area and total scores (their weight is not counted);
    unanswered ones too; "don't know" scores 0 (nobody knowing is itself a finding).
    """

    score: float | None
    not_applicable: bool = False
    answered: bool = True
    units: int = 0  # per-unit questions: how many units' answers the score rolls up
    lowest: float | None = None  # per-unit questions: the weakest unit's score


UNANSWERED = QuestionScore(score=None, answered=False)
NOT_APPLICABLE = QuestionScore(score=None, not_applicable=True)


def answer_score(question: Node, answer: Answer | None) -> QuestionScore:
    """The score of one answer (the organisation's, or one unit's)."""
    if answer is None or not answer.is_answered:
        return UNANSWERED
    if answer.not_applicable:
        return NOT_APPLICABLE
    if answer.dont_know:
        return QuestionScore(score=0.0 if is_scored(question) else None)
    return QuestionScore(score=value_score(question, answer.value))


def rollup(question: Node, unit_answers: Iterable[Answer]) -> QuestionScore:
    """The organisation's score of a per-unit question: the mean over the units that answered.

    Each unit counts once, whatever its size. Units that answered "not applicable" drop out;
    if every answering unit said so, the question is not applicable for the organisation.
    Drafts and empty answers do not count. The weakest unit's score is kept beside the mean,
    because one weak department is a finding the mean hides.
    """
    scores = [answer_score(question, answer) for answer in unit_answers]
    answered = [s for s in scores if s.answered]
    if not answered:
        return UNANSWERED
    counted = [s.score for s in answered if not s.not_applicable and s.score is not None]
    if not counted:
        if all(s.not_applicable for s in answered):
            return QuestionScore(score=None, not_applicable=True, units=len(answered))
        return QuestionScore(score=None, units=len(answered))
    return QuestionScore(score=sum(counted) / len(counted), units=len(counted), lowest=min(counted))


def question_score(question: Node, answers: Iterable[Answer]) -> QuestionScore:
    """The organisation's score of a question from its answers (one, or one per unit)."""
    if question.answer_level == AnswerLevel.UNIT:
        return rollup(question, [a for a in answers if a.org_unit_id is not None])
    own = [a for a in answers if a.org_unit_id is None]
    return answer_score(question, own[0] if own else None)


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """sum(weight * score) / sum(weight) over (score, weight) pairs; None when there are none."""
    total = weights = 0.0
    for score, weight in pairs:
        total += score * weight
        weights += weight
    return total / weights if weights else None


@dataclass(frozen=True)
class Scores:
    """An organisation's scores of one assessment: total, per area, per question."""

    total: float | None
    areas: dict[int, float | None]
    questions: dict[int, QuestionScore]


def assessment_scores(
    areas: Iterable[Node], questions: Iterable[tuple[Node, Node, Iterable[Answer]]]
) -> Scores:
    """Scores from (question, its area, its answers) triples, by the rules of docs/scoring.md."""
    per_question: dict[int, QuestionScore] = {}
    pairs: dict[int, list[tuple[float, float]]] = {}
    for question, area, answers in questions:
        result = question_score(question, answers)
        per_question[question.pk] = result
        if result.score is not None and not result.not_applicable:
            pairs.setdefault(area.pk, []).append((result.score, question.weight))
    area_list = list(areas)
    area_scores = {area.pk: weighted_mean(pairs.get(area.pk, [])) for area in area_list}
    total = weighted_mean(
        (score, area.weight) for area in area_list if (score := area_scores[area.pk]) is not None
    )
    return Scores(total=total, areas=area_scores, questions=per_question)
