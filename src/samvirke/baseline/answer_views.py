"""The answer page: one question, its answer (per unit where asked), last year's beside it.

The form autosaves through HTMX: a save answers with a status line and, out of band, the new
version for the form, the history and the notices; a refused or stale save re-renders the whole
form in place. Without JavaScript the same form posts and redirects.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from samvirke.baseline.access import access_assessment, access_node, access_question
from samvirke.baseline.copy_forward import answers_copy_forward
from samvirke.baseline.evidence import max_evidence_bytes
from samvirke.baseline.forms import (
    AnswerForm,
    EvidenceFileForm,
    EvidenceLinkForm,
    UnitChoiceForm,
    answer_initial,
)
from samvirke.baseline.models import (
    Answer,
    AnswerRevision,
    AnswerVia,
    Assessment,
    CampaignState,
    Evidence,
)
from samvirke.baseline.queries import previous_answer, stored_answer
from samvirke.baseline.services import (
    StaleAnswer,
    answer_save,
    answer_snapshot,
    is_coordinator,
    may_answer,
)
from samvirke.baseline.validation import clean_answer
from samvirke.core.access import parse_id
from samvirke.core.permissions import permission_required
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind, localized
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy.roles import Perm

FORM_TEMPLATE = "baseline/partials/answer_form.html"

# --- reading what the page shows --------------------------------------------------------------


def is_writable(assessment: Assessment) -> bool:
    """Whether answers and evidence of the assessment can still change."""
    return not assessment.is_locked and assessment.campaign.state == CampaignState.OPEN


def answerable_units(request: OrgRequest, assessment: Assessment, question: Node) -> list[OrgUnit]:
    """The organisation's units whose answer to a per-unit question the user may give."""
    units = list(OrgUnit.objects.filter(organisation=assessment.organisation_id).order_by("name"))
    if is_coordinator(request.user, assessment.organisation_id):
        return units
    return [u for u in units if may_answer(request.user, assessment, question, u)]


def unit_from(raw: Any, assessment: Assessment, question: Node) -> OrgUnit | None:
    """A unit of the organisation for a per-unit question (404 when it is not one)."""
    if question.answer_level != AnswerLevel.UNIT or not raw:
        return None
    units = OrgUnit.objects.filter(organisation=assessment.organisation_id)
    unit = units.filter(pk=parse_id(raw)).first()
    if unit is None:
        raise Http404
    return unit


def question_url(assessment: Assessment, question: Node, unit: OrgUnit | None) -> str:
    """The answer page of a question (for one unit where it is asked per unit)."""
    url = reverse("baseline:answer", args=[assessment.pk, question.pk])
    return f"{url}?org_unit={unit.pk}" if unit else url


def _revisions(answer: Answer | None) -> QuerySet[AnswerRevision] | list[AnswerRevision]:
    if answer is None:
        return []
    return (
        AnswerRevision.objects.filter(organisation=answer.organisation_id, answer=answer)
        .select_related("by")
        .order_by("-version")
    )


def question_evidence(
    assessment: Assessment, question: Node, unit: OrgUnit | None
) -> QuerySet[Evidence]:
    """The files and links given for a question's answer (the organisation's or one unit's)."""
    return Evidence.objects.filter(
        organisation=assessment.organisation_id,
        assessment=assessment,
        question=question,
        org_unit=unit,
    ).select_related("uploaded_by")


def answer_context(
    assessment: Assessment, question: Node, unit: OrgUnit | None, form: AnswerForm | None
) -> dict[str, Any]:
    """Everything the answer form and its surroundings show."""
    stored = stored_answer(assessment, question, unit)
    previous = previous_answer(assessment, question, unit)
    writable = is_writable(assessment)
    return {
        "assessment": assessment,
        "question": question,
        "question_title": localized(question.title),
        "question_help": localized(question.help),
        "org_unit": unit,
        "form": form,
        "stored": stored,
        "previous": previous,
        "writable": writable,
        "can_copy": writable and stored is None and previous is not None and previous.is_answered,
        "revisions": _revisions(stored),
        "copy_via": AnswerVia.COPY,
    }


def page_context(
    request: OrgRequest,
    assessment: Assessment,
    question: Node,
    unit: OrgUnit | None,
    form: AnswerForm | None,
) -> dict[str, Any]:
    """The whole page: the form's context, the unit choice and the evidence."""
    context = answer_context(assessment, question, unit, form)
    if question.answer_level == AnswerLevel.UNIT:
        units = answerable_units(request, assessment, question)
        initial = {"org_unit": unit.pk if unit else None}
        context["unit_form"] = UnitChoiceForm(initial=initial, units=units)
    context.update(
        {
            "evidence": question_evidence(assessment, question, unit) if form else [],
            "file_form": EvidenceFileForm(),
            "link_form": EvidenceLinkForm(),
            "max_evidence_mb": _max_mb(),
        }
    )
    return context


def _max_mb() -> float:
    return round(max_evidence_bytes() / 1024 / 1024, 1)


# --- responses --------------------------------------------------------------------------------


def _htmx(request: OrgRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _explicit(request: OrgRequest) -> bool:
    """A press of a button (or a post without JavaScript), not an autosave."""
    return "save" in request.POST or "confirm" in request.POST or not _htmx(request)


def _whole_form(
    request: OrgRequest, context: dict[str, Any], status: int, page: dict[str, Any] | None = None
) -> HttpResponse:
    """The form with its notices: in place of the old one (HTMX), or in a whole page."""
    if _htmx(request):
        context["refresh"] = status != 200
        response = render(request, FORM_TEMPLATE, context, status=status)
        response["HX-Retarget"] = f"#answer-{context['question'].pk}"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "baseline/answer.html", {**context, **(page or {})}, status=status)


def _full_page(
    request: OrgRequest,
    assessment: Assessment,
    question: Node,
    unit: OrgUnit | None,
    form: AnswerForm,
    status: int,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = answer_context(assessment, question, unit, form) | (extra or {})
    page = {} if _htmx(request) else page_context(request, assessment, question, unit, form)
    return _whole_form(request, context, status, {**page, **context})


def _require_may_answer(
    request: OrgRequest, assessment: Assessment, question: Node, unit: OrgUnit | None
) -> None:
    """Refuse (403) before anything of the question, its answers or last year's is shown."""
    if not may_answer(request.user, assessment, question, unit):
        raise PermissionDenied


# --- the page ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ANSWER)
def answer_view(request: OrgRequest, assessment_id: int, question_id: int) -> HttpResponse:
    """Answer one question; an HTMX post gets a status line back; a stale save gets both answers.

    Every path checks delegation before it renders: a valid post in the service (which audits
    the refusal), the others here.
    """
    assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
    question = access_question(assessment, question_id)
    if request.method != "POST":
        return _show(request, assessment, question)
    form = AnswerForm(request.POST, question=question, organisation=active_organisation(request))
    if not form.is_valid():
        unit = form.cleaned_data.get("org_unit")
        _require_may_answer(request, assessment, question, unit)
        return _refused(request, assessment, question, unit, form)
    return _save_answer(request, assessment, question, form)


def _show(request: OrgRequest, assessment: Assessment, question: Node) -> HttpResponse:
    unit = unit_from(request.GET.get("org_unit"), assessment, question)
    _require_may_answer(request, assessment, question, unit)
    if question.answer_level == AnswerLevel.UNIT and unit is None:
        units = answerable_units(request, assessment, question)
        if len(units) == 1:  # nothing to choose
            return redirect(question_url(assessment, question, units[0]))
        context = page_context(request, assessment, question, None, None)
        return render(request, "baseline/answer.html", context)
    initial = answer_initial(stored_answer(assessment, question, unit), unit)
    form = AnswerForm(initial=initial, question=question, organisation=active_organisation(request))
    context = page_context(request, assessment, question, unit, form)
    return render(request, "baseline/answer.html", context)


def _refused(
    request: OrgRequest,
    assessment: Assessment,
    question: Node,
    unit: OrgUnit | None,
    form: AnswerForm,
) -> HttpResponse:
    """An invalid answer: a short status for an autosave, the form with its errors otherwise."""
    if not _explicit(request) and "refresh" not in request.POST:
        errors = [str(e) for errors in form.errors.values() for e in errors]
        context = {"question": question, "status": "invalid", "errors": errors}
        return render(request, "baseline/partials/answer_status.html", context, status=400)
    return _full_page(request, assessment, question, unit, form, 400)


def _unchanged(question: Node, stored: Answer, form: AnswerForm) -> bool:
    """Whether a save would store what is stored already (an autosave after a blur, say)."""
    if stored.draft or stored.version != form.cleaned_data["base_version"]:
        return False
    try:
        cleaned = clean_answer(question, form.answer_data())
    except ValidationError:
        return False
    current = answer_snapshot(stored)
    return all(current[name] == value for name, value in cleaned.items())


def _save_answer(
    request: OrgRequest, assessment: Assessment, question: Node, form: AnswerForm
) -> HttpResponse:
    unit = form.cleaned_data.get("org_unit")
    stored = stored_answer(assessment, question, unit)
    if stored is not None and is_writable(assessment) and _unchanged(question, stored, form):
        _require_may_answer(request, assessment, question, unit)
        return _saved(request, assessment, question, stored, "unchanged")
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
        return _refused(request, assessment, question, unit, form)
    return _saved(request, assessment, question, answer, "saved")


def _saved(
    request: OrgRequest, assessment: Assessment, question: Node, answer: Answer, status: str
) -> HttpResponse:
    """After a save: a redirect without JavaScript; the status and new version with HTMX."""
    unit = answer.org_unit
    if not _htmx(request):
        if status == "saved":
            messages.success(request, _("The answer was saved."))
        else:
            messages.info(request, _("Nothing had changed; the answer is as it was."))
        return redirect(question_url(assessment, question, unit))
    form = AnswerForm(
        initial=answer_initial(answer), question=question, organisation=answer.organisation
    )
    context = answer_context(assessment, question, unit, form)
    context.update({"status": status, "status_answer": answer})
    if "refresh" in request.POST:  # the form shows errors or a conflict: replace all of it
        return _whole_form(request, context, 200)
    return render(request, "baseline/partials/answer_saved.html", context)


def _stale_page(
    request: OrgRequest, assessment: Assessment, question: Node, form: AnswerForm, stored: Answer
) -> HttpResponse:
    """Someone saved first: show their answer beside this one, ready to save over it on purpose."""
    data = request.POST.copy()
    data["base_version"] = str(stored.version)
    rebased = AnswerForm(data, question=question, organisation=stored.organisation)
    rebased.is_valid()
    extra = {"conflict": True, "mine": form.answer_data(), "stored": stored, "status": "stale"}
    return _full_page(request, assessment, question, stored.org_unit, rebased, 409, extra)


# --- copying last year's answers forward ------------------------------------------------------


@require_POST
@permission_required(Perm.ANSWER)
def answer_copy_forward_view(
    request: OrgRequest, assessment_id: int, question_id: int
) -> HttpResponse:
    """Use last year's answer to one question (for one unit) as a draft to confirm."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
    question = access_question(assessment, question_id)
    unit = unit_from(request.POST.get("org_unit"), assessment, question)
    if question.answer_level == AnswerLevel.UNIT and unit is None:
        return HttpResponse(_("Choose the org unit this answer is for."), status=400)
    _require_may_answer(request, assessment, question, unit)
    try:
        copied = answers_copy_forward(
            actor=request.user, assessment=assessment, question=question, org_unit=unit
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(question_url(assessment, question, unit))
    if copied:
        messages.success(
            request, _("Last year's answer was copied as a draft. Check it, then confirm it.")
        )
    else:
        messages.info(
            request, _("Nothing was copied: there is an answer already, or none to copy.")
        )
    return redirect(question_url(assessment, question, unit))


@require_POST
@permission_required(Perm.ANSWER)
def area_copy_forward_view(request: OrgRequest, assessment_id: int, area_id: int) -> HttpResponse:
    """Copy last year's answers to an area's unanswered questions (those the user may answer)."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
    area = access_node(assessment, area_id, NodeKind.AREA)
    try:
        copied = answers_copy_forward(actor=request.user, assessment=assessment, area=area)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        copied = -1
    if copied >= 0:
        messages.info(
            request,
            _(
                "%(count)s of last year's answers were copied as drafts. "
                "Check each one, then confirm it."
            )
            % {"count": copied},
        )
    if Perm.ASSESSMENT_VIEW in request.permissions:
        return redirect("baseline:area_detail", assessment.pk, area.pk)
    return redirect("baseline:my_questions")
