"""Evidence pages: add a file or a link to an answer, remove one (confirmed), download a file.

Files are streamed back through the storage API as attachments, only to people who may see the
assessment; a respondent only for the questions delegated to them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from samvirke.baseline.access import access_assessment, access_question
from samvirke.baseline.answer_views import (
    is_writable,
    page_context,
    question_url,
    unit_from,
)
from samvirke.baseline.evidence import evidence_add_file, evidence_add_link, evidence_remove
from samvirke.baseline.forms import AnswerForm, EvidenceFileForm, EvidenceLinkForm, answer_initial
from samvirke.baseline.models import Assessment, Evidence
from samvirke.baseline.queries import stored_answer
from samvirke.baseline.services import may_answer
from samvirke.core.access import access_in
from samvirke.core.permissions import permission_required
from samvirke.frameworks.models import AnswerLevel, Node
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy.roles import Perm


def _target(
    request: OrgRequest, assessment_id: int, question_id: int
) -> tuple[Assessment, Node, OrgUnit | None]:
    """The assessment, question and unit an evidence post is for; 403 unless it may be answered."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
    question = access_question(assessment, question_id)
    unit = unit_from(request.POST.get("org_unit"), assessment, question)
    if not may_answer(request.user, assessment, question, unit):
        raise PermissionDenied
    return assessment, question, unit


def _refused_page(
    request: OrgRequest,
    assessment: Assessment,
    question: Node,
    unit: OrgUnit | None,
    forms: dict[str, Form],
) -> HttpResponse:
    """The answer page again, with the refused evidence form and its errors (400)."""
    form = AnswerForm(
        initial=answer_initial(stored_answer(assessment, question, unit), unit),
        question=question,
        organisation=assessment.organisation,
    )
    context = page_context(request, assessment, question, unit, form) | forms
    return render(request, "baseline/answer.html", context, status=400)


def _add(
    request: OrgRequest, assessment_id: int, question_id: int, form: Form, name: str, add: Any
) -> HttpResponse:
    assessment, question, unit = _target(request, assessment_id, question_id)
    if question.answer_level == AnswerLevel.UNIT and unit is None:
        form.add_error(None, _("Choose the org unit the evidence is for."))
    elif form.is_valid():
        try:
            add(actor=request.user, assessment=assessment, question=question, org_unit=unit)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The evidence was added."))
            return redirect(question_url(assessment, question, unit))
    return _refused_page(request, assessment, question, unit, {name: form})


@require_POST
@permission_required(Perm.ANSWER)
def evidence_file_add(request: OrgRequest, assessment_id: int, question_id: int) -> HttpResponse:
    """Upload a file as evidence of an answer."""
    form = EvidenceFileForm(request.POST, request.FILES)

    def add(**target: Any) -> Evidence:
        return evidence_add_file(upload=form.cleaned_data["file"], **target)

    return _add(request, assessment_id, question_id, form, "file_form", add)


@require_POST
@permission_required(Perm.ANSWER)
def evidence_link_add(request: OrgRequest, assessment_id: int, question_id: int) -> HttpResponse:
    """Add a link (http or https) as evidence of an answer."""
    form = EvidenceLinkForm(request.POST)

    def add(**target: Any) -> Evidence:
        data = form.cleaned_data
        return evidence_add_link(url=data["url"], name=data.get("name") or "", **target)

    return _add(request, assessment_id, question_id, form, "link_form", add)


def _evidence(request: OrgRequest, assessment: Assessment, evidence_id: int) -> Evidence:
    """The assessment's evidence, for someone who may see its question (404 for any other)."""
    evidence = access_in(
        Evidence.objects.filter(
            organisation=assessment.organisation_id, assessment=assessment
        ).select_related("question", "org_unit"),
        evidence_id,
    )
    if Perm.ASSESSMENT_VIEW not in request.permissions and not may_answer(
        request.user, assessment, evidence.question, evidence.org_unit
    ):
        raise PermissionDenied
    return evidence


@require_GET
@permission_required(None)
def evidence_download(
    request: OrgRequest, assessment_id: int, evidence_id: int
) -> HttpResponseBase:
    """Stream an evidence file as an attachment under its given name (viewers and answerers)."""
    if Perm.ASSESSMENT_VIEW in request.permissions:
        assessment = access_assessment(request, assessment_id)
    elif Perm.ANSWER in request.permissions:
        assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
    else:
        raise Http404
    evidence = _evidence(request, assessment, evidence_id)
    if not evidence.file:
        raise Http404
    try:
        stream = evidence.file.storage.open(evidence.file.name, "rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=evidence.name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ANSWER)
def evidence_remove_view(request: OrgRequest, assessment_id: int, evidence_id: int) -> HttpResponse:
    """Ask, then remove a file or link from an answer."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
    evidence = access_in(
        Evidence.objects.filter(
            organisation=assessment.organisation_id, assessment=assessment
        ).select_related("question", "org_unit"),
        evidence_id,
    )
    if not may_answer(request.user, assessment, evidence.question, evidence.org_unit):
        raise PermissionDenied
    back = question_url(assessment, evidence.question, evidence.org_unit)
    if request.method != "POST":
        context = {"assessment": assessment, "evidence": evidence, "back": back}
        context["writable"] = is_writable(assessment)
        return render(request, "baseline/evidence_remove.html", context)
    try:
        evidence_remove(actor=request.user, evidence=evidence)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The evidence was removed."))
    return redirect(back)
