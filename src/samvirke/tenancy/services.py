"""Writes to tenancy objects: atomic, validated against the organisation, audited."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log, model_changes, snapshot
from samvirke.tenancy.models import Membership, Organisation, OrgUnit
from samvirke.tenancy.roles import Role

if TYPE_CHECKING:
    from samvirke.accounts.models import User

ORGUNIT_FIELDS = ["name", "code", "parent", "description"]


def _own_parent(organisation: Organisation, parent: OrgUnit | None) -> OrgUnit | None:
    """A parent must be a unit of the same organisation (the scope is a net, this is the rule)."""
    if parent is not None and parent.organisation_id != organisation.pk:
        raise ValidationError({"parent": _("Choose a unit of your own organisation.")})
    return parent


@transaction.atomic
def orgunit_create(
    *,
    actor: User | None,
    organisation: Organisation,
    name: str,
    code: str = "",
    parent: OrgUnit | None = None,
    description: str = "",
) -> OrgUnit:
    """Create an org unit in an organisation."""
    unit = OrgUnit(
        organisation=organisation,
        name=name,
        code=code,
        parent=_own_parent(organisation, parent),
        description=description,
    )
    unit.full_clean()
    unit.save()
    audit_log(
        actor=actor,
        organisation=organisation,
        action="tenancy.orgunit.created",
        obj=unit,
        changes=model_changes(unit, None, ORGUNIT_FIELDS),
    )
    return unit


@transaction.atomic
def orgunit_update(
    *,
    actor: User | None,
    unit: OrgUnit,
    name: str,
    code: str = "",
    parent: OrgUnit | None = None,
    description: str = "",
) -> OrgUnit:
    """Change an org unit's name, code, place in the tree or description."""
    before = snapshot(unit, ORGUNIT_FIELDS)
    unit.name, unit.code, unit.description = name, code, description
    unit.parent = _own_parent(unit.organisation, parent)
    unit.full_clean()
    unit.save()
    changes = model_changes(unit, before, ORGUNIT_FIELDS)
    if changes:
        audit_log(
            actor=actor,
            organisation=unit.organisation,
            action="tenancy.orgunit.updated",
            obj=unit,
            changes=changes,
        )
    return unit


@transaction.atomic
def orgunit_delete(*, actor: User | None, unit: OrgUnit) -> None:
    """Delete an org unit that has no sub-units."""
    if unit.children.exists():
        raise ValidationError(_("Move or delete the sub-units first."))
    organisation = unit.organisation
    audit_log(
        actor=actor,
        organisation=organisation,
        action="tenancy.orgunit.deleted",
        obj=unit,
        changes=model_changes(unit, None, ORGUNIT_FIELDS),
    )
    try:
        with transaction.atomic():
            unit.delete()
    except ProtectedError:
        # Answers and other records keep their unit: deleting it would lose who answered what.
        raise ValidationError(
            _("The unit has answers or other records and cannot be deleted.")
        ) from None


MEMBERSHIP_FIELDS = ["role", "org_unit", "ends_on", "is_active"]


def _own_unit(organisation: Organisation, unit: OrgUnit | None) -> OrgUnit | None:
    """A membership's unit must belong to the membership's organisation."""
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValidationError({"org_unit": _("Choose a unit of your own organisation.")})
    return unit


def _keeps_coordinator(membership: Membership) -> bool:
    """Whether someone else stays security coordinator with no end date."""
    others = Membership.objects.filter(
        organisation=membership.organisation_id,
        role=Role.SECURITY_COORDINATOR,
        ends_on__isnull=True,
    ).current()
    return others.exclude(pk=membership.pk).exists()


def _check_last_coordinator(membership: Membership) -> None:
    """Refuse a change that would leave the organisation without a security coordinator."""
    if membership.role != Role.SECURITY_COORDINATOR or _keeps_coordinator(membership):
        return
    raise ValidationError(
        _(
            "The organisation must keep a security coordinator without an end date. "
            "Invite or appoint another security coordinator first."
        )
    )


@transaction.atomic
def membership_create(
    *,
    actor: User | None,
    organisation: Organisation,
    user: User,
    role: str,
    org_unit: OrgUnit | None = None,
    ends_on: datetime.date | None = None,
) -> Membership:
    """Give a person a role in an organisation (reactivating an ended membership in that role)."""
    membership = Membership.objects.filter(organisation=organisation, user=user, role=role).first()
    before = None if membership is None else snapshot(membership, MEMBERSHIP_FIELDS)
    if membership is None:
        membership = Membership(organisation=organisation, user=user, role=role)
    membership.org_unit = _own_unit(organisation, org_unit)
    membership.ends_on, membership.is_active = ends_on, True
    membership.full_clean()
    membership.save()
    audit_log(
        actor=actor,
        organisation=organisation,
        action="tenancy.membership.created" if before is None else "tenancy.membership.updated",
        obj=membership,
        changes={"user": user.pk, **model_changes(membership, before, MEMBERSHIP_FIELDS)},
    )
    return membership


@transaction.atomic
def membership_update(
    *,
    actor: User | None,
    membership: Membership,
    org_unit: OrgUnit | None,
    ends_on: datetime.date | None,
) -> Membership:
    """Change a membership's unit or end date."""
    if ends_on is not None and ends_on < timezone.localdate():
        raise ValidationError({"ends_on": _("The end date cannot be in the past.")})
    if not membership.is_active:
        raise ValidationError(_("This membership has ended."))
    if membership.ends_on is None and ends_on is not None:
        _check_last_coordinator(membership)
    before = snapshot(membership, MEMBERSHIP_FIELDS)
    membership.org_unit = _own_unit(membership.organisation, org_unit)
    membership.ends_on = ends_on
    membership.full_clean()
    membership.save()
    changes = model_changes(membership, before, MEMBERSHIP_FIELDS)
    if changes:
        audit_log(
            actor=actor,
            organisation=membership.organisation,
            action="tenancy.membership.updated",
            obj=membership,
            changes=changes,
        )
    return membership


@transaction.atomic
def membership_end(*, actor: User | None, membership: Membership) -> Membership:
    """End (deactivate) a membership now."""
    if not membership.is_active:
        raise ValidationError(_("This membership has already ended."))
    if membership.ends_on is None or membership.ends_on >= timezone.localdate():
        _check_last_coordinator(membership)
    before = snapshot(membership, MEMBERSHIP_FIELDS)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_log(
        actor=actor,
        organisation=membership.organisation,
        action="tenancy.membership.ended",
        obj=membership,
        changes=model_changes(membership, before, MEMBERSHIP_FIELDS),
    )
    return membership
