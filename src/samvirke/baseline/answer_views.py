"""The answer page: one question, its answer (per unit where asked), last year's beside it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from samvirke.baseline.access import access_assessment, access_question
from samvirke.baseline.forms import AnswerForm, answer_initial
from samvirke.baseline.models import Answer, AnswerVia, Assessment
from samvirke.baseline.queries import previous_answer, stored_answer
from samvirke.baseline.services import StaleAnswer, answer_save, may_answer
from samvirke.core.access import parse_id
from samvirke.core.permissions import permission_required
from samvirke.frameworks.models import AnswerLevel, Node, localized
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy.roles import Perm

# --- answers ---------------------------------------------------------------------------------


def _chosen_unit(request: OrgRequest, assessment: Assessment, question: Node) -> OrgUnit | None:
    """The unit a per-unit answer is shown for, from the query string (own units only)."""
    raw = request.GET.get("org_unit")
    if question.answer_level != AnswerLevel.UNIT or not raw:
        return None
    units = OrgUnit.objects.filter(organisation=assessment.organisation_id)
    return units.filter(pk=parse_id(raw)).first()


def _answer_context(
    assessment: Assessment, question: Node, unit: OrgUnit | None, form: AnswerForm
) -> dict[str, Any]:
    return {
        "assessment": assessment,
        "question": question,
        "question_title": localized(question.title),
        "question_help": localized(question.help),
        "org_unit": unit,
        "form": form,
        "stored": stored_answer(assessment, question, unit),
        "previous": previous_answer(assessment, question, unit),
    }


def _answer_page(request: OrgRequest, context: dict[str, Any], status: int) -> HttpResponse:
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    template = "baseline/partials/answer_form.html" if htmx else "baseline/answer.html"
    return render(request, template, context, status=status)


def _require_may_answer(
    request: OrgRequest, assessment: Assessment, question: Node, unit: OrgUnit | None
) -> None:
    """Refuse (403) before anything of the question, its answers or last year's is shown."""
    if not may_answer(request.user, assessment, question, unit):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ANSWER)
def answer_view(request: OrgRequest, assessment_id: int, question_id: int) -> HttpResponse:
    """Answer one question; an HTMX post gets the form back; a stale save gets both answers.

    Every path checks delegation before it renders: a valid post in the service (which audits
    the refusal), the others here.
    """
    assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
    question = access_question(assessment, question_id)
    organisation = active_organisation(request)
    if request.method != "POST":
        unit = _chosen_unit(request, assessment, question)
        _require_may_answer(request, assessment, question, unit)
        initial = answer_initial(stored_answer(assessment, question, unit))
        form = AnswerForm(initial=initial, question=question, organisation=organisation)
        return _answer_page(request, _answer_context(assessment, question, unit, form), 200)
    form = AnswerForm(request.POST, question=question, organisation=organisation)
    if not form.is_valid():
        unit = form.cleaned_data.get("org_unit")
        _require_may_answer(request, assessment, question, unit)
        return _answer_page(request, _answer_context(assessment, question, unit, form), 400)
    return _save_answer(request, assessment, question, form)


def _save_answer(
    request: OrgRequest, assessment: Assessment, question: Node, form: AnswerForm
) -> HttpResponse:
    unit = form.cleaned_data.get("org_unit")
    via = AnswerVia.API if request.api_token else AnswerVia.PAGE
    try:
        answer = answer_save(
            actor=request.user,
            assessment=assessment,
            question=question,
            org_unit=unit,
            data=form.answer_data(),
            base_version=form.cleaned_data["base_version"],
            via=via,
        )
    except StaleAnswer as stale:
        return _stale_page(request, assessment, question, form, stale.stored)
    except ValidationError as error:
        # The service checks the assessment's state before delegation: check it here too.
        _require_may_answer(request, assessment, question, unit)
        form.add_error(None, error)
        return _answer_page(request, _answer_context(assessment, question, unit, form), 400)
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, _("The answer was saved."))
        return redirect(f"{request.path}?org_unit={unit.pk}" if unit else request.path)
    saved = AnswerForm(
        initial=answer_initial(answer), question=question, organisation=answer.organisation
    )
    context = _answer_context(assessment, question, unit, saved)
    context["saved"] = True
    return _answer_page(request, context, 200)


def _stale_page(
    request: OrgRequest, assessment: Assessment, question: Node, form: AnswerForm, stored: Answer
) -> HttpResponse:
    """Someone saved first: show their answer beside this one, ready to save over it on purpose."""
    data = request.POST.copy()
    data["base_version"] = str(stored.version)
    rebased = AnswerForm(data, question=question, organisation=stored.organisation)
    rebased.is_valid()
    context = _answer_context(assessment, question, stored.org_unit, rebased)
    context.update({"conflict": True, "mine": form.answer_data(), "stored": stored})
    return _answer_page(request, context, 409)
