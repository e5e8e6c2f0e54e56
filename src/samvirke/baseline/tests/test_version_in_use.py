"""A framework version that a campaign uses can never change."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from samvirke.baseline.services import campaign_create
from samvirke.core.testing import World
from samvirke.frameworks.models import FrameworkVersion, Node
from samvirke.frameworks.parsing import LIBRARY_DIR, LibraryError
from samvirke.frameworks.services import frameworks_load

pytestmark = pytest.mark.django_db


def test_a_version_in_use_refuses_changed_content(world: World, tmp_path: Path) -> None:
    library = tmp_path / "cfcs-top4"
    shutil.copytree(LIBRARY_DIR / "cfcs-top4", library)
    frameworks_load(paths=[library])
    version = FrameworkVersion.objects.get(framework__key="cfcs-top4")
    campaign_create(
        actor=world.owner, network=world.network, framework_version=version, title="Top 4 2026",
        year=2026, opens_on=datetime.date(2026, 2, 1), deadline=datetime.date(2026, 4, 1),
    )  # fmt: skip
    nodes = library / "nodes.yaml"
    nodes.write_text(nodes.read_text(encoding="utf-8").replace("T4.1", "T4.9"), encoding="utf-8")
    titles = sorted(Node.objects.filter(version=version).values_list("key", flat=True))

    with pytest.raises(LibraryError) as refused:
        frameworks_load(paths=[library])

    assert "campaign uses it" in str(refused.value)
    assert sorted(Node.objects.filter(version=version).values_list("key", flat=True)) == titles
