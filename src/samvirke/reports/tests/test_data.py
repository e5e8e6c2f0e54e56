"""The report data: own scores against published means, recommendations, departments, network."""

from __future__ import annotations

import pytest

from samvirke.baseline.models import Assessment
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.benchmarking.service import HIDDEN, Published
from samvirke.benchmarking.testing import DK_LIKE, population
from samvirke.core.scoping import organisation_scope
from samvirke.frameworks.models import Node
from samvirke.reports.data import network_report, organisation_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]


def test_organisation_and_network_report_read_the_published_release() -> None:
    pop = population(DK_LIKE)
    for question in pop.questions:
        Node.objects.filter(pk=question.pk).update(
            recommendations={
                str(level): {"en": f"Do {question.key} step {level}"} for level in range(6)
            }
        )
    release = release_publish(actor=None, release=release_build(actor=None, campaign=pop.campaign))
    organisation = pop.organisations[3]
    with organisation_scope(organisation.pk):
        assessment = Assessment.objects.get(organisation=organisation, campaign=pop.campaign)
        report = organisation_report(assessment)
    assert report.release == release
    assert report.total.own is not None
    partitions = {group.partition for group, _value in report.total.groups}
    assert partitions == {"everyone", "region", "size_class", "kind"}
    for _group, value in report.total.groups:
        assert isinstance(value, Published) or value is HIDDEN
    assert len(report.areas) == 3
    assert report.recommendations and report.recommendations[0].text.startswith("Do ")
    priorities = [r.priority for r in report.recommendations]
    assert priorities == sorted(priorities, reverse=True)
    assert [p.year for p in report.trend] == [2026]
    network = network_report(release)
    assert network.counted == 98 and network.participants == 98
    assert len(network.statistics) == 4
