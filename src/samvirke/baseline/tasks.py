"""Background tasks of the baseline: reminders and closing campaigns at their deadline.

Run by `samvirke worker`, which enqueues `run_daily` when it starts and every hour after;
each task is safe to run again (sent reminders are recorded, closing checks the state).
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from samvirke.baseline.reminders import open_campaigns_past_deadline, reminders_send_due
from samvirke.baseline.services import campaign_close

logger = logging.getLogger(__name__)


def _day(today: str | None) -> datetime.date:
    """The given ISO date, or today in the installation's time zone."""
    return datetime.date.fromisoformat(today) if today else timezone.localdate()


@task()
def send_due_reminders(today: str | None = None) -> int:
    """Send the reminders and deadline warnings due today; return how many were sent."""
    return len(reminders_send_due(_day(today)))


@task()
def close_campaigns_past_deadline(today: str | None = None) -> int:
    """Close open campaigns whose deadline has passed; return how many were closed."""
    closed = 0
    for campaign in open_campaigns_past_deadline(_day(today)):
        try:
            unsubmitted = campaign_close(actor=None, campaign=campaign)
        except ValidationError:
            continue  # closed by its coordinator (or another worker) meanwhile
        closed += 1
        logger.info(
            "Closed campaign %s at its deadline %s (%s assessments unsubmitted)",
            campaign.pk,
            campaign.deadline,
            unsubmitted,
        )
    return closed


@task()
def run_daily(today: str | None = None) -> dict[str, int]:
    """The periodic job: close campaigns past their deadline first, then send reminders."""
    return {
        "closed": close_campaigns_past_deadline.call(today),
        "reminders": send_due_reminders.call(today),
    }
