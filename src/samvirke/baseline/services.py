"""Writes to campaigns, assessments, delegations and answers: atomic, validated, audited."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log, model_changes
from samvirke.baseline.models import (
    Answer,
    AnswerRevision,
    AnswerVia,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignParticipant,
    CampaignState,
    Delegation,
)
from samvirke.baseline.signals import assessment_submitted, campaign_closed
from samvirke.baseline.validation import AnswerData, clean_answer
from samvirke.core.scoping import organisation_scope
from samvirke.frameworks.models import AnswerLevel, FrameworkVersion, Node, NodeKind
from samvirke.tenancy.models import Membership, Network, Organisation, OrgUnit
from samvirke.tenancy.roles import ROLE_PERMISSIONS, Perm, role_permissions

if TYPE_CHECKING:
    from samvirke.accounts.models import User

CAMPAIGN_FIELDS = [
    "network",
    "framework_version",
    "title",
    "year",
    "opens_on",
    "deadline",
    "state",
    "reminder_days",
]
ANSWER_FIELDS = [
    "draft",
    "value",
    "not_applicable",
    "not_applicable_reason",
    "dont_know",
    "unsure",
    "comment",
]


class StaleAnswer(Exception):
    """A save based on an older version than the stored answer; carries the stored answer."""

    def __init__(self, stored: Answer) -> None:
        super().__init__(f"answer {stored.pk} is at version {stored.version}")
        self.stored = stored


# --- campaigns -------------------------------------------------------------------------------


def _check_reminders(reminder_days: Iterable[int]) -> list[int]:
    days = sorted(set(reminder_days), reverse=True)
    if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 365 for d in days):
        raise ValidationError(
            {"reminder_days": _("Give reminder days as whole numbers from 0 to 365.")}
        )
    return days


def _check_participants(
    network: Network, participants: Sequence[Organisation] | None, day: datetime.date
) -> list[Organisation]:
    members = list(network.members_on(day))
    if participants is None:
        return members
    member_ids = {m.pk for m in members}
    if not participants or any(p.pk not in member_ids for p in participants):
        raise ValidationError(
            {"participants": _("Choose participants among the network's current members.")}
        )
    return list({p.pk: p for p in participants}.values())


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    network: Network,
    framework_version: FrameworkVersion,
    title: str,
    year: int,
    opens_on: datetime.date,
    deadline: datetime.date,
    reminder_days: Iterable[int] = (14, 7, 1),
    participants: Sequence[Organisation] | None = None,
) -> Campaign:
    """Create a draft campaign for a network; participants are all current members by default."""
    if deadline < opens_on:
        raise ValidationError({"deadline": _("The deadline cannot be before the opening date.")})
    if Campaign.objects.filter(network=network, year=year).exists():
        raise ValidationError({"year": _("The network already has a campaign for this year.")})
    campaign = Campaign(
        network=network,
        framework_version=framework_version,
        title=title,
        year=year,
        opens_on=opens_on,
        deadline=deadline,
        reminder_days=_check_reminders(reminder_days),
        created_by=actor,
    )
    campaign.full_clean()
    campaign.save()
    chosen = _check_participants(network, participants, timezone.localdate())
    CampaignParticipant.objects.bulk_create(
        [CampaignParticipant(campaign=campaign, organisation=org) for org in chosen]
    )
    changes = model_changes(campaign, None, CAMPAIGN_FIELDS)
    changes["participants"] = [None, sorted(org.pk for org in chosen)]
    _audit_campaign(actor, campaign, "baseline.campaign.created", changes)
    return campaign


def _audit_campaign(
    actor: User | None, campaign: Campaign, action: str, changes: dict[str, Any]
) -> None:
    """Campaign changes are recorded in the chain of the network's steward."""
    audit_log(
        actor=actor,
        organisation=campaign.network.steward,
        action=action,
        obj=campaign,
        changes=changes,
    )


def _set_state(campaign: Campaign, expected: CampaignState, new: CampaignState) -> list[str]:
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.state != expected:
        raise ValidationError(
            _("The campaign is %(state)s.") % {"state": locked.get_state_display()}
        )
    campaign.state = new
    campaign.save(update_fields=["state", "updated_at"])
    return [expected, new]


@transaction.atomic
def campaign_open(*, actor: User | None, campaign: Campaign) -> int:
    """Open a draft campaign: one assessment per participant that is still a network member.

    Participants were checked at creation; one that has left the network since gets no
    assessment, and the opening's audit entry names it.
    """
    change = _set_state(campaign, CampaignState.DRAFT, CampaignState.OPEN)
    members = set(campaign.network.members_on(timezone.localdate()).values_list("pk", flat=True))
    chosen = [p.organisation for p in campaign.participants.select_related("organisation")]
    participants = [org for org in chosen if org.pk in members]
    skipped = sorted(org.code for org in chosen if org.pk not in members)
    for organisation in participants:
        # One scope per organisation: no organisation's rows are written from another's scope.
        with organisation_scope(organisation.pk):
            (assessment,) = Assessment.objects.bulk_create(
                [Assessment(organisation=organisation, campaign=campaign)]
            )
            audit_log(
                actor=actor,
                organisation=organisation,
                action="baseline.assessment.created",
                obj=assessment,
                changes={"campaign": [None, campaign.pk]},
            )
    changes: dict[str, Any] = {"state": change, "assessments": [0, len(participants)]}
    if skipped:
        changes["skipped_not_members"] = skipped
    _audit_campaign(actor, campaign, "baseline.campaign.opened", changes)
    return len(participants)


@transaction.atomic
def campaign_extend_deadline(
    *, actor: User | None, campaign: Campaign, deadline: datetime.date
) -> Campaign:
    """Move the deadline later (never earlier) while the campaign is a draft or open."""
    if campaign.state not in {CampaignState.DRAFT, CampaignState.OPEN}:
        raise ValidationError(_("Only a draft or open campaign's deadline can change."))
    if deadline <= campaign.deadline:
        raise ValidationError({"deadline": _("The new deadline must be later than the old one.")})
    old = campaign.deadline
    campaign.deadline = deadline
    campaign.save(update_fields=["deadline", "updated_at"])
    changes = {"deadline": [old.isoformat(), deadline.isoformat()]}
    _audit_campaign(actor, campaign, "baseline.campaign.deadline_extended", changes)
    return campaign


@transaction.atomic
def campaign_close(*, actor: User | None, campaign: Campaign) -> int:
    """Close an open campaign; unsubmitted assessments are closed as they are, and marked so."""
    change = _set_state(campaign, CampaignState.OPEN, CampaignState.CLOSED)
    closed = 0
    participants = campaign.participants.values_list("organisation_id", flat=True)
    for organisation_id in list(participants):
        with organisation_scope(organisation_id):
            assessment = (
                Assessment.objects.filter(organisation=organisation_id, campaign=campaign)
                .exclude(state=AssessmentState.SUBMITTED)
                .first()
            )
            if assessment is None:
                continue
            before = assessment.state
            assessment.state = AssessmentState.CLOSED_UNSUBMITTED
            assessment.save(update_fields=["state"])
            _audit_assessment(actor, assessment, "baseline.assessment.closed", before)
            closed += 1
    changes = {"state": change, "closed_unsubmitted": [0, closed]}
    _audit_campaign(actor, campaign, "baseline.campaign.closed", changes)
    transaction.on_commit(lambda: campaign_closed.send(sender=Campaign, campaign_id=campaign.pk))
    return closed


# --- assessments -----------------------------------------------------------------------------


def _audit_assessment(
    actor: User | None,
    assessment: Assessment,
    action: str,
    before: str,
    extra: dict[str, Any] | None = None,
) -> None:
    audit_log(
        actor=actor,
        organisation=assessment.organisation,
        action=action,
        obj=assessment,
        changes={"state": [before, assessment.state], **(extra or {})},
    )


def _locked_assessment(assessment: Assessment) -> Assessment:
    """The assessment re-read under a row lock, so two submits or saves cannot interleave."""
    return (
        Assessment.objects.select_for_update()
        .select_related("campaign")
        .get(pk=assessment.pk, organisation=assessment.organisation_id)
    )


@transaction.atomic
def assessment_submit(*, actor: User, assessment: Assessment) -> Assessment:
    """Submit an assessment while its campaign is open; it is then locked."""
    current = _locked_assessment(assessment)
    if current.is_locked:
        raise ValidationError(_("The assessment is already submitted or closed."))
    if current.campaign.state != CampaignState.OPEN:
        raise ValidationError(_("The campaign is not open."))
    before = current.state
    assessment.state = AssessmentState.SUBMITTED
    assessment.submitted_at, assessment.submitted_by = timezone.now(), actor
    assessment.scored_with = ""
    assessment.save(update_fields=["state", "submitted_at", "submitted_by", "scored_with"])
    _audit_assessment(actor, assessment, "baseline.assessment.submitted", before)
    # Benchmarks stamp the answers' scores now, in this transaction (docs/scoring.md).
    assessment_submitted.send(sender=Assessment, assessment=assessment)
    return assessment


@transaction.atomic
def assessment_reopen(*, actor: User, assessment: Assessment, reason: str) -> Assessment:
    """Reopen a submitted assessment, with a reason, only while its campaign is open."""
    current = _locked_assessment(assessment)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for reopening.")})
    if current.state != AssessmentState.SUBMITTED:
        raise ValidationError(_("Only a submitted assessment can be reopened."))
    if current.campaign.state != CampaignState.OPEN:
        raise ValidationError(_("The campaign is closed; the assessment cannot be reopened."))
    before = current.state
    assessment.state = AssessmentState.IN_PROGRESS
    assessment.reopen_count = current.reopen_count + 1
    assessment.scored_with = ""  # its answers may change: their scores are stamped again
    assessment.save(update_fields=["state", "reopen_count", "scored_with"])
    extra = {
        "reason": reason.strip(),
        "reopen_count": [current.reopen_count, assessment.reopen_count],
    }
    _audit_assessment(actor, assessment, "baseline.assessment.reopened", before, extra)
    return assessment


# --- delegations -----------------------------------------------------------------------------


def _version_node(assessment: Assessment, node: Node, kinds: set[str]) -> Node:
    if node.version_id != assessment.campaign.framework_version_id or node.kind not in kinds:
        raise ValidationError({"node": _("Choose an area or a question of this assessment.")})
    return node


def _check_delegate(assessment: Assessment, org_unit: OrgUnit | None, user: User | None) -> None:
    if org_unit is None and user is None:
        raise ValidationError(_("Choose an org unit, a person, or both."))
    if org_unit is not None and org_unit.organisation_id != assessment.organisation_id:
        raise ValidationError({"org_unit": _("Choose a unit of your own organisation.")})
    if (
        user is not None
        and not Membership.objects.filter(organisation=assessment.organisation_id, user=user)
        .current()
        .exists()
    ):
        raise ValidationError({"user": _("Choose a person in your own organisation.")})


@transaction.atomic
def delegation_assign(
    *,
    actor: User,
    assessment: Assessment,
    node: Node,
    org_unit: OrgUnit | None = None,
    user: User | None = None,
) -> Delegation:
    """Send an area or a question to one of the organisation's units and/or people."""
    if assessment.is_locked:
        raise ValidationError(_("The assessment is locked."))
    _version_node(assessment, node, {NodeKind.AREA, NodeKind.GROUP, NodeKind.QUESTION})
    _check_delegate(assessment, org_unit, user)
    wanted = {"assessment": assessment, "node": node, "org_unit": org_unit, "user": user}
    if Delegation.objects.filter(organisation=assessment.organisation, **wanted).exists():
        raise ValidationError(_("This has already been delegated to them."))
    delegation = Delegation.objects.create(
        organisation=assessment.organisation, created_by=actor, **wanted
    )
    audit_log(
        actor=actor,
        organisation=assessment.organisation,
        action="baseline.delegation.assigned",
        obj=delegation,
        changes=model_changes(delegation, None, ["assessment", "node", "org_unit", "user"]),
    )
    return delegation


@transaction.atomic
def delegation_remove(*, actor: User, delegation: Delegation) -> None:
    """Take a delegation back (answers already given stay)."""
    audit_log(
        actor=actor,
        organisation=delegation.organisation,
        action="baseline.delegation.removed",
        obj=delegation,
        changes=model_changes(delegation, None, ["assessment", "node", "org_unit", "user"]),
    )
    delegation.delete()


# --- answers ---------------------------------------------------------------------------------


def is_coordinator(user: User, organisation_id: int) -> bool:
    """Whether the user may answer and review every question of the organisation's assessments."""
    roles = Membership.objects.filter(organisation=organisation_id, user=user).current()
    return any(
        Perm.ASSESSMENT_REVIEW in role_permissions(r) for r in roles.values_list("role", flat=True)
    )


@functools.lru_cache(maxsize=32)
def _version_parents(version_id: int, loaded_at: datetime.datetime) -> dict[int, int | None]:
    """Node id → parent id of a framework version, cached: a loaded version never changes.

    The load time is part of the key, so a version id reused after a deletion (SQLite may
    reuse ids) never meets the parents of the version it replaced.
    """
    return dict(Node.objects.filter(version=version_id).values_list("id", "parent_id"))


def _node_chain(question: Node) -> set[int]:
    """The question and every node above it (delegating an area delegates its questions)."""
    parents = _version_parents(question.version_id, question.version.loaded_at)
    chain: set[int] = set()
    node_id: int | None = question.pk
    while node_id is not None and node_id not in chain:
        chain.add(node_id)
        node_id = parents.get(node_id)
    return chain


def may_answer(
    user: User, assessment: Assessment, question: Node, org_unit: OrgUnit | None
) -> bool:
    """Coordinators answer everything; others what is delegated to them or their unit."""
    if is_coordinator(user, assessment.organisation_id):
        return True
    memberships = Membership.objects.filter(organisation=assessment.organisation_id, user=user)
    my_units = set(memberships.current().values_list("org_unit_id", flat=True)) - {None}
    if not memberships.current().filter(role__in=answering_roles()).exists():
        return False
    delegations = Delegation.objects.filter(
        organisation=assessment.organisation_id,
        assessment=assessment,
        node_id__in=_node_chain(question),
    )
    for d in delegations:
        person = d.user_id == user.pk or (d.user_id is None and d.org_unit_id in my_units)
        unit = (
            org_unit is None
            or org_unit.pk == d.org_unit_id
            or (d.org_unit_id is None and org_unit.pk in my_units)
        )
        if person and unit:
            return True
    return False


def answering_roles() -> list[str]:
    """The roles that may answer questions delegated to them."""
    return [role for role, perms in ROLE_PERMISSIONS.items() if Perm.ANSWER in perms]


def _check_target(assessment: Assessment, question: Node, org_unit: OrgUnit | None) -> None:
    _version_node(assessment, question, {NodeKind.QUESTION})
    if question.answer_level == AnswerLevel.UNIT and org_unit is None:
        raise ValidationError({"org_unit": _("Choose the org unit this answer is for.")})
    if question.answer_level != AnswerLevel.UNIT and org_unit is not None:
        raise ValidationError(
            {"org_unit": _("This question is answered once for the whole organisation.")}
        )
    if org_unit is not None and org_unit.organisation_id != assessment.organisation_id:
        raise ValidationError({"org_unit": _("Choose a unit of your own organisation.")})


def _stored_answer(
    assessment: Assessment, question: Node, org_unit: OrgUnit | None
) -> Answer | None:
    return (
        Answer.objects.select_for_update()
        .filter(
            organisation=assessment.organisation_id,
            assessment=assessment,
            question=question,
            org_unit=org_unit,
        )
        .first()
    )


def answer_snapshot(answer: Answer) -> dict[str, Any]:
    """What an answer says, as stored in its revisions."""
    return {name: getattr(answer, name) for name in ANSWER_FIELDS}


@transaction.atomic
def _answer_write(
    *,
    actor: User,
    assessment: Assessment,
    question: Node,
    org_unit: OrgUnit | None,
    data: AnswerData,
    base_version: int,
    via: str,
) -> Answer:
    current = _locked_assessment(assessment)
    if current.is_locked or current.campaign.state != CampaignState.OPEN:
        raise ValidationError(_("The assessment is locked: it has been submitted or closed."))
    _check_target(current, question, org_unit)
    if not may_answer(actor, current, question, org_unit):
        raise PermissionDenied(_("This question has not been delegated to you."))
    cleaned = clean_answer(question, data)
    answer = _stored_answer(current, question, org_unit)
    stored_version = answer.version if answer is not None else 0
    if base_version != stored_version:
        if answer is None:
            raise ValidationError(_("The answer you based this on no longer exists."))
        raise StaleAnswer(answer)
    before = None if answer is None else answer_snapshot(answer)
    if answer is None:
        answer = Answer(
            organisation=current.organisation,
            assessment=current,
            question=question,
            org_unit=org_unit,
            version=0,
        )
    for name, value in cleaned.items():
        setattr(answer, name, value)
    answer.version = stored_version + 1
    answer.draft = False  # saving a copied-forward draft confirms it
    answer.updated_by, answer.via = actor, via
    answer.reviewed_at = answer.reviewed_by = None
    try:
        with transaction.atomic():
            answer.save()
    except IntegrityError:
        # Two first saves of the same answer: the later one is stale.
        raise StaleAnswer(_stored_answer(current, question, org_unit)) from None  # type: ignore[arg-type]
    AnswerRevision.objects.create(
        organisation=current.organisation,
        answer=answer,
        version=answer.version,
        data=answer_snapshot(answer),
        by=actor,
        at=timezone.now(),
        via=via,
    )
    if current.state == AssessmentState.NOT_STARTED:
        current.state = AssessmentState.IN_PROGRESS
        current.save(update_fields=["state"])
        assessment.state = current.state
    changes = {
        name: [None if before is None else before[name], value]
        for name, value in answer_snapshot(answer).items()
        if before is None or before[name] != value
    }
    changes["version"] = [stored_version, answer.version]
    audit_log(
        actor=actor,
        organisation=current.organisation,
        action="baseline.answer.saved",
        obj=answer,
        changes=changes,
    )
    return answer


def answer_save(
    *,
    actor: User,
    assessment: Assessment,
    question: Node,
    org_unit: OrgUnit | None,
    data: AnswerData,
    base_version: int,
    via: str = AnswerVia.PAGE,
) -> Answer:
    """Save one answer if based on the stored version; a refusal changes nothing but is audited.

    Not atomic itself on purpose: the write runs in its own transaction, and a refusal is
    recorded after that transaction rolled back, so the record of the attempt survives.
    """
    try:
        return _answer_write(
            actor=actor,
            assessment=assessment,
            question=question,
            org_unit=org_unit,
            data=data,
            base_version=base_version,
            via=via,
        )
    except (ValidationError, PermissionDenied, StaleAnswer) as refusal:
        _audit_refusal(actor, assessment, question, org_unit, via, refusal)
        raise


def _refusal_reason(refusal: Exception) -> str:
    if isinstance(refusal, StaleAnswer):
        return "stale"
    if isinstance(refusal, PermissionDenied):
        return "not_delegated"
    return "; ".join(refusal.messages) if isinstance(refusal, ValidationError) else "refused"


@transaction.atomic
def _audit_refusal(
    actor: User,
    assessment: Assessment,
    question: Node,
    org_unit: OrgUnit | None,
    via: str,
    refusal: Exception,
) -> None:
    audit_log(
        actor=actor,
        organisation=assessment.organisation,
        action="baseline.answer.refused",
        obj=assessment,
        changes={
            "question": question.pk,
            "org_unit": org_unit.pk if org_unit else None,
            "via": via,
            "reason": _refusal_reason(refusal),
        },
    )


@transaction.atomic
def answer_review(*, actor: User, answer: Answer) -> Answer:
    """Mark an answer reviewed by the coordinator (a later save clears the mark)."""
    if answer.assessment.is_locked:
        raise ValidationError(_("The assessment is locked."))
    answer.reviewed_at, answer.reviewed_by = timezone.now(), actor
    answer.save(update_fields=["reviewed_at", "reviewed_by"])
    audit_log(
        actor=actor,
        organisation=answer.organisation,
        action="baseline.answer.reviewed",
        obj=answer,
        changes={"version": answer.version},
    )
    return answer


@transaction.atomic
def answers_review(*, actor: User, assessment: Assessment, answer_ids: Iterable[int]) -> int:
    """Mark several answers of one assessment reviewed; each is audited. Returns how many.

    Ids of other assessments or organisations, drafts and empty answers are ignored: the page
    only offers answers that are given, so a mismatch means a stale page, not a reason to fail.
    """
    current = _locked_assessment(assessment)
    if current.is_locked:
        raise ValidationError(_("The assessment is locked."))
    answers = Answer.objects.filter(
        organisation=current.organisation_id,
        assessment=current,
        pk__in=list(answer_ids),
        reviewed_at__isnull=True,
    ).select_related("assessment")
    count = 0
    for answer in answers:
        if answer.is_answered:
            answer.assessment = current
            answer_review(actor=actor, answer=answer)
            count += 1
    return count
