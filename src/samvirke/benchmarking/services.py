"""Writes of the benchmark management: custom partitions, opt-in sharing and release builds.

Building, publishing and correcting a release live in `release.py`; this module adds what the
coordinator and the organisations decide around them. Every function is atomic and audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log
from samvirke.baseline.models import Assessment, Campaign, CampaignState
from samvirke.benchmarking.models import (
    CustomPartition,
    CustomPartitionGroup,
    CustomPartitionState,
    Release,
    ReleaseKind,
    ReleaseState,
    SharingAudience,
    SharingConsent,
)
from samvirke.benchmarking.policy import CURRENT_POLICY, DisclosurePolicy
from samvirke.benchmarking.tasks import build_release
from samvirke.tenancy.models import Membership, Network, Organisation
from samvirke.tenancy.roles import Role

if TYPE_CHECKING:
    from samvirke.accounts.models import User

#: Group key → (label, member organisations): a proposed custom partition.
Groups = dict[str, tuple[str, list[Organisation]]]

KEY_MAX = 60
LABEL_MAX = 200


def is_network_coordinator(user: User, network: Network) -> bool:
    """Whether the user is, today, a network coordinator of the network's steward."""
    return (
        Membership.of_user.for_user(user)
        .filter(organisation_id=network.steward_id, role=Role.NETWORK_COORDINATOR)
        .exists()
    )


def _require_coordinator(user: User, network: Network) -> None:
    if not is_network_coordinator(user, network):
        raise PermissionDenied


# --- custom partitions (R8) ------------------------------------------------------------------


def _key_problem(key: str) -> str | None:
    if not key or slugify(key) != key or len(key) > KEY_MAX:
        message = _(
            "Use at most %(max)d lower-case letters, digits and hyphens, "
            "e.g. island-municipalities."
        )
        return message % {"max": KEY_MAX}
    return None


def partition_problems(
    network: Network, groups: Groups, policy: DisclosurePolicy = CURRENT_POLICY
) -> list[ValidationError]:
    """Why a partition cannot be used: each problem names its group or organisation in params.

    Every current member must be in exactly one group, every group must have at least R1's
    minimum of members, and only members may be placed.
    """
    problems: list[ValidationError] = []
    members = {o.pk: o for o in network.members_on()}
    placed: dict[int, str] = {}
    if len(groups) < 2:
        problems.append(
            ValidationError(
                _("A partition needs at least two groups; one group is just all participants."),
                code="too_few_groups",
            )
        )
    for key, (label, organisations) in groups.items():
        problems += _group_problems(key, label, organisations, members, placed, policy)
    for pk, organisation in members.items():
        if pk not in placed:
            problems.append(
                ValidationError(
                    _("The member %(organisation)s (%(name)s) is in no group."),
                    code="member_missing",
                    params={"organisation": organisation.code, "name": organisation.name},
                )
            )
    return problems


def _group_problems(
    key: str,
    label: str,
    organisations: list[Organisation],
    members: dict[int, Organisation],
    placed: dict[int, str],
    policy: DisclosurePolicy,
) -> list[ValidationError]:
    problems = []
    key_problem = _key_problem(key)
    if key_problem:
        problems.append(ValidationError(key_problem, code="group_key", params={"group": key}))
    if not label.strip() or len(label) > LABEL_MAX:
        problems.append(
            ValidationError(
                _("Give the group %(group)s a label of at most %(max)d characters."),
                code="group_label",
                params={"group": key, "max": LABEL_MAX},
            )
        )
    for organisation in organisations:
        if organisation.pk not in members:
            problems.append(
                ValidationError(
                    _("%(organisation)s is not a member of the network."),
                    code="not_member",
                    params={"organisation": organisation.code},
                )
            )
        elif organisation.pk in placed:
            problems.append(
                ValidationError(
                    _("%(organisation)s is in more than one group (%(first)s and %(group)s)."),
                    code="duplicate",
                    params={"organisation": organisation.code, "first": placed[organisation.pk]}
                    | {"group": key},
                )
            )
        else:
            placed[organisation.pk] = key
    if len({o.pk for o in organisations}) < policy.min_contributors:
        problems.append(
            ValidationError(
                _(
                    "The group %(group)s has %(count)d members; every group needs at least "
                    "%(min)d, so that no number can describe a few organisations."
                ),
                code="group_too_small",
                params={
                    "group": key,
                    "count": len({o.pk for o in organisations}),
                    "min": policy.min_contributors,
                },
            )
        )
    return problems


@transaction.atomic
def partition_propose(
    *,
    actor: User,
    network: Network,
    key: str,
    title: str,
    groups: Groups,
    policy: DisclosurePolicy = CURRENT_POLICY,
) -> CustomPartition:
    """Propose a custom partition of the network's members; a second coordinator decides."""
    _require_coordinator(actor, network)
    problems: list[ValidationError] = []
    key_problem = _key_problem(key)
    if key_problem:
        problems.append(ValidationError(key_problem, code="key"))
    elif CustomPartition.objects.filter(network=network, key=key).exists():
        problems.append(
            ValidationError(
                _("The network already has a partition with the key %(key)s."),
                code="key_taken",
                params={"key": key},
            )
        )
    if not title.strip() or len(title) > LABEL_MAX:
        problems.append(
            ValidationError(_("Give the partition a title of at most 200 characters."), "title")
        )
    problems += partition_problems(network, groups, policy)
    if problems:
        raise ValidationError(problems)
    partition = CustomPartition.objects.create(
        network=network, key=key, title=title.strip(), proposed_by=actor
    )
    for group_key, (label, organisations) in sorted(groups.items()):
        group = CustomPartitionGroup.objects.create(
            partition=partition, key=group_key, label=label.strip()
        )
        group.members.set(organisations)
    audit_log(
        actor=actor,
        organisation=network.steward,
        action="benchmarking.partition.proposed",
        obj=partition,
        changes={
            "network": network.pk,
            "key": key,
            "title": partition.title,
            "groups": {
                k: [label, sorted(o.code for o in orgs)] for k, (label, orgs) in groups.items()
            },
        },
    )
    return partition


def _stored_groups(partition: CustomPartition) -> Groups:
    return {
        group.key: (group.label, list(group.members.all()))
        for group in partition.groups.prefetch_related("members")
    }


@transaction.atomic
def partition_decide(*, actor: User, partition: CustomPartition, approve: bool) -> CustomPartition:
    """Approve or reject a proposed partition: a coordinator other than the proposer decides.

    Approval checks the groups again against today's members: a partition that no longer covers
    every member exactly once must be proposed anew.
    """
    partition = (
        CustomPartition.objects.select_for_update()
        .select_related("network__steward")
        .get(pk=partition.pk)
    )
    _require_coordinator(actor, partition.network)
    if partition.state != CustomPartitionState.PROPOSED:
        raise ValidationError(_("The partition has already been decided."), code="decided")
    if partition.proposed_by_id == actor.pk:
        raise ValidationError(
            _("You proposed this partition: another network coordinator must decide on it."),
            code="own_proposal",
        )
    if approve:
        problems = partition_problems(partition.network, _stored_groups(partition))
        if problems:
            changed = _("The network's members have changed since the proposal: propose it again.")
            raise ValidationError([ValidationError(changed, code="members_changed"), *problems])
    partition.state = CustomPartitionState.APPROVED if approve else CustomPartitionState.REJECTED
    partition.decided_by, partition.decided_at = actor, timezone.now()
    partition.save(update_fields=["state", "decided_by", "decided_at"])
    audit_log(
        actor=actor,
        organisation=partition.network.steward,
        action=f"benchmarking.partition.{'approved' if approve else 'rejected'}",
        obj=partition,
        changes={"state": [CustomPartitionState.PROPOSED, partition.state]},
    )
    return partition


# --- opt-in sharing (R12) --------------------------------------------------------------------


@transaction.atomic
def sharing_set(
    *, actor: User, organisation: Organisation, campaign: Campaign, audience: str | None
) -> SharingConsent | None:
    """Share (or stop sharing) the organisation's named results of one campaign.

    The release of a campaign reads the consents when it is built: its audit treats organisations
    that share as known (R12). A consent given after the build therefore takes effect only in a
    correction release; a withdrawal hides the named results at once.
    """
    if audience is not None and audience not in SharingAudience.values:
        raise ValidationError(_("Choose whom to share the results with."), code="audience")
    if not Assessment.objects.filter(organisation=organisation, campaign=campaign).exists():
        raise ValidationError(
            _("Your organisation does not take part in this campaign."), code="campaign"
        )
    current = (
        SharingConsent.objects.select_for_update()
        .filter(organisation=organisation, campaign=campaign, withdrawn_at__isnull=True)
        .first()
    )
    before = current.audience if current is not None else None
    if before == audience:
        return current
    if current is not None:
        current.withdrawn_at = timezone.now()
        current.save(update_fields=["withdrawn_at"])
    consent = None
    if audience is not None:
        consent = SharingConsent.objects.create(
            organisation=organisation, campaign=campaign, audience=audience, given_by=actor
        )
    audit_log(
        actor=actor,
        organisation=organisation,
        action="benchmarking.sharing.given" if audience else "benchmarking.sharing.withdrawn",
        obj=consent or current,
        changes={"campaign": campaign.pk, "audience": [before, audience]},
    )
    return consent


def active_consent(organisation: Organisation, campaign: Campaign) -> SharingConsent | None:
    """The organisation's consent in force for a campaign, if any."""
    return SharingConsent.objects.filter(
        organisation=organisation, campaign=campaign, withdrawn_at__isnull=True
    ).first()


# --- asking for a release build ----------------------------------------------------------------


@transaction.atomic
def release_build_request(*, actor: User, campaign: Campaign) -> None:
    """Queue the build of a closed campaign's release (or a new try after a failed one).

    The build runs in the background worker after this transaction commits, never in a request.
    """
    campaign = (
        Campaign.objects.select_for_update().select_related("network__steward").get(pk=campaign.pk)
    )
    _require_coordinator(actor, campaign.network)
    if campaign.state != CampaignState.CLOSED:
        raise ValidationError(_("A release can only be built once the campaign has closed."))
    if (
        Release.objects.filter(campaign=campaign, kind=ReleaseKind.INITIAL)
        .exclude(state=ReleaseState.FAILED)
        .exists()
    ):
        raise ValidationError(_("The campaign already has its release."))
    audit_log(
        actor=actor,
        organisation=campaign.network.steward,
        action="benchmarking.release.build_requested",
        obj=campaign,
        changes={"campaign": campaign.pk},
    )
    campaign_id = campaign.pk
    transaction.on_commit(lambda: build_release.enqueue(campaign_id))
