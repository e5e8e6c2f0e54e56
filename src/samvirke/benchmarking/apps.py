"""Benchmarks: the only code that reads answers across organisations, and only to build releases."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchmarkingConfig(AppConfig):
    """Scores, frozen releases with disclosure control, and their audit."""

    name = "samvirke.benchmarking"
    label = "benchmarking"
    verbose_name = _("Benchmarks")

    def ready(self) -> None:
        """Stamp an assessment's scores when it is submitted; build a campaign's release in the
        background once it closes."""
        from samvirke.baseline.signals import assessment_submitted, campaign_closed
        from samvirke.benchmarking.scores import stamp_on_submit
        from samvirke.benchmarking.tasks import enqueue_on_close

        assessment_submitted.connect(stamp_on_submit, dispatch_uid="benchmarking-stamp-on-submit")
        campaign_closed.connect(enqueue_on_close, dispatch_uid="benchmarking-release-on-close")
