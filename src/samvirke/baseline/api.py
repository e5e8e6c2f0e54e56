"""API of campaigns, assessments, questions with delegation, answers and progress.

Every write goes through baseline.services, as the pages' do. Every list is read in a fixed
number of queries whatever the page size. A caller with `baseline.assessment.view` sees all of
an assessment; a respondent (`baseline.answer` only) sees the questions delegated to them or to
their org unit, and only the answers they may give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from samvirke.accounts.models import User
from samvirke.api.auth import requires
from samvirke.api.errors import ApiError
from samvirke.api.schemas import ERRORS, INPUT_ERRORS, MAX_ID, MAX_OFFSET, ErrorOut, Pagination
from samvirke.audit.services import audit_log
from samvirke.baseline import services
from samvirke.baseline.access import (
    access_assessment,
    access_campaign,
    access_question,
    managed_campaigns,
    own_assessments,
    stewarded_networks,
)
from samvirke.baseline.api_schemas import (
    AnswerIn,
    AnswerOut,
    AssessmentOut,
    CampaignDetailOut,
    CampaignIn,
    CampaignOut,
    DeadlineIn,
    DelegationIn,
    DelegationOut,
    ProgressOut,
    QuestionPageOut,
    ReopenIn,
    RevisionOut,
    StaleOut,
    SubmittedAnswer,
)
from samvirke.baseline.models import (
    Answer,
    AnswerRevision,
    AnswerVia,
    Assessment,
    Campaign,
    CampaignState,
    Delegation,
)
from samvirke.baseline.progress import QuestionStatus, Tally, assessment_overview
from samvirke.baseline.validation import (
    AnswerData,
    clean_answer,
    maturity_range,
    option_ids,
)
from samvirke.core.access import access_in
from samvirke.frameworks.models import (
    AnswerLevel,
    FrameworkVersion,
    Node,
    NodeKind,
    QuestionType,
)
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Membership, OrgUnit
from samvirke.tenancy.roles import Perm

router = Router(tags=["baseline"])

ASSESSMENT = "/assessments/{int:assessment_id}"
ANSWER = ASSESSMENT + "/questions/{int:question_id}/answer"
#: Errors of operations that change state: 409 when the object's state forbids the change.
STATE_ERRORS = {**INPUT_ERRORS, 409: ErrorOut}


def _state_conflict(error: ValidationError) -> Exception:
    """A refusal because of an object's state is a 409; one about a field stays a 422."""
    if hasattr(error, "error_dict"):
        return error
    return ApiError(409, "conflict", " ".join(error.messages))


def _tally(tally: Tally) -> dict[str, int]:
    return {"total": tally.total, "answered": tally.answered, "percent": tally.percent}


# --- campaigns -------------------------------------------------------------------------------


def _campaign(campaign: Campaign) -> dict[str, Any]:
    network = campaign.network
    return {
        "id": campaign.pk,
        "network": {"id": network.pk, "code": network.code, "name": network.name},
        "framework": campaign.framework_version.framework.key,
        "version": campaign.framework_version.version,
        **{
            name: getattr(campaign, name)
            for name in ("title", "year", "opens_on", "deadline", "state")
        },
        "reminder_days": _reminder_days(campaign.reminder_days),
    }


def _reminder_days(stored: Any) -> list[int]:
    """The stored reminder days; a JSON value of another shape (set by hand) shows as none."""
    if not isinstance(stored, list):
        return []
    return [day for day in stored if isinstance(day, int) and not isinstance(day, bool)]


def _campaign_detail(campaign: Campaign) -> dict[str, Any]:
    """A campaign with each participant's assessment state (states only: never an answer)."""
    states = Assessment.participation.states_of(campaign)
    none = {"state": None, "submitted_at": None}
    participants = campaign.participants.select_related("organisation").order_by(
        "organisation__name", "pk"
    )
    participation = [
        {"code": p.organisation.code, "name": p.organisation.name}
        | states.get(p.organisation_id, none)
        for p in participants
    ]
    return {**_campaign(campaign), "participation": participation}


@router.get(
    "/campaigns",
    response={200: list[CampaignOut], **INPUT_ERRORS},
    auth=requires(Perm.CAMPAIGN_MANAGE),
)
@paginate(Pagination)
def campaign_list(request: OrgRequest) -> list[dict[str, Any]]:
    """Campaigns of the networks the organisation stewards, newest year first.

    For the stewarding organisation's network coordinators.
    """
    campaigns = managed_campaigns(request).order_by("-year", "network__name", "pk")
    return [_campaign(campaign) for campaign in campaigns]


@router.get(
    "/campaigns/{int:campaign_id}",
    response={200: CampaignDetailOut, **ERRORS},
    auth=requires(Perm.CAMPAIGN_MANAGE),
)
def campaign_get(request: OrgRequest, campaign_id: int) -> dict[str, Any]:
    """One campaign with each participant's name and assessment state (never its answers)."""
    return _campaign_detail(access_campaign(request, campaign_id))


@router.post(
    "/campaigns",
    response={201: CampaignDetailOut, **INPUT_ERRORS},
    auth=requires(Perm.CAMPAIGN_MANAGE),
)
def campaign_create(request: OrgRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    """Create a draft campaign for a stewarded network; every current member takes part."""
    network = stewarded_networks(request).filter(pk=payload.network).first()
    version = FrameworkVersion.objects.filter(pk=payload.framework_version).first()
    errors = {}
    if network is None:
        errors["network"] = [_("Choose a network your organisation stewards.")]
    if version is None:
        errors["framework_version"] = [_("Choose a framework version of the library.")]
    if network is None or version is None:
        raise ValidationError(errors)
    campaign = services.campaign_create(
        actor=request.user,
        network=network,
        framework_version=version,
        **payload.model_dump(exclude={"network", "framework_version"}),
    )
    return Status(201, _campaign_detail(access_campaign(request, campaign.pk)))


def _campaign_action(request: OrgRequest, campaign_id: int, action: Any) -> dict[str, Any]:
    campaign = access_campaign(request, campaign_id)
    try:
        action(actor=request.user, campaign=campaign)
    except ValidationError as error:
        raise _state_conflict(error) from error
    return _campaign_detail(campaign)


@router.post(
    "/campaigns/{int:campaign_id}/open",
    response={200: CampaignDetailOut, **ERRORS, 409: ErrorOut},
    auth=requires(Perm.CAMPAIGN_MANAGE),
)
def campaign_open(request: OrgRequest, campaign_id: int) -> dict[str, Any]:
    """Open a draft campaign: each participant still in the network gets its assessment.

    409 when the campaign is not a draft.
    """
    return _campaign_action(request, campaign_id, services.campaign_open)


@router.post(
    "/campaigns/{int:campaign_id}/close",
    response={200: CampaignDetailOut, **ERRORS, 409: ErrorOut},
    auth=requires(Perm.CAMPAIGN_MANAGE),
)
def campaign_close(request: OrgRequest, campaign_id: int) -> dict[str, Any]:
    """Close an open campaign; assessments not submitted are closed as they are.

    409 when the campaign is not open.
    """
    return _campaign_action(request, campaign_id, services.campaign_close)


@router.post(
    "/campaigns/{int:campaign_id}/deadline",
    response={200: CampaignDetailOut, **STATE_ERRORS},
    auth=requires(Perm.CAMPAIGN_MANAGE),
)
def campaign_extend_deadline(
    request: OrgRequest, campaign_id: int, payload: DeadlineIn
) -> dict[str, Any]:
    """Move a draft or open campaign's deadline later (422 for an earlier one; 409 if closed)."""
    campaign = access_campaign(request, campaign_id)
    try:
        services.campaign_extend_deadline(
            actor=request.user, campaign=campaign, deadline=payload.deadline
        )
    except ValidationError as error:
        raise _state_conflict(error) from error
    return _campaign_detail(campaign)


# --- assessments -----------------------------------------------------------------------------


def _with_campaign(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return assessments.select_related("campaign__framework_version__framework", "submitted_by")


@router.get(
    "/assessments",
    response={200: list[AssessmentOut], **INPUT_ERRORS},
    auth=requires(Perm.ASSESSMENT_VIEW),
)
@paginate(Pagination)
def assessment_list(request: OrgRequest) -> QuerySet[Assessment]:
    """The organisation's assessments, newest campaign first."""
    assessments = _with_campaign(own_assessments(request))
    return assessments.order_by("-campaign__year", "campaign__network__name", "pk")


def _assessment(request: OrgRequest, assessment_id: int, permission: str) -> Assessment:
    assessment = access_assessment(request, assessment_id, permission=permission)
    return _with_campaign(own_assessments(request)).get(pk=assessment.pk)


@router.get(
    ASSESSMENT, response={200: AssessmentOut, **ERRORS}, auth=requires(Perm.ASSESSMENT_VIEW)
)
def assessment_get(request: OrgRequest, assessment_id: int) -> Assessment:
    """One of the organisation's assessments."""
    return _assessment(request, assessment_id, Perm.ASSESSMENT_VIEW)


@router.get(
    ASSESSMENT + "/progress",
    response={200: ProgressOut, **ERRORS},
    auth=requires(Perm.ASSESSMENT_VIEW),
)
def assessment_progress_get(request: OrgRequest, assessment_id: int) -> dict[str, Any]:
    """How far the assessment is: in total, per area, per org unit and per named person.

    A per-unit question counts as answered when every unit it is delegated to has answered.
    """
    overview = assessment_overview(access_assessment(request, assessment_id))
    return {
        "total": _tally(overview.total),
        "to_review": len(overview.to_review()),
        "areas": [
            {"id": area.pk, "key": area.key, "title": area.title, **_tally(tally)}
            for area, tally in overview.areas
        ],
        "units": [{"id": u.pk, "name": u.name, **_tally(t)} for u, t in overview.units],
        "people": [
            {"id": p.pk, "name": p.get_full_name() or p.get_username(), **_tally(t)}
            for p, t in overview.people
        ],
    }


@router.post(
    ASSESSMENT + "/submit",
    response={200: AssessmentOut, **ERRORS, 409: ErrorOut},
    auth=requires(Perm.ASSESSMENT_SUBMIT),
)
def assessment_submit(request: OrgRequest, assessment_id: int) -> Assessment:
    """Submit the assessment while its campaign is open; its answers are then locked.

    409 when it is already submitted or closed, or the campaign is not open.
    """
    assessment = _assessment(request, assessment_id, Perm.ASSESSMENT_SUBMIT)
    try:
        return services.assessment_submit(actor=request.user, assessment=assessment)
    except ValidationError as error:
        raise _state_conflict(error) from error


@router.post(
    ASSESSMENT + "/reopen",
    response={200: AssessmentOut, **STATE_ERRORS},
    auth=requires(Perm.ASSESSMENT_SUBMIT),
)
def assessment_reopen(request: OrgRequest, assessment_id: int, payload: ReopenIn) -> Assessment:
    """Reopen a submitted assessment while its campaign is open; the reason is recorded.

    409 when it is not submitted or the campaign is closed.
    """
    assessment = _assessment(request, assessment_id, Perm.ASSESSMENT_SUBMIT)
    try:
        return services.assessment_reopen(
            actor=request.user, assessment=assessment, reason=payload.reason
        )
    except ValidationError as error:
        raise _state_conflict(error) from error


# --- what the caller may see of an assessment ------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """All of an assessment, or what is delegated to the caller (as services.may_answer)."""

    everything: bool
    user_id: int
    units: frozenset[int]

    def concerns(self, delegation: Delegation) -> bool:
        """Whether a delegation names the caller or, naming no one, one of their units."""
        return delegation.user_id == self.user_id or (
            delegation.user_id is None and delegation.org_unit_id in self.units
        )

    def sees_question(self, status: QuestionStatus) -> bool:
        """Whether the caller may see (and answer) a question."""
        return self.everything or any(self.concerns(d) for d in status.delegations)

    def sees_answer(self, status: QuestionStatus, unit_id: int | None) -> bool:
        """Whether the caller may see (and give) the organisation's or a unit's answer."""
        return self.everything or any(
            self.concerns(d)
            and (
                unit_id is None
                or unit_id == d.org_unit_id
                or (d.org_unit_id is None and unit_id in self.units)
            )
            for d in status.delegations
        )

    def delegations(self, status: QuestionStatus) -> list[Delegation]:
        """The question's delegations the caller may see: all, or those to them."""
        if self.everything:
            return status.delegations
        return [d for d in status.delegations if self.concerns(d)]


def _reach(request: OrgRequest, assessment_id: int) -> tuple[Assessment, Reach]:
    """The assessment and what the caller may see of it (403 without view or answer)."""
    everything = Perm.ASSESSMENT_VIEW in request.permissions
    permission = Perm.ASSESSMENT_VIEW if everything else Perm.ANSWER
    assessment = access_assessment(request, assessment_id, permission=permission)
    units = frozenset(m.org_unit_id for m in request.memberships if m.org_unit_id is not None)
    return assessment, Reach(everything, request.user.pk, units)


def _answers(assessment: Assessment) -> QuerySet[Answer]:
    return Answer.objects.filter(
        organisation=assessment.organisation_id, assessment=assessment
    ).select_related("org_unit", "updated_by")


# --- questions -------------------------------------------------------------------------------


def _question(status: QuestionStatus, reach: Reach, answers: list[Answer]) -> dict[str, Any]:
    question = status.question
    kind = question.question_type
    scale = None
    if kind == QuestionType.MATURITY:
        low, high = maturity_range(question)
        scale = {"min": low, "max": high, "levels": question.level_texts()}
    options = []
    if kind in {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE}:
        titles = {str(o.get("id")): o.get("title") or {} for o in question.options or []}
        options = [{"id": key, "title": titles[key]} for key in option_ids(question)]
    return {
        "id": question.pk,
        "key": question.key,
        "area": status.area.key,
        "title": question.title,
        "help": question.help or {},
        "type": kind,
        "level": question.answer_level,
        "allows_not_applicable": question.allows_not_applicable,
        "scale": scale,
        "options": options,
        "min": question.number_min,
        "max": question.number_max,
        "unit": question.number_unit or {},
        "delegations": reach.delegations(status),
        "answers": [a for a in answers if reach.sees_answer(status, a.org_unit_id)],
    }


@router.get(ASSESSMENT + "/questions", response={200: QuestionPageOut, **INPUT_ERRORS})
def question_list(
    request: OrgRequest,
    assessment_id: int,
    limit: int = Query(
        settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT
    ),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """The assessment's questions in order, each with its scale, delegations and answers.

    With `baseline.assessment.view`: every question. A respondent sees the questions delegated
    to them or to their org unit, with only the delegations and answers that concern them.
    """
    assessment, reach = _reach(request, assessment_id)
    statuses = [
        s for s in assessment_overview(assessment, texts=True).questions if reach.sees_question(s)
    ]
    page = statuses[offset : offset + limit]
    given: dict[int, list[Answer]] = {s.question.pk: [] for s in page}
    rows = _answers(assessment).filter(question__in=list(given))
    for answer in rows.order_by("org_unit__name", "pk"):
        given[answer.question_id].append(answer)
    items = [_question(s, reach, given[s.question.pk]) for s in page]
    return {"count": len(statuses), "items": items}


# --- delegations -----------------------------------------------------------------------------


def _body_unit(assessment: Assessment, unit_id: int | None) -> OrgUnit | None:
    """An org unit named in a body or query: the organisation's own, or a validation error."""
    if unit_id is None:
        return None
    unit = OrgUnit.objects.filter(organisation=assessment.organisation_id, pk=unit_id).first()
    if unit is None:
        raise ValidationError({"org_unit": _("Choose a unit of your own organisation.")})
    return unit


def _body_user(assessment: Assessment, user_id: int | None) -> User | None:
    """A person named in a body: a current member of the organisation, or a validation error."""
    if user_id is None:
        return None
    memberships = Membership.objects.filter(organisation=assessment.organisation_id)
    found = memberships.current().filter(user=user_id).select_related("user").first()
    if found is None:
        raise ValidationError({"user": _("Choose a person in your own organisation.")})
    return found.user


def _body_node(assessment: Assessment, node_id: int) -> Node:
    kinds = [NodeKind.AREA, NodeKind.GROUP, NodeKind.QUESTION]
    nodes = Node.objects.filter(version=assessment.campaign.framework_version_id, kind__in=kinds)
    node = nodes.filter(pk=node_id).first()
    if node is None:
        raise ValidationError({"node": _("Choose an area or a question of this assessment.")})
    return node


@router.post(
    ASSESSMENT + "/delegations",
    response={201: DelegationOut, **STATE_ERRORS},
    auth=requires(Perm.ASSESSMENT_DELEGATE),
)
def delegation_create(
    request: OrgRequest, assessment_id: int, payload: DelegationIn
) -> Status[Delegation]:
    """Send an area, group or question to an org unit and/or a person of the organisation.

    Delegating an area or group delegates every question under it. 409 when the assessment is
    locked or the same delegation exists.
    """
    assessment = access_assessment(request, assessment_id, permission=Perm.ASSESSMENT_DELEGATE)
    node = _body_node(assessment, payload.node)
    unit = _body_unit(assessment, payload.org_unit)
    user = _body_user(assessment, payload.user)
    if unit is None and user is None:
        raise ValidationError(_("Choose an org unit, a person, or both."))
    try:
        delegation = services.delegation_assign(
            actor=request.user, assessment=assessment, node=node, org_unit=unit, user=user
        )
    except ValidationError as error:
        raise _state_conflict(error) from error
    return Status(201, delegation)


@router.delete(
    ASSESSMENT + "/delegations/{int:delegation_id}",
    response={204: None, **ERRORS},
    auth=requires(Perm.ASSESSMENT_DELEGATE),
)
def delegation_delete(request: OrgRequest, assessment_id: int, delegation_id: int) -> Status[None]:
    """Take a delegation back; answers already given stay."""
    assessment = access_assessment(request, assessment_id, permission=Perm.ASSESSMENT_DELEGATE)
    delegations = Delegation.objects.filter(
        organisation=assessment.organisation_id, assessment=assessment
    )
    services.delegation_remove(actor=request.user, delegation=access_in(delegations, delegation_id))
    return Status(204, None)


# --- answers ---------------------------------------------------------------------------------


@router.get(ASSESSMENT + "/answers", response={200: list[AnswerOut], **INPUT_ERRORS})
@paginate(Pagination)
def answer_list(request: OrgRequest, assessment_id: int) -> QuerySet[Answer]:
    """The assessment's saved answers in question order (a respondent's: those they may give)."""
    assessment, reach = _reach(request, assessment_id)
    answers = _answers(assessment).order_by("question__position", "org_unit__name", "pk")
    if reach.everything:
        return answers
    visible = [
        answer.pk
        for status in assessment_overview(assessment).questions
        if reach.sees_question(status)
        for answer in status.answers
        if reach.sees_answer(status, answer.org_unit_id)
    ]
    return answers.filter(pk__in=visible)


def _target_unit(question: Node, assessment: Assessment, unit_id: int | None) -> OrgUnit | None:
    """The unit an answer is for: required for per-unit questions, refused for the others."""
    if question.answer_level == AnswerLevel.UNIT and unit_id is None:
        raise ValidationError({"org_unit": _("Choose the org unit this answer is for.")})
    if question.answer_level != AnswerLevel.UNIT and unit_id is not None:
        raise ValidationError(
            {"org_unit": _("This question is answered once for the whole organisation.")}
        )
    return _body_unit(assessment, unit_id)


def _answer_target(
    request: OrgRequest, assessment_id: int, question_id: int, unit_id: int | None
) -> tuple[Assessment, Node, OrgUnit | None]:
    """The assessment, question and unit of one answer the caller may read (403 otherwise)."""
    assessment, reach = _reach(request, assessment_id)
    question = access_question(assessment, question_id)
    unit = _target_unit(question, assessment, unit_id)
    if not reach.everything and not services.may_answer(request.user, assessment, question, unit):
        raise PermissionDenied
    return assessment, question, unit


UnitQuery = Query(None, ge=1, le=MAX_ID, description="The org unit (per-unit questions only)")


@router.get(ANSWER, response={200: AnswerOut, **INPUT_ERRORS})
def answer_get(
    request: OrgRequest, assessment_id: int, question_id: int, org_unit: int | None = UnitQuery
) -> Answer:
    """The saved answer to a question, for the organisation or one org unit (`org_unit`).

    404 until an answer is saved: save the first one with `version` 0.
    """
    assessment, question, unit = _answer_target(request, assessment_id, question_id, org_unit)
    return _stored(assessment, question, unit)


def _stored(assessment: Assessment, question: Node, unit: OrgUnit | None) -> Answer:
    answer = _answers(assessment).filter(question=question, org_unit=unit).first()
    if answer is None:
        raise Http404
    return answer


@router.get(ANSWER + "/revisions", response={200: list[RevisionOut], **INPUT_ERRORS})
@paginate(Pagination)
def answer_revision_list(
    request: OrgRequest, assessment_id: int, question_id: int, org_unit: int | None = UnitQuery
) -> QuerySet[AnswerRevision]:
    """Every saved version of an answer, newest first: who saved what, when and through what."""
    assessment, question, unit = _answer_target(request, assessment_id, question_id, org_unit)
    revisions = AnswerRevision.objects.filter(
        organisation=assessment.organisation_id,
        answer__assessment=assessment,
        answer__question=question,
        answer__org_unit=unit,
    )
    return revisions.select_related("by").order_by("-version", "-pk")


def _audit_unknown(
    request: OrgRequest, assessment_id: int, question_id: int, body: AnswerIn
) -> None:
    """Record a save that named an assessment, question or unit the caller cannot reach."""
    audit_log(
        actor=request.user,
        organisation=active_organisation(request),
        action="baseline.answer.refused",
        changes={
            "assessment": assessment_id,
            "question": question_id,
            "org_unit": body.org_unit,
            "via": AnswerVia.API,
            "reason": "not_found",
        },
    )


def _refused_field(question: Node, data: AnswerData) -> str:
    """The field a refused answer's content error is about (the service words it generally)."""
    try:
        clean_answer(question, data)
    except ValidationError as content:
        if content.code in {"comment", "not_applicable_reason"}:
            return str(content.code)
        if data.get("not_applicable") and data.get("dont_know"):
            return "dont_know"
        if data.get("not_applicable") and not question.allows_not_applicable:
            return "not_applicable"
        if data.get("not_applicable") and not data.get("not_applicable_reason"):
            return "not_applicable_reason"
        return "value"
    return "version"  # the content is fine: the version it was based on no longer exists


def _answer_refused(
    request: OrgRequest,
    assessment: Assessment,
    question: Node,
    unit: OrgUnit | None,
    data: AnswerData,
    error: ValidationError,
) -> Exception:
    """What the caller is told of a refused save (the service has audited it already)."""
    if hasattr(error, "error_dict"):
        return error
    if assessment.is_locked or assessment.campaign.state != CampaignState.OPEN:
        # Only those who may answer learn the assessment is locked.
        if not services.may_answer(request.user, assessment, question, unit):
            return PermissionDenied()
        return ApiError(409, "conflict", " ".join(error.messages))
    return ValidationError({_refused_field(question, data): error.messages})


def _stale(stale: services.StaleAnswer, payload: AnswerIn) -> JsonResponse:
    """409 in the common error shape, with the stored answer and the refused one."""
    message = _(
        "Someone else saved this answer after the version you based your change on. "
        "Nothing was saved: compare the stored answer with yours and save again on its version."
    )
    detail = {
        "code": "conflict",
        "message": message,
        "stored": AnswerOut.from_orm(stale.stored).model_dump(mode="json"),
        "submitted": SubmittedAnswer(**payload.model_dump(exclude={"org_unit"})).model_dump(
            mode="json"
        ),
    }
    return JsonResponse({"error": detail}, status=409)


@router.put(
    ANSWER,
    response={200: AnswerOut, **INPUT_ERRORS, 409: StaleOut},
    auth=requires(Perm.ANSWER),
)
def answer_save(
    request: OrgRequest, assessment_id: int, question_id: int, payload: AnswerIn
) -> Answer | JsonResponse:
    """Save the answer to a question, based on the version last read (`version`, 0 if new).

    200: the saved answer with its new version. 409 `conflict` with `stored` and `submitted`:
    someone saved a later version first; nothing changed. 409 `conflict` without them: the
    assessment is locked (submitted or closed). 422 names the field of an answer outside the
    question's scale, options or range. 403: the question is not delegated to the caller.
    Every refusal is recorded in the audit log.
    """
    try:
        assessment = access_assessment(request, assessment_id, permission=Perm.ANSWER)
        question = access_question(assessment, question_id)
        unit = _body_unit(assessment, payload.org_unit)
    except (Http404, ValidationError):
        _audit_unknown(request, assessment_id, question_id, payload)
        raise
    data = AnswerData(**payload.model_dump(exclude={"org_unit", "version"}))  # type: ignore[typeddict-item]
    try:
        answer = services.answer_save(
            actor=request.user,
            assessment=assessment,
            question=question,
            org_unit=unit,
            data=data,
            base_version=payload.version,
            via=AnswerVia.API,
        )
    except services.StaleAnswer as stale:
        return _stale(stale, payload)
    except ValidationError as error:
        raise _answer_refused(request, assessment, question, unit, data, error) from error
    return answer


@router.post(
    ASSESSMENT + "/answers/{int:answer_id}/review",
    response={200: AnswerOut, **ERRORS, 409: ErrorOut},
    auth=requires(Perm.ASSESSMENT_REVIEW),
)
def answer_review(request: OrgRequest, assessment_id: int, answer_id: int) -> Answer:
    """Mark an answer reviewed by the coordinator; a later save clears the mark.

    409 when the assessment is locked.
    """
    assessment = access_assessment(request, assessment_id, permission=Perm.ASSESSMENT_REVIEW)
    answer = access_in(_answers(assessment).select_related("assessment"), answer_id)
    try:
        return services.answer_review(actor=request.user, answer=answer)
    except ValidationError as error:
        raise _state_conflict(error) from error
