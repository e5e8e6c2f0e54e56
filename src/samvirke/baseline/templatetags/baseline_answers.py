"""Showing an answer's content in the user's language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from samvirke.frameworks.models import Node, QuestionType, localized

register = template.Library()


def _option_titles(question: Node) -> dict[str, str]:
    return {str(o["id"]): localized(o.get("title")) for o in question.options or []}


def _value_text(question: Node, value: Any) -> str:
    kind = question.question_type
    if kind == QuestionType.MATURITY:
        return _("Level %(level)s") % {"level": value}
    if kind == QuestionType.YES_PARTLY_NO:
        return {"yes": _("Yes"), "partly": _("Partly"), "no": _("No")}.get(value, str(value))
    if kind in {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}:
        titles = _option_titles(question)
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(titles.get(str(item), str(item)) for item in chosen)
    return str(value)


@register.simple_tag
def answer_text(question: Node, data: Any) -> str:
    """What an answer (a stored Answer or a dict of answer data) says, in words."""
    get = data.get if isinstance(data, dict) else lambda name: getattr(data, name, None)
    if get("not_applicable"):
        return _("Not applicable")
    if get("dont_know"):
        return _("Don't know")
    value = get("value")
    if value is None:
        return _("Not answered")
    return _value_text(question, value)


@register.filter(name="localized")
def localized_filter(texts: Any) -> str:
    """A framework text (a dict by language) in the user's language."""
    return localized(texts)
