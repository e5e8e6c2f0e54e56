"""Checking an answer's content against its question: type, scale, options, not applicable."""

from __future__ import annotations

import math
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from samvirke.frameworks.models import Node, QuestionType

YES_PARTLY_NO = ("yes", "partly", "no")
MAX_TEXT = 5000


class AnswerData(TypedDict, total=False):
    """What a respondent sends for one answer."""

    value: Any
    not_applicable: bool
    not_applicable_reason: str
    dont_know: bool
    unsure: bool
    comment: str


def maturity_range(question: Node) -> tuple[int, int]:
    """The lowest and highest level of a maturity question (0 to 5 unless the scale says else)."""
    scale = question.version.scale or {}
    levels = [int(key) for key in question.level_texts() if str(key).lstrip("-").isdigit()]
    low = int(scale.get("min", min(levels, default=0)))
    high = int(scale.get("max", max(levels, default=5)))
    return low, high


def option_ids(question: Node) -> list[str]:
    """The ids of a choice question's options, in order."""
    return [str(option["id"]) for option in question.options or [] if "id" in option]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_maturity(question: Node, value: Any) -> Any:
    low, high = maturity_range(question)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationError(
            _("Choose a level from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return value


def _check_yes_partly_no(question: Node, value: Any) -> Any:
    if value not in YES_PARTLY_NO:
        raise ValidationError(_("Answer yes, partly or no."))
    return value


def _check_number(question: Node, value: Any) -> Any:
    if not _is_number(value):
        raise ValidationError(_("Enter a number."))
    if question.number_min is not None and value < question.number_min:
        raise ValidationError(_("Enter %(min)s or more.") % {"min": question.number_min})
    if question.number_max is not None and value > question.number_max:
        raise ValidationError(_("Enter %(max)s or less.") % {"max": question.number_max})
    return value


def _check_single_choice(question: Node, value: Any) -> Any:
    if not isinstance(value, str) or value not in option_ids(question):
        raise ValidationError(_("Choose one of the options."))
    return value


def _check_multiple_choice(question: Node, value: Any) -> Any:
    allowed = option_ids(question)
    if (
        not isinstance(value, list)
        or not value
        or len(set(value)) != len(value)
        or any(not isinstance(item, str) or item not in allowed for item in value)
    ):
        raise ValidationError(_("Choose one or more of the options."))
    return [item for item in allowed if item in value]


def _check_text(question: Node, value: Any) -> Any:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ValidationError(
            _("Write an answer of at most %(count)s characters.") % {"count": MAX_TEXT}
        )
    return value.strip()


CHECKS = {
    QuestionType.MATURITY: _check_maturity,
    QuestionType.YES_PARTLY_NO: _check_yes_partly_no,
    QuestionType.NUMBER: _check_number,
    QuestionType.SINGLE_CHOICE: _check_single_choice,
    QuestionType.MULTIPLE_CHOICE: _check_multiple_choice,
    QuestionType.TEXT: _check_text,
}


def _text(data: AnswerData, key: str) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValidationError(
            _("Write at most %(count)s characters.") % {"count": MAX_TEXT}, code=key
        )
    return value.strip()


def clean_answer(question: Node, data: AnswerData) -> AnswerData:
    """The answer as it will be stored, or a ValidationError saying what is wrong with it."""
    not_applicable = bool(data.get("not_applicable"))
    dont_know = bool(data.get("dont_know"))
    reason = _text(data, "not_applicable_reason")
    value = data.get("value")
    if not_applicable and dont_know:
        raise ValidationError(_("An answer cannot be both “not applicable” and “don't know”."))
    if not_applicable and not question.allows_not_applicable:
        raise ValidationError(_("This question cannot be answered “not applicable”."))
    if not_applicable and not reason:
        raise ValidationError(_("Give a reason why the question does not apply."))
    if (not_applicable or dont_know) and value is not None:
        raise ValidationError(
            _("Leave the answer empty when it is “not applicable” or “don't know”.")
        )
    check = CHECKS.get(question.question_type)  # type: ignore[call-overload]
    if check is None:
        raise ValidationError(_("This is not a question that can be answered."))
    if value is not None:
        value = check(question, value)
    return AnswerData(
        value=value,
        not_applicable=not_applicable,
        not_applicable_reason=reason if not_applicable else "",
        dont_know=dont_know,
        unsure=bool(data.get("unsure")),
        comment=_text(data, "comment"),
    )
