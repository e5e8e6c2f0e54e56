"""Roles and the one table that maps each role to its named permissions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person does in one organisation."""

    SECURITY_COORDINATOR = "security_coordinator", _("Security coordinator")
    RESPONDENT = "respondent", _("Respondent")
    MANAGEMENT_READER = "management_reader", _("Management reader")
    DATA_PROTECTION_OFFICER = "dpo", _("Data protection officer")
    AUDITOR = "auditor", _("Auditor")
    NETWORK_COORDINATOR = "network_coordinator", _("Network coordinator")
    OPERATOR = "operator", _("Operator")


class Perm:
    """Named permissions; a view declares one, a role grants a set."""

    ORGANISATION_VIEW = "tenancy.organisation.view"
    ORGUNIT_VIEW = "tenancy.orgunit.view"
    ORGUNIT_CHANGE = "tenancy.orgunit.change"
    MEMBER_VIEW = "tenancy.member.view"
    MEMBER_CHANGE = "tenancy.member.change"
    NETWORK_VIEW = "tenancy.network.view"
    NETWORK_COORDINATE = "tenancy.network.coordinate"
    AUDIT_VIEW = "audit.entry.view"
    TOKEN_MANAGE = "accounts.token.manage"
    INSTALLATION_OPERATE = "tenancy.installation.operate"
    CAMPAIGN_MANAGE = "baseline.campaign.manage"
    ASSESSMENT_VIEW = "baseline.assessment.view"
    ASSESSMENT_DELEGATE = "baseline.assessment.delegate"
    ASSESSMENT_REVIEW = "baseline.assessment.review"
    ASSESSMENT_SUBMIT = "baseline.assessment.submit"
    ANSWER = "baseline.answer"
    BENCHMARK_VIEW = "benchmarking.benchmark.view"
    BENCHMARK_SHARE = "benchmarking.sharing.manage"
    RELEASE_MANAGE = "benchmarking.release.manage"


_READ = {Perm.ORGANISATION_VIEW, Perm.ORGUNIT_VIEW, Perm.NETWORK_VIEW}

#: Role → permissions. The single source of truth; tests walk it.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SECURITY_COORDINATOR: frozenset(
        _READ
        | {
            Perm.ORGUNIT_CHANGE,
            Perm.MEMBER_VIEW,
            Perm.MEMBER_CHANGE,
            Perm.AUDIT_VIEW,
            Perm.TOKEN_MANAGE,
            Perm.ASSESSMENT_VIEW,
            Perm.ASSESSMENT_DELEGATE,
            Perm.ASSESSMENT_REVIEW,
            Perm.ASSESSMENT_SUBMIT,
            Perm.ANSWER,
            Perm.BENCHMARK_VIEW,
            Perm.BENCHMARK_SHARE,
        }
    ),
    Role.RESPONDENT: frozenset(_READ | {Perm.TOKEN_MANAGE, Perm.ANSWER}),
    Role.MANAGEMENT_READER: frozenset(_READ | {Perm.ASSESSMENT_VIEW, Perm.BENCHMARK_VIEW}),
    Role.DATA_PROTECTION_OFFICER: frozenset(_READ | {Perm.MEMBER_VIEW, Perm.TOKEN_MANAGE}),
    Role.AUDITOR: frozenset(
        _READ | {Perm.MEMBER_VIEW, Perm.AUDIT_VIEW, Perm.ASSESSMENT_VIEW, Perm.BENCHMARK_VIEW}
    ),
    Role.NETWORK_COORDINATOR: frozenset(
        _READ
        | {
            Perm.NETWORK_COORDINATE,
            Perm.TOKEN_MANAGE,
            Perm.CAMPAIGN_MANAGE,
            Perm.RELEASE_MANAGE,
        }
    ),
    Role.OPERATOR: frozenset({Perm.ORGANISATION_VIEW, Perm.INSTALLATION_OPERATE}),
}

#: Roles that must use multi-factor authentication when SAMVIRKE_REQUIRE_MFA is on.
MFA_REQUIRED_ROLES = frozenset({Role.NETWORK_COORDINATOR, Role.OPERATOR})


def role_permissions(role: str) -> frozenset[str]:
    """Return the permissions a role grants (none for an unknown role)."""
    return ROLE_PERMISSIONS.get(role, frozenset())
