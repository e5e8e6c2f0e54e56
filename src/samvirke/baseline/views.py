"""Pages for campaigns (network coordinators) and assessments (the organisation's people)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from samvirke.baseline.access import (
    access_assessment,
    access_campaign,
    access_node,
    managed_campaigns,
    own_assessments,
    stewarded_networks,
)
from samvirke.baseline.forms import CampaignForm, DeadlineForm
from samvirke.baseline.models import Assessment, AssessmentState
from samvirke.baseline.progress import assessment_overview
from samvirke.baseline.queries import (
    area_questions,
)
from samvirke.baseline.services import (
    assessment_reopen,
    assessment_submit,
    campaign_close,
    campaign_create,
    campaign_extend_deadline,
    campaign_open,
)
from samvirke.core.permissions import permission_required
from samvirke.frameworks.models import NodeKind, localized
from samvirke.tenancy.http import OrgRequest
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
    participants = list(
        campaign.participants.select_related("organisation").order_by("organisation__name")
    )
    states = Assessment.participation.states_of(campaign)
    for participant in participants:
        participant.assessment = states.get(participant.organisation_id)
    submitted = sum(1 for s in states.values() if s["state"] == AssessmentState.SUBMITTED)
    context = {
        "campaign": campaign,
        "participants": participants,
        "submitted": submitted,
        "state_labels": dict(AssessmentState.choices),
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
    overview = assessment_overview(assessment)
    scores = overview.scores()
    context = {
        "assessment": assessment,
        "overview": overview,
        "areas": [(area, tally, scores.areas[area.pk]) for area, tally in overview.areas],
        "total_score": scores.total,
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
