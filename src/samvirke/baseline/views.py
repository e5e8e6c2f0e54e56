"""Pages for campaigns (network coordinators) and assessments (the organisation's people)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from samvirke.baseline.access import (
    access_assessment,
    access_campaign,
    access_node,
    access_question,
    managed_campaigns,
    own_assessments,
    stewarded_networks,
)
from samvirke.baseline.forms import AnswerForm, CampaignForm, DeadlineForm, answer_initial
from samvirke.baseline.models import Answer, AnswerVia, Assessment
from samvirke.baseline.queries import (
    area_questions,
    assessment_progress,
    previous_answer,
    stored_answer,
)
from samvirke.baseline.services import (
    StaleAnswer,
    answer_save,
    assessment_reopen,
    assessment_submit,
    campaign_close,
    campaign_create,
    campaign_extend_deadline,
    campaign_open,
    may_answer,
)
from samvirke.core.access import parse_id
from samvirke.core.permissions import permission_required
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind, localized
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy.roles import Perm


def _status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- campaigns -------------------------------------------------------------------------------


@permission_required(Perm.CAMPAIGN_MANAGE)
def campaign_list(request: OrgRequest) -> HttpResponse:
    """Campaigns of the networks the organisation stewards."""
    campaigns = managed_campaigns(request).annotate(participant_count=Count("participants"))
    return render(request, "baseline/campaign_list.html", {"campaigns": campaigns})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.CAMPAIGN_MANAGE)
def campaign_create_view(request: OrgRequest) -> HttpResponse:
    """Create a draft campaign for one of the stewarded networks."""
    form = CampaignForm(request.POST or None, networks=stewarded_networks(request))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The campaign was created as a draft."))
            return redirect("baseline:campaign_detail", campaign_id=campaign.pk)
    return render(request, "baseline/campaign_form.html", {"form": form}, status=_status(form))


@permission_required(Perm.CAMPAIGN_MANAGE)
def campaign_detail(request: OrgRequest, campaign_id: int) -> HttpResponse:
    """A campaign with its state, participants and the coordinator's actions."""
    campaign = access_campaign(request, campaign_id)
    return _campaign_page(request, campaign, DeadlineForm(), "")


def _campaign_page(
    request: OrgRequest, campaign: Any, deadline_form: DeadlineForm, error: str, status: int = 200
) -> HttpResponse:
    participants = campaign.participants.select_related("organisation").order_by(
        "organisation__name"
    )
    context = {
        "campaign": campaign,
        "participants": participants,
        "deadline_form": deadline_form,
        "error": error,
    }
    return render(request, "baseline/campaign_detail.html", context, status=status)


def _campaign_action(request: OrgRequest, campaign_id: int, action: Any, done: str) -> HttpResponse:
    campaign = access_campaign(request, campaign_id)
    try:
        action(actor=request.user, campaign=campaign)
    except ValidationError as error:
        return _campaign_page(request, campaign, DeadlineForm(), " ".join(error.messages), 400)
    messages.success(request, done)
    return redirect("baseline:campaign_detail", campaign_id=campaign.pk)


@require_POST
@permission_required(Perm.CAMPAIGN_MANAGE)
def campaign_open_view(request: OrgRequest, campaign_id: int) -> HttpResponse:
    """Open a draft campaign: every participant gets its assessment."""
    return _campaign_action(request, campaign_id, campaign_open, _("The campaign is open."))


@require_POST
@permission_required(Perm.CAMPAIGN_MANAGE)
def campaign_close_view(request: OrgRequest, campaign_id: int) -> HttpResponse:
    """Close an open campaign."""
    return _campaign_action(request, campaign_id, campaign_close, _("The campaign is closed."))


@require_POST
@permission_required(Perm.CAMPAIGN_MANAGE)
def campaign_deadline_view(request: OrgRequest, campaign_id: int) -> HttpResponse:
    """Extend the deadline."""
    campaign = access_campaign(request, campaign_id)
    form = DeadlineForm(request.POST)
    if form.is_valid():
        try:
            campaign_extend_deadline(
                actor=request.user, campaign=campaign, deadline=form.cleaned_data["deadline"]
            )
        except ValidationError as error:
            return _campaign_page(request, campaign, form, " ".join(error.messages), 400)
        messages.success(request, _("The deadline was extended."))
        return redirect("baseline:campaign_detail", campaign_id=campaign.pk)
    return _campaign_page(request, campaign, form, "", 400)


# --- assessments -----------------------------------------------------------------------------


@permission_required(Perm.ASSESSMENT_VIEW)
def assessment_list(request: OrgRequest) -> HttpResponse:
    """The organisation's assessments, newest campaign first."""
    assessments = own_assessments(request).order_by("-campaign__year", "campaign__network__name")
    return render(request, "baseline/assessment_list.html", {"assessments": assessments})


@permission_required(Perm.ASSESSMENT_VIEW)
def assessment_detail(request: OrgRequest, assessment_id: int) -> HttpResponse:
    """An assessment's areas with progress, in a constant number of queries."""
    return _assessment_page(request, access_assessment(request, assessment_id), "", 200)


def _assessment_page(
    request: OrgRequest, assessment: Assessment, error: str, status: int
) -> HttpResponse:
    areas = assessment_progress(assessment)
    context = {
        "assessment": assessment,
        "areas": areas,
        "total_questions": sum(a.questions for a in areas),
        "total_answered": sum(a.answered for a in areas),
        "error": error,
    }
    return render(request, "baseline/assessment_detail.html", context, status=status)


@permission_required(Perm.ASSESSMENT_VIEW)
def area_detail(request: OrgRequest, assessment_id: int, area_id: int) -> HttpResponse:
    """The questions of one area with their answers."""
    assessment = access_assessment(request, assessment_id)
    area = access_node(assessment, area_id, NodeKind.AREA)
    context = {
        "assessment": assessment,
        "area": area,
        "area_title": localized(area.title),
        "rows": area_questions(assessment, area),
    }
    return render(request, "baseline/area_detail.html", context)


def _assessment_action(
    request: OrgRequest, assessment_id: int, action: Any, **kwargs: Any
) -> HttpResponse:
    assessment = access_assessment(request, assessment_id, permission=Perm.ASSESSMENT_SUBMIT)
    try:
        action(actor=request.user, assessment=assessment, **kwargs)
    except ValidationError as error:
        return _assessment_page(request, assessment, " ".join(error.messages), 400)
    messages.success(request, _("The assessment was saved."))
    return redirect("baseline:assessment_detail", assessment_id=assessment.pk)


@require_POST
@permission_required(Perm.ASSESSMENT_SUBMIT)
def assessment_submit_view(request: OrgRequest, assessment_id: int) -> HttpResponse:
    """Submit the assessment; it is then locked."""
    return _assessment_action(request, assessment_id, assessment_submit)


@require_POST
@permission_required(Perm.ASSESSMENT_SUBMIT)
def assessment_reopen_view(request: OrgRequest, assessment_id: int) -> HttpResponse:
    """Reopen a submitted assessment, with a reason."""
    reason = request.POST.get("reason", "")[:2000]
    return _assessment_action(request, assessment_id, assessment_reopen, reason=reason)


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
