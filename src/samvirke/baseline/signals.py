"""Signals the baseline sends for apps that build on it (it imports none of them)."""

from django.dispatch import Signal

#: Sent after the transaction that closed a campaign commits; argument: campaign_id.
campaign_closed = Signal()

#: Sent inside the transaction that submitted an assessment; argument: assessment.
assessment_submitted = Signal()
