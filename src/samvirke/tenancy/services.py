"""Writes to tenancy objects: atomic, validated against the organisation, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log, model_changes, snapshot
from samvirke.tenancy.models import Organisation, OrgUnit

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
    unit.delete()
