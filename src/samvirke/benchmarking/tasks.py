"""Background tasks: a campaign's release is built after it closes, never inside a request."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django_tasks import task

from samvirke.baseline.models import Campaign, CampaignState
from samvirke.benchmarking.models import Release, ReleaseKind, ReleaseState
from samvirke.benchmarking.release import release_build

logger = logging.getLogger(__name__)


def pending_campaigns() -> list[Campaign]:
    """Closed campaigns that have no release yet (a failed build is tried again)."""
    releases = Release.objects.filter(campaign=OuterRef("pk"), kind=ReleaseKind.INITIAL).exclude(
        state=ReleaseState.FAILED
    )
    return list(
        Campaign.objects.filter(state=CampaignState.CLOSED)
        .exclude(Exists(releases))
        .select_related("network")
    )


@task()
def build_release(campaign_id: int) -> int | None:
    """Build and audit one campaign's release; return its id (None if it has one already)."""
    campaign = Campaign.objects.get(pk=campaign_id)
    try:
        release = release_build(actor=None, campaign=campaign)
    except ValidationError as refusal:
        logger.info("No release for campaign %s: %s", campaign_id, "; ".join(refusal.messages))
        return None
    logger.info("Release %s built for campaign %s: %s", release.pk, campaign_id, release.summary)
    return release.pk


@task()
def build_pending_releases() -> int:
    """Build the release of every closed campaign that has none; return how many were built."""
    built = 0
    for campaign in pending_campaigns():
        built += build_release.call(campaign.pk) is not None
    return built


def enqueue_on_close(sender: Any, campaign_id: int, **kwargs: Any) -> None:
    """Receiver of baseline's `campaign_closed`: build the release in the background."""
    build_release.enqueue(campaign_id)
