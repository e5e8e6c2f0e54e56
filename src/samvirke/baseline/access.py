"""`access_<noun>` helpers: the one way views fetch baseline objects for a user."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from samvirke.baseline.models import Assessment, Campaign
from samvirke.core.access import access_in
from samvirke.frameworks.models import Node, NodeKind
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Network
from samvirke.tenancy.roles import Perm


def _require(request: OrgRequest, permission: str) -> None:
    if permission not in request.permissions:
        raise PermissionDenied


def stewarded_networks(request: OrgRequest) -> QuerySet[Network]:
    """Networks whose campaigns the active organisation runs."""
    _require(request, Perm.CAMPAIGN_MANAGE)
    return Network.objects.filter(steward=active_organisation(request)).order_by("name")


def managed_campaigns(request: OrgRequest) -> QuerySet[Campaign]:
    """Campaigns of the networks the active organisation stewards."""
    _require(request, Perm.CAMPAIGN_MANAGE)
    organisation = active_organisation(request)
    return Campaign.objects.filter(network__steward=organisation).select_related(
        "network", "framework_version__framework"
    )


def access_campaign(request: OrgRequest, campaign_id: Any) -> Campaign:
    """One campaign of a network the active organisation stewards."""
    return access_in(managed_campaigns(request), campaign_id)


def own_assessments(request: OrgRequest) -> QuerySet[Assessment]:
    """The active organisation's assessments, with their campaign and network."""
    organisation = active_organisation(request)
    return Assessment.objects.filter(organisation=organisation).select_related(
        "organisation", "campaign__network", "campaign__framework_version"
    )


def access_assessment(
    request: OrgRequest, assessment_id: Any, *, permission: str = Perm.ASSESSMENT_VIEW
) -> Assessment:
    """One assessment of the active organisation (answering needs only `baseline.answer`)."""
    _require(request, permission)
    return access_in(own_assessments(request), assessment_id)


def access_node(assessment: Assessment, node_id: Any, kind: str) -> Node:
    """A node of the assessment's framework version, of one kind (404 for any other)."""
    nodes = Node.objects.filter(version=assessment.campaign.framework_version_id, kind=kind)
    return access_in(nodes.select_related("version"), node_id)


def access_question(assessment: Assessment, question_id: Any) -> Node:
    """A question of the assessment's framework version."""
    return access_node(assessment, question_id, NodeKind.QUESTION)
