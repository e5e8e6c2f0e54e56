"""Building, auditing and publishing a release on a real database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from samvirke.benchmarking.models import CellReason, Release, ReleaseCell, ReleaseState
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.benchmarking.testing import DK_LIKE, population

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]


def test_dk_like_release_passes_its_audit(capsys: pytest.CaptureFixture[str]) -> None:
    pop = population(DK_LIKE)
    release = release_build(actor=None, campaign=pop.campaign)
    summary = release.summary
    assert summary["counted_organisations"] == 98
    assert summary["pinned"] == 0
    assert summary["narrowest_interval"] >= 20
    everyone_total = ReleaseCell.objects.get(
        release=release, group__partition="everyone", statistic="total"
    )
    assert not everyone_total.hidden and everyone_total.n == 98
    assert everyone_total.grid == 0.5 and everyone_total.p50 is not None
    hidden = ReleaseCell.objects.filter(release=release, hidden=True)
    assert all(c.value is None and c.n is None for c in hidden)
    assert CellReason.objects.filter(cell__release=release).count() == hidden.count()
    print(
        f"dk_like: narrowest {summary['narrowest_interval']}, "
        f"hidden {summary['hidden_share']:.1%} of {summary['cells']} cells"
    )


def test_publish_once_and_no_second_release() -> None:
    pop = population(DK_LIKE)
    release = release_build(actor=None, campaign=pop.campaign)
    with pytest.raises(ValidationError):
        release_build(actor=None, campaign=pop.campaign)
    published = release_publish(actor=None, release=release)
    assert published.state == ReleaseState.PUBLISHED
    pop.campaign.refresh_from_db()
    assert pop.campaign.state == "released"
    assert Release.objects.filter(campaign=pop.campaign).count() == 1
