"""The coordinator's work on an assessment (delegating, reviewing) and a person's questions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from samvirke.baseline.access import access_assessment
from samvirke.baseline.models import Assessment, CampaignState, Delegation
from samvirke.baseline.progress import QuestionStatus, assessment_overview, delegated_to
from samvirke.baseline.services import answers_review, delegation_assign, delegation_remove
from samvirke.baseline.work_forms import DelegationForm
from samvirke.core.access import access_in, parse_id
from samvirke.core.permissions import permission_required
from samvirke.core.scoping import organisation_scope
from samvirke.frameworks.models import localized
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Organisation
from samvirke.tenancy.roles import Perm


def _optional_id(raw: Any) -> int | None:
    """An id from a query string or a list of checkboxes; anything else is simply ignored."""
    try:
        return parse_id(raw) if raw else None
    except Http404:
        return None


# --- delegation ------------------------------------------------------------------------------


def _delegation_page(
    request: OrgRequest, assessment: Assessment, form: DelegationForm, status: int = 200
) -> HttpResponse:
    overview = assessment_overview(assessment)
    delegations = list(
        Delegation.objects.filter(organisation=assessment.organisation_id, assessment=assessment)
        .select_related("node", "org_unit", "user")
        .order_by("node__position", "org_unit__name", "pk")
    )
    for delegation in delegations:
        delegation.node_title = localized(delegation.node.title)
    context = {
        "assessment": assessment,
        "form": form,
        "delegations": delegations,
        "overview": overview,
        "undelegated": [q for q in overview.questions if not q.delegations],
    }
    return render(request, "baseline/delegations.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ASSESSMENT_DELEGATE)
def delegation_list(request: OrgRequest, assessment_id: int) -> HttpResponse:
    """Who answers what: the assessment's delegations, and a form to send more."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ASSESSMENT_DELEGATE)
    initial = {"node": _optional_id(request.GET.get("node"))}
    form = DelegationForm(request.POST or None, assessment=assessment, initial=initial)
    if request.method != "POST":
        return _delegation_page(request, assessment, form)
    if not form.is_valid():
        return _delegation_page(request, assessment, form, 400)
    node, user = form.cleaned_data["node"], form.cleaned_data["user"]
    units = list(form.cleaned_data["org_units"]) or [None]
    try:
        for unit in units:
            delegation_assign(
                actor=request.user, assessment=assessment, node=node, org_unit=unit, user=user
            )
    except ValidationError as error:
        form.add_error(None, error)
        return _delegation_page(request, assessment, form, 400)
    messages.success(request, _("Delegated: %(node)s.") % {"node": node.key})
    return redirect("baseline:delegation_list", assessment_id=assessment.pk)


@require_POST
@permission_required(Perm.ASSESSMENT_DELEGATE)
def delegation_remove_view(
    request: OrgRequest, assessment_id: int, delegation_id: int
) -> HttpResponse:
    """Take a delegation back; answers already given stay."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ASSESSMENT_DELEGATE)
    delegations = Delegation.objects.filter(
        organisation=assessment.organisation_id, assessment=assessment
    )
    delegation = access_in(delegations, delegation_id)
    if assessment.is_locked:
        form = DelegationForm(assessment=assessment)
        form.add_error(None, _("The assessment is locked."))
        return _delegation_page(request, assessment, form, 400)
    delegation_remove(actor=request.user, delegation=delegation)
    messages.success(request, _("The delegation was removed."))
    return redirect("baseline:delegation_list", assessment_id=assessment.pk)


# --- review ----------------------------------------------------------------------------------


def _review_page(
    request: OrgRequest, assessment: Assessment, error: str = "", status: int = 200
) -> HttpResponse:
    overview = assessment_overview(assessment)
    area_id = _optional_id(request.GET.get("area"))
    questions = [q for q in overview.questions if area_id is None or q.area.pk == area_id]
    context = {
        "assessment": assessment,
        "overview": overview,
        "area_id": area_id,
        "unanswered": [q for q in questions if not q.answered],
        "to_review": [q for q in questions if q.answered and not q.reviewed],
        "reviewed": sum(1 for q in questions if q.reviewed),
        "drafts": sum(1 for q in questions if q.has_draft),
        "error": error,
    }
    return render(request, "baseline/review.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ASSESSMENT_REVIEW)
def review(request: OrgRequest, assessment_id: int) -> HttpResponse:
    """What is unanswered and what is still to review; marking answers reviewed."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ASSESSMENT_REVIEW)
    if request.method != "POST":
        return _review_page(request, assessment)
    ids = [i for i in map(_optional_id, request.POST.getlist("answer")) if i is not None]
    if not ids:
        return _review_page(request, assessment, _("Choose the answers you have reviewed."), 400)
    try:
        count = answers_review(actor=request.user, assessment=assessment, answer_ids=ids)
    except ValidationError as error:
        return _review_page(request, assessment, " ".join(error.messages), 400)
    messages.success(request, _("%(count)d answers marked reviewed.") % {"count": count})
    return redirect(request.get_full_path())


# --- my questions ----------------------------------------------------------------------------


@dataclass
class MyAssessment:
    """One open assessment with the questions sent to the person."""

    organisation: Organisation
    assessment: Assessment
    questions: list[QuestionStatus] = field(default_factory=list)
    active: bool = False
    units: set[int] = field(default_factory=set)

    def rows(self) -> list[tuple[QuestionStatus, int | None]]:
        """Each question with the unit to answer it for (per-unit questions sent to my unit)."""
        found = []
        for status in self.questions:
            unit = None
            if status.per_unit:
                mine = [d.org_unit_id for d in status.delegations if d.org_unit_id in self.units]
                unit = mine[0] if mine else None
            found.append((status, unit))
        return found

    @property
    def answered(self) -> int:
        """How many of the person's questions have their answer."""
        return sum(1 for q in self.questions if q.answered)


def _my_assessments(request: OrgRequest) -> list[MyAssessment]:
    """Every open assessment, in each of the person's organisations, with their questions.

    Each organisation is read inside its own scope, and only because the person is a current
    member of it.
    """
    by_organisation: dict[int, tuple[Organisation, set[int]]] = {}
    for membership in request.all_memberships:
        organisation, units = by_organisation.setdefault(
            membership.organisation_id, (membership.organisation, set())
        )
        if membership.org_unit_id is not None:
            units.add(membership.org_unit_id)
    active_id = getattr(request.organisation, "pk", None)
    found = []
    for organisation_id, (organisation, units) in by_organisation.items():
        with organisation_scope(organisation_id):
            assessments = Assessment.objects.filter(
                organisation=organisation_id, campaign__state=CampaignState.OPEN
            ).select_related("campaign__network", "organisation")
            for assessment in assessments:
                if assessment.is_locked:
                    continue
                questions = delegated_to(assessment_overview(assessment), request.user, units)
                if questions:
                    found.append(
                        MyAssessment(
                            organisation,
                            assessment,
                            questions,
                            active=organisation_id == active_id,
                            units=units,
                        )
                    )
    found.sort(key=lambda row: (not row.active, row.assessment.campaign.deadline))
    return found


@permission_required(None)
def my_questions(request: OrgRequest) -> HttpResponse:
    """The questions sent to me or my units, across campaigns and organisations."""
    rows = _my_assessments(request)
    context: dict[str, Any] = {
        "rows": rows,
        "total": sum(len(r.questions) for r in rows),
        "answered": sum(r.answered for r in rows),
    }
    return render(request, "baseline/my_questions.html", context)
