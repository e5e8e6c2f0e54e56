"""Asking for a report: every reference checked against the organisation, audited, queued."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log
from samvirke.baseline.models import Assessment
from samvirke.benchmarking.models import Release, ReleaseState
from samvirke.benchmarking.service import visible_releases
from samvirke.reports.models import ReportFormat, ReportJob, ReportKind, ReportLanguage
from samvirke.reports.tasks import build_report
from samvirke.tenancy.models import Membership, Organisation, OrgUnit
from samvirke.tenancy.roles import Perm

if TYPE_CHECKING:
    from samvirke.accounts.models import User


def report_language(language: str) -> str:
    """The report language, or a ValidationError in the caller's language."""
    if language not in ReportLanguage.values:
        raise ValidationError(
            {"language": [_("Choose a report language: Danish, Norwegian Bokmål or English.")]}
        )
    return language


def report_format(fmt: str) -> str:
    """The report format, or a ValidationError in the caller's language."""
    if fmt not in ReportFormat.values:
        raise ValidationError({"format": [_("Choose a report format: PDF, XLSX or HTML.")]})
    return fmt


def coordinates(actor: User | None, organisation: Organisation) -> bool:
    """Whether the actor is one of the organisation's network coordinators (None: the operator
    at the command line, who may build any report)."""
    if actor is None:
        return True
    memberships = Membership.objects.filter(organisation=organisation, user=actor).current()
    return any(Perm.NETWORK_COORDINATE in m.permissions for m in memberships)


def publishable_release(
    *, actor: User | None, organisation: Organisation, release: Release | None
) -> Release:
    """A published release of a network the organisation stewards, for its network coordinator."""
    if release is None:
        raise ValidationError({"release": [_("Choose a published release.")]})
    published = visible_releases(organisation).filter(
        pk=release.pk, state=ReleaseState.PUBLISHED, network__steward=organisation
    )
    if not published.exists() or not coordinates(actor, organisation):
        raise ValidationError(
            {
                "release": [
                    _(
                        "A network report is made only from a published release, for the network "
                        "coordinators of the network's steward."
                    )
                ]
            }
        )
    return release


def _check_subject(
    *,
    organisation: Organisation,
    kind: str,
    assessment: Assessment | None,
    org_unit: OrgUnit | None,
) -> None:
    """The assessment and unit belong to the organisation, and the kind needs what is given."""
    if assessment is None or assessment.organisation_id != organisation.pk:
        raise ValidationError({"assessment": [_("Choose one of your organisation's assessments.")]})
    if kind == ReportKind.DEPARTMENT and (
        org_unit is None or org_unit.organisation_id != organisation.pk
    ):
        raise ValidationError({"org_unit": [_("Choose one of your organisation's units.")]})


@transaction.atomic
def report_request(
    *,
    actor: User | None,
    organisation: Organisation,
    kind: str,
    assessment: Assessment | None = None,
    org_unit: OrgUnit | None = None,
    release: Release | None = None,
    fmt: str,
    language: str,
) -> ReportJob:
    """Ask for a report: check every reference, record the job, queue its build."""
    if kind not in ReportKind.values:
        raise ValidationError({"kind": [_("Choose a kind of report.")]})
    report_format(fmt)
    report_language(language)
    if kind == ReportKind.NETWORK:
        release = publishable_release(actor=actor, organisation=organisation, release=release)
        assessment = org_unit = None
    else:
        _check_subject(
            organisation=organisation, kind=kind, assessment=assessment, org_unit=org_unit
        )
        release = None
        org_unit = org_unit if kind == ReportKind.DEPARTMENT else None
    current = translation.get_language() or ""
    job = ReportJob.objects.create(
        organisation=organisation,
        kind=kind,
        assessment=assessment,
        org_unit=org_unit,
        release=release,
        format=fmt,
        language=language,
        requester_language=current[:2] if current[:2] in ReportLanguage.values else language,
        requested_by=actor,
    )
    audit_log(
        actor=actor,
        organisation=organisation,
        action="reports.report.requested",
        obj=job,
        changes={
            "kind": [None, kind],
            "assessment": [None, assessment.pk if assessment else None],
            "org_unit": [None, org_unit.pk if org_unit else None],
            "release": [None, release.pk if release else None],
            "format": [None, fmt],
            "language": [None, language],
        },
    )
    # Queued in the same transaction (the database backend): the job and its task commit together.
    build_report.enqueue(job.pk, organisation.pk)
    return job
