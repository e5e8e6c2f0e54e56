"""Pages of the benchmark management: releases and custom partitions (network coordinators),
and opt-in sharing (an organisation's security coordinator).

The release pages show a release's audit summary (totals only) and never a hidden cell's reason
or one organisation's number; every write goes through `release.py` or `services.py`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from samvirke.baseline.models import Assessment, Campaign, CampaignState
from samvirke.benchmarking.forms import (
    DecisionForm,
    LocatedError,
    PartitionProposalForm,
    PublishForm,
    SharingForm,
    parse_partition_csv,
)
from samvirke.benchmarking.models import (
    CustomPartition,
    Release,
    ReleaseKind,
    ReleaseState,
    SharingConsent,
)
from samvirke.benchmarking.policy import CURRENT_POLICY
from samvirke.benchmarking.release import release_correct, release_publish
from samvirke.benchmarking.service import response_count
from samvirke.benchmarking.services import (
    partition_decide,
    partition_propose,
    release_build_request,
    sharing_set,
)
from samvirke.core.access import access_in
from samvirke.core.permissions import permission_required
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Network
from samvirke.tenancy.roles import Perm

# --- what the active organisation manages ------------------------------------------------------


def stewarded_networks(request: OrgRequest) -> QuerySet[Network]:
    """Networks the active organisation stewards."""
    return Network.objects.filter(steward=active_organisation(request)).order_by("name")


def managed_releases(request: OrgRequest) -> QuerySet[Release]:
    """Releases of the networks the active organisation stewards."""
    return Release.objects.filter(network__steward=active_organisation(request)).select_related(
        "campaign", "network", "published_by", "corrects"
    )


def access_release(request: OrgRequest, release_id: Any) -> Release:
    """One release of a stewarded network."""
    return access_in(managed_releases(request), release_id)


def access_managed_campaign(request: OrgRequest, campaign_id: Any) -> Campaign:
    """One campaign of a stewarded network."""
    campaigns = Campaign.objects.filter(network__steward=active_organisation(request))
    return access_in(campaigns.select_related("network"), campaign_id)


def access_partition(request: OrgRequest, partition_id: Any) -> CustomPartition:
    """One custom partition of a stewarded network."""
    partitions = CustomPartition.objects.filter(network__steward=active_organisation(request))
    return access_in(partitions.select_related("network"), partition_id)


# --- releases --------------------------------------------------------------------------------


@dataclass
class CampaignReleases:
    """A campaign with where its release stands and what the coordinator can do next."""

    campaign: Campaign
    releases: list[Release] = field(default_factory=list)
    responses: int | None = None

    @property
    def initial(self) -> Release | None:
        """The campaign's release at close, unless its build failed."""
        return next((r for r in self._live() if r.kind == ReleaseKind.INITIAL), None)

    @property
    def failed(self) -> bool:
        """Whether a build failed (and none succeeded since)."""
        return self.initial is None and any(r.state == ReleaseState.FAILED for r in self.releases)

    @property
    def building(self) -> bool:
        """Closed, and the release is not there yet: the background task is on it."""
        return self.campaign.state == CampaignState.CLOSED and self.initial is None

    @property
    def correctable(self) -> Release | None:
        """The published release that may still get its one correction (R9)."""
        initial = self.initial
        corrected = any(r.kind == ReleaseKind.CORRECTION for r in self._live())
        if initial is not None and initial.state == ReleaseState.PUBLISHED and not corrected:
            return initial
        return None

    def _live(self) -> list[Release]:
        return [r for r in self.releases if r.state != ReleaseState.FAILED]


def campaign_releases(request: OrgRequest) -> list[CampaignReleases]:
    """Every campaign of the stewarded networks with its releases, newest first."""
    organisation = active_organisation(request)
    campaigns = Campaign.objects.filter(network__steward=organisation).select_related("network")
    by_campaign: dict[int, list[Release]] = defaultdict(list)
    for release in managed_releases(request).order_by("created_at"):
        by_campaign[release.campaign_id].append(release)
    rows = []
    for campaign in campaigns.order_by("-year", "network__name", "title"):
        row = CampaignReleases(campaign, by_campaign.get(campaign.pk, []))
        if campaign.state == CampaignState.OPEN:
            row.responses = response_count(campaign)
        rows.append(row)
    return rows


@require_GET
@permission_required(Perm.RELEASE_MANAGE)
def release_list(request: OrgRequest) -> HttpResponse:
    """The stewarded networks' campaigns and the state of their releases."""
    context = {"rows": campaign_releases(request)}
    return render(request, "benchmarking/manage_releases.html", context)


def _release_page(
    request: OrgRequest,
    release: Release,
    form: PublishForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "release": release,
        "form": form or PublishForm(),
        "error": error,
        "correctable": release.kind == ReleaseKind.INITIAL
        and release.state == ReleaseState.PUBLISHED
        and not Release.objects.filter(corrects=release)
        .exclude(state=ReleaseState.FAILED)
        .exists(),
    }
    return render(request, "benchmarking/manage_release.html", context, status=status)


@require_GET
@permission_required(Perm.RELEASE_MANAGE)
def release_detail(request: OrgRequest, release_id: int) -> HttpResponse:
    """One release with its audit summary and the publish or correct action."""
    return _release_page(request, access_release(request, release_id))


@require_POST
@permission_required(Perm.RELEASE_MANAGE)
def release_build_view(request: OrgRequest, campaign_id: int) -> HttpResponse:
    """Ask the background worker to build a closed campaign's release now."""
    campaign = access_managed_campaign(request, campaign_id)
    try:
        release_build_request(actor=request.user, campaign=campaign)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The release is being built in the background. Come back to this page in a while."),
        )
    return redirect("benchmarking:manage_releases")


@require_POST
@permission_required(Perm.RELEASE_MANAGE)
def release_publish_view(request: OrgRequest, release_id: int) -> HttpResponse:
    """Publish an audited release once the coordinator confirms having read its summary."""
    release = access_release(request, release_id)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _release_page(request, release, form, status=400)
    try:
        release_publish(actor=request.user, release=release)
    except ValidationError as error:
        return _release_page(request, release, form, " ".join(error.messages), 400)
    messages.success(request, _("The release is published to the network."))
    return redirect("benchmarking:manage_release", release_id=release.pk)


@require_POST
@permission_required(Perm.RELEASE_MANAGE)
def release_correct_view(request: OrgRequest, release_id: int) -> HttpResponse:
    """Build the one correction of a published release (R9), if enough organisations changed."""
    release = access_release(request, release_id)
    try:
        correction = release_correct(actor=request.user, campaign=release.campaign)
    except ValidationError as error:
        return _release_page(request, release, None, " ".join(error.messages), 400)
    messages.success(request, _("The correction is built and audited. Review it and publish it."))
    return redirect("benchmarking:manage_release", release_id=correction.pk)


# --- custom partitions -----------------------------------------------------------------------


def _partition_page(
    request: OrgRequest,
    form: PartitionProposalForm,
    errors: list[LocatedError] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    networks = stewarded_networks(request)
    partitions = (
        CustomPartition.objects.filter(network__in=networks)
        .select_related("network", "proposed_by", "decided_by")
        .prefetch_related("groups__members")
        .order_by("network__name", "key")
    )
    context = {
        "form": form,
        "errors": errors or [],
        "error": error,
        "partitions": partitions,
        "networks": [
            (network, list(network.members_on().order_by("code"))) for network in networks
        ],
        "decision_form": DecisionForm(),
        "min_members": CURRENT_POLICY.min_contributors,
    }
    return render(request, "benchmarking/manage_partitions.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.RELEASE_MANAGE)
def partition_list(request: OrgRequest) -> HttpResponse:
    """The custom partitions of the stewarded networks; propose one from CSV rows."""
    networks = stewarded_networks(request)
    form = PartitionProposalForm(request.POST or None, request.FILES or None, networks=networks)
    if request.method != "POST":
        return _partition_page(request, form)
    if not form.is_valid():
        return _partition_page(request, form, status=400)
    network = form.cleaned_data["network"]
    members = {o.code: o for o in network.members_on()}
    parsed = parse_partition_csv(form.content(), members)
    if parsed.errors:
        return _partition_page(request, form, parsed.errors, status=400)
    try:
        partition_propose(
            actor=request.user,
            network=network,
            key=form.cleaned_data["key"],
            title=form.cleaned_data["title"],
            groups=parsed.groups,
        )
    except ValidationError as error:
        return _partition_page(request, form, parsed.locate([error]), status=400)
    messages.success(
        request, _("The partition is proposed. Another network coordinator must approve it.")
    )
    return redirect("benchmarking:manage_partitions")


@require_POST
@permission_required(Perm.RELEASE_MANAGE)
def partition_decide_view(request: OrgRequest, partition_id: int) -> HttpResponse:
    """Approve or reject a proposed partition (a coordinator other than the proposer)."""
    partition = access_partition(request, partition_id)
    form = DecisionForm(request.POST)
    proposal = PartitionProposalForm(networks=stewarded_networks(request))
    if not form.is_valid():
        return _partition_page(request, proposal, error=_("Choose approve or reject."), status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        partition_decide(actor=request.user, partition=partition, approve=approve)
    except ValidationError as error:
        return _partition_page(request, proposal, error=" ".join(error.messages), status=400)
    done = _("The partition is approved.") if approve else _("The partition is rejected.")
    messages.success(request, done)
    return redirect("benchmarking:manage_partitions")


# --- opt-in sharing --------------------------------------------------------------------------


def _own_campaigns(request: OrgRequest) -> QuerySet[Campaign]:
    organisation = active_organisation(request)
    taken = Assessment.objects.filter(organisation=organisation).values("campaign_id")
    return Campaign.objects.filter(pk__in=taken).select_related("network")


def _sharing_page(
    request: OrgRequest, posted: SharingForm | None = None, status: int = 200
) -> HttpResponse:
    organisation = active_organisation(request)
    campaigns = _own_campaigns(request)
    consents = {
        c.campaign_id: c
        for c in SharingConsent.objects.filter(organisation=organisation, withdrawn_at__isnull=True)
    }
    built = set(
        Release.objects.filter(campaign__in=campaigns)
        .exclude(state=ReleaseState.FAILED)
        .values_list("campaign_id", flat=True)
    )
    rows = []
    for campaign in campaigns.order_by("-year", "network__name"):
        consent = consents.get(campaign.pk)
        form = SharingForm(
            initial={"campaign": campaign.pk, "audience": consent.audience if consent else ""},
            campaigns=campaigns,
            auto_id=f"id_c{campaign.pk}_%s",
        )
        if posted is not None and posted.data.get("campaign") == str(campaign.pk):
            form = posted
        rows.append(
            {"campaign": campaign, "consent": consent, "form": form, "built": campaign.pk in built}
        )
    context = {"rows": rows, "posted": posted}
    return render(request, "benchmarking/manage_sharing.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BENCHMARK_SHARE)
def sharing(request: OrgRequest) -> HttpResponse:
    """The organisation's campaigns, each with whom its named results are shared."""
    if request.method != "POST":
        return _sharing_page(request)
    campaigns = _own_campaigns(request)
    form = SharingForm(request.POST, campaigns=campaigns)
    if not form.is_valid():
        return _sharing_page(request, form, status=400)
    campaign = form.cleaned_data["campaign"]
    try:
        sharing_set(
            actor=request.user,
            organisation=active_organisation(request),
            campaign=campaign,
            audience=form.cleaned_data["audience"] or None,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _sharing_page(request, form, status=400)
    messages.success(request, _("Your choice for %(campaign)s is saved.") % {"campaign": campaign})
    return redirect("benchmarking:manage_sharing")
