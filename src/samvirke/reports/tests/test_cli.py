"""`samvirke report`: files written for each kind, clear errors and no file for bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from samvirke.benchmarking.models import Release, ReleaseState
from samvirke.reports.tests.conftest import Reports, make_release

pytestmark = pytest.mark.django_db


def report(*args: str) -> None:
    call_command("report", *args, verbosity=0)


def test_organisation_and_department_reports_are_written(reports: Reports, tmp_path: Path) -> None:
    out = tmp_path / "organisation.xlsx"
    report(
        "organisation",
        "--organisation",
        "901",
        "--year",
        "2026",
        "--format",
        "xlsx",
        "--language",
        "en",
        "-o",
        str(out),
    )
    assert zipfile.is_zipfile(out)
    unit = tmp_path / "hr.html"
    report(
        "department",
        "--organisation",
        "901",
        "--year",
        "2026",
        "--unit",
        "alfa hr",
        "--format",
        "html",
        "--language",
        "nb",
        "-o",
        str(unit),
    )
    assert "Alfa HR" in unit.read_text(encoding="utf-8")
    by_id = tmp_path / "it.html"
    report(
        "department",
        "--organisation",
        "901",
        "--year",
        "2026",
        "--unit",
        str(reports.world.unit_a.pk),
        "--format",
        "html",
        "-o",
        str(by_id),
    )
    assert "Alfa IT" in by_id.read_text(encoding="utf-8")


def test_every_department_goes_into_one_zip(reports: Reports, tmp_path: Path) -> None:
    out = tmp_path / "departments.zip"
    report(
        "department",
        "--organisation",
        "901",
        "--year",
        "2026",
        "--all",
        "--format",
        "xlsx",
        "--language",
        "da",
        "-o",
        str(out),
    )
    names = zipfile.ZipFile(out).namelist()
    assert len(names) == 2 and all(name.endswith("-da.xlsx") for name in names)


def test_the_network_report_comes_from_a_published_release(
    reports: Reports, tmp_path: Path
) -> None:
    out = tmp_path / "network.xlsx"
    args = [
        "network",
        "--network",
        "test-net",
        "--year",
        "2026",
        "--format",
        "xlsx",
        "-o",
        str(out),
    ]
    make_release(reports.campaign, ReleaseState.AUDITED)
    with pytest.raises(CommandError, match="no published release"):
        report(*args)
    assert not out.exists()
    make_release(reports.campaign, ReleaseState.FAILED)
    Release.objects.filter(state=ReleaseState.AUDITED).update(state=ReleaseState.PUBLISHED)
    report(*args)
    assert zipfile.is_zipfile(out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["organisation", "--organisation", "999", "--year", "2026"], "No organisation"),
        (["organisation", "--organisation", "901", "--year", "2019"], "no assessment in 2019"),
        (
            ["organisation", "--organisation", "901", "--year", "2026", "--network", "nope"],
            "No network",
        ),
        (["department", "--organisation", "901", "--year", "2026", "--unit", "Beta IT"], "no unit"),
        (
            ["organisation", "--organisation", "901", "--year", "2026", "--language", "sv"],
            "language",
        ),
        (["organisation", "--organisation", "901", "--year", "2026", "--format", "docx"], "format"),
        (["network", "--network", "test-net", "--year", "2026"], "no published release"),
    ],
)
def test_bad_input_fails_clearly_and_writes_nothing(
    reports: Reports, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "report.pdf"
    with pytest.raises(CommandError, match=message):
        report(*args, "-o", str(out))
    assert not out.exists()
