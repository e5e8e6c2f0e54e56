"""Excel export and import of an assessment: round trip, delegation, versions, bad files."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from conftest import login
from samvirke.audit.models import AuditEntry
from samvirke.baseline.excel import (
    ABOUT_FIELDS,
    ANSWERS_SHEET,
    INDEX,
    CellError,
    export_workbook,
)
from samvirke.baseline.imports import ImportResult, answers_import
from samvirke.baseline.models import (
    Answer,
    AnswerRevision,
    Assessment,
    Campaign,
)
from samvirke.baseline.services import answer_save, assessment_submit, delegation_assign
from samvirke.baseline.tests.conftest import QuestionSet, open_campaign
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World

pytestmark = pytest.mark.django_db

Row = tuple[str, int | None]  # question key, org unit id


# --- helpers -------------------------------------------------------------------------------


def export(
    world: World, assessment: Assessment, user: Any = None, everything: bool = True
) -> bytes:
    return export_workbook(assessment=assessment, user=user or world.owner, everything=everything)


def rows_of(data: bytes) -> dict[Row, int]:
    """(question key, unit id) → row number in the Answers sheet."""
    sheet = openpyxl.load_workbook(io.BytesIO(data))[ANSWERS_SHEET]
    found = {}
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        found[(values[INDEX["question"] - 1], values[INDEX["unit_id"] - 1])] = number
    return found


def fill(
    data: bytes, answers: dict[Row, dict[str, Any]], about: dict[str, Any] | None = None
) -> bytes:
    """The workbook with some cells of some rows (and of the About sheet) changed."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet, rows = book[ANSWERS_SHEET], rows_of(data)
    for row, cells in answers.items():
        for key, value in cells.items():
            cell = sheet.cell(row=rows[row], column=INDEX[key], value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # typed text, even when it looks like a formula
    keys = [key for key, _label in ABOUT_FIELDS]
    for key, value in (about or {}).items():
        book["About"].cell(row=keys.index(key) + 2, column=3, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def state(assessment: Assessment) -> tuple[list[tuple[Any, ...]], int]:
    """Every stored answer as it stands, and how many revisions exist."""
    answers = Answer.objects.filter(assessment=assessment).order_by("pk")
    fields = ("question_id", "org_unit_id", "value", "comment", "version", "via")
    return list(answers.values_list(*fields)), AnswerRevision.objects.count()


def audited(world: World, action: str) -> list[AuditEntry]:
    entries = AuditEntry.objects.filter(organisation=world.org_a, action=action)
    return list(entries.order_by("seq"))


def refused(
    world: World, assessment: Assessment, data: bytes, actor: Any = None
) -> list[CellError]:
    """Import a bad file: refused, nothing changed, the refusal audited; the errors."""
    before = state(assessment)
    refusals = len(audited(world, "baseline.answers.import_refused"))
    result = answers_import(actor=actor or world.owner, assessment=assessment, upload=data)
    assert not result.ok and result.saved == 0
    assert state(assessment) == before
    entries = audited(world, "baseline.answers.import_refused")
    assert len(entries) == refusals + 1
    assert entries[-1].changes["errors"] == len(result.errors)
    assert not audited(world, "baseline.answers.imported")
    return result.errors


def located(errors: list[CellError], sheet: str, row: int | None, column: str, text: str) -> None:
    assert any(
        (e.sheet, e.row, e.column) == (sheet, row, column) and text in e.message for e in errors
    ), errors


def letter(key: str) -> str:
    return openpyxl.utils.get_column_letter(INDEX[key])


def imported(world: World, assessment: Assessment, data: bytes, actor: Any = None) -> ImportResult:
    result = answers_import(actor=actor or world.owner, assessment=assessment, upload=data)
    assert result.ok, result.errors
    return result


# --- the round trip ------------------------------------------------------------------------


def test_round_trip_saves_every_answer_through_the_import(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    unit = world.unit_a.pk
    data = export(world, assessment)
    assert set(rows_of(data)) == {
        ("A1.1", None),
        ("A1.2", unit),
        ("A2.1", None),
        ("A2.2", None),
        ("A2.3", None),
        ("A2.4", None),
    }
    filled = fill(
        data,
        {
            ("A1.1", None): {"value": 4, "comment": "Checked by IT", "unsure": "x"},
            ("A1.2", unit): {"value": "Partly"},
            ("A2.1", None): {"value": "12,5"},
            ("A2.2", None): {"value": "Option B"},
            ("A2.3", None): {"value": "b; a"},
            ("A2.4", None): {"value": "=SUM(A1:A9) is not a formula here"},
        },
    )
    result = imported(world, assessment, filled)
    assert (result.saved, result.unchanged) == (6, 0)
    stored = {a.question.key: a for a in Answer.objects.filter(assessment=assessment)}
    assert stored["A1.1"].value == 4 and stored["A1.1"].unsure
    assert stored["A1.1"].comment == "Checked by IT"
    assert stored["A1.2"].value == "partly" and stored["A1.2"].org_unit_id == unit
    assert stored["A2.1"].value == 12.5
    assert stored["A2.2"].value == "b" and stored["A2.3"].value == ["a", "b"]
    assert stored["A2.4"].value == "=SUM(A1:A9) is not a formula here"
    assert {(a.version, a.via) for a in stored.values()} == {(1, "import")}
    revisions = AnswerRevision.objects.filter(answer__assessment=assessment)
    assert revisions.count() == 6 and set(revisions.values_list("via", flat=True)) == {"import"}
    assert len(audited(world, "baseline.answer.saved")) == 6
    (entry,) = audited(world, "baseline.answers.imported")
    assert entry.changes == {"saved": 6, "unchanged": 0} and entry.actor == world.owner

    # The same file again: every row is now unchanged, nothing is written.
    again = imported(world, assessment, filled)
    assert (again.saved, again.unchanged) == (0, 6)
    assert AnswerRevision.objects.filter(answer__assessment=assessment).count() == 6

    # A new export carries the stored answers and versions.
    sheet = openpyxl.load_workbook(io.BytesIO(export(world, assessment)))[ANSWERS_SHEET]
    row = rows_of(export(world, assessment))[("A1.2", unit)]
    assert sheet.cell(row, INDEX["value"]).value == "Partly"
    assert sheet.cell(row, INDEX["version"]).value == 1


def test_the_workbook_guides_and_protects(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    book = openpyxl.load_workbook(io.BytesIO(export(world, assessment)))
    sheet = book[ANSWERS_SHEET]
    assert sheet.freeze_panes == "B2" and sheet.protection.sheet
    row = rows_of(export(world, assessment))[("A1.1", None)]
    assert not sheet.cell(row, INDEX["value"]).protection.locked
    assert sheet.cell(row, INDEX["question"]).protection.locked
    lists = {str(rule.formula1) for rule in sheet.data_validations.dataValidation}
    assert '"0,1,2,3,4,5"' in lists and '"Yes,Partly,No"' in lists
    about = {r[0]: r[2] for r in book["About"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert about["organisation_code"] == "901" and about["assessment_id"] == assessment.pk
    assert about["campaign_year"] == 2026 and len(about["identity"]) == 32


def test_last_years_answer_is_shown_beside_this_years(
    world: World, questions: QuestionSet, in_a: None
) -> None:
    earlier = open_campaign(world, questions.version, year=2025)
    old = Assessment.objects.get(organisation=world.org_a, campaign=earlier)
    answer_save(
        actor=world.owner,
        assessment=old,
        question=questions.maturity,
        org_unit=None,
        data={"value": 2, "comment": "last year"},
        base_version=0,
    )
    current = open_campaign(world, questions.version, year=2026)
    assessment = Assessment.objects.get(organisation=world.org_a, campaign=current)
    data = export(world, assessment)
    sheet = openpyxl.load_workbook(io.BytesIO(data))[ANSWERS_SHEET]
    row = rows_of(data)[("A1.1", None)]
    assert sheet.cell(row, INDEX["last_value"]).value == 2
    assert sheet.cell(row, INDEX["last_comment"]).value == "last year"
    assert sheet.cell(row, INDEX["value"]).value is None


# --- delegation ----------------------------------------------------------------------------


def test_a_respondent_exports_only_what_is_delegated_and_may_import_it(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_1, user=world.member
    )
    data = export(world, assessment, world.member, everything=False)
    assert set(rows_of(data)) == {("A1.1", None), ("A1.2", world.unit_a.pk)}
    cells = {("A1.2", world.unit_a.pk): {"value": "yes"}, ("A1.1", None): {"value": 1}}
    result = imported(world, assessment, fill(data, cells), world.member)
    assert result.saved == 2
    assert set(Answer.objects.values_list("updated_by", flat=True)) == {world.member.pk}


def test_a_respondent_cannot_import_rows_not_delegated_to_them(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_1, user=world.member
    )
    data = export(world, assessment)  # the coordinator's file, with every row
    cells = {("A1.1", None): {"value": 3}, ("A2.1", None): {"value": 5}}
    errors = refused(world, assessment, fill(data, cells), world.member)
    row = rows_of(data)[("A2.1", None)]
    located(errors, ANSWERS_SHEET, row, letter("question"), "not been delegated to you")
    assert [e.code for e in errors] == ["not_delegated"]


def test_a_reader_exports_everything(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    data = export(world, assessment, world.reader, everything=True)
    assert len(rows_of(data)) == 6


# --- bad rows ------------------------------------------------------------------------------


def test_a_row_changed_since_the_export_is_refused_and_nothing_is_imported(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    data = export(world, assessment)
    answer_save(
        actor=world.owner,
        assessment=assessment,
        question=questions.maturity,
        org_unit=None,
        data={"value": 5},
        base_version=0,
    )
    cells = {("A1.1", None): {"value": 2}, ("A2.1", None): {"value": 7}}
    errors = refused(world, assessment, fill(data, cells))
    located(errors, ANSWERS_SHEET, rows_of(data)[("A1.1", None)], letter("version"), "version 1")
    assert not Answer.objects.filter(question=questions.number).exists()


def test_values_outside_the_question_are_located(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    data = export(world, assessment)
    rows = rows_of(data)
    cells = {
        ("A1.1", None): {"value": 7},
        ("A2.1", None): {"value": 101},
        ("A2.2", None): {"value": "c"},
        ("A2.3", None): {"value": "a", "dont_know": "perhaps"},
        ("A2.4", None): {"not_applicable": "yes", "not_applicable_reason": "n/a"},
    }
    errors = refused(world, assessment, fill(data, cells))
    located(errors, ANSWERS_SHEET, rows[("A1.1", None)], letter("value"), "from 0 to 5")
    located(errors, ANSWERS_SHEET, rows[("A2.1", None)], letter("value"), "or less")
    located(errors, ANSWERS_SHEET, rows[("A2.2", None)], letter("value"), "one of the options")
    located(errors, ANSWERS_SHEET, rows[("A2.3", None)], letter("dont_know"), "Yes")
    located(errors, ANSWERS_SHEET, rows[("A2.4", None)], letter("not_applicable"), "not applicable")
    assert len(errors) == 5


def test_unknown_and_edited_question_ids_are_located(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    data = export(world, assessment)
    rows = rows_of(data)
    cells = {
        ("A2.1", None): {"question": "ZZ.9", "value": 1},
        ("A2.2", None): {"question": "A2.4", "value": "x"},  # a real id, but not this row's
    }
    errors = refused(world, assessment, fill(data, cells))
    located(errors, ANSWERS_SHEET, rows[("A2.1", None)], "A", "No question with the id “ZZ.9”")
    located(errors, ANSWERS_SHEET, rows[("A2.2", None)], "A", "changed after the export")


def test_a_changed_column_layout_is_refused(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    book = openpyxl.load_workbook(io.BytesIO(export(world, assessment)))
    book[ANSWERS_SHEET].cell(1, INDEX["value"], value="My answer")
    out = io.BytesIO()
    book.save(out)
    errors = refused(world, assessment, out.getvalue())
    located(errors, ANSWERS_SHEET, 1, letter("value"), "“Answer”")


# --- whose file ----------------------------------------------------------------------------


def test_another_organisations_export_is_refused(
    world: World, questions: QuestionSet, campaign: Campaign, assessment: Assessment
) -> None:
    with organisation_scope(world.org_b.pk):
        theirs = Assessment.objects.get(organisation=world.org_b, campaign=campaign)
        data = export(world, theirs, world.outsider)
    data = fill(data, {("A1.1", None): {"value": 3}})
    errors = refused(world, assessment, data)
    located(errors, "About", 3, "C", "another organisation (902)")
    assert {e.code for e in errors} == {"other_organisation"}


def test_another_campaigns_export_is_refused(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    other = open_campaign(world, questions.version, year=2025)
    last_year = Assessment.objects.get(organisation=world.org_a, campaign=other)
    data = fill(export(world, last_year), {("A1.1", None): {"value": 3}})
    errors = refused(world, assessment, data)
    located(errors, "About", 5, "C", "another campaign (2025)")


def test_an_edited_about_sheet_is_refused(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    data = fill(export(world, assessment), {}, about={"identity": "0" * 32})
    located(refused(world, assessment, data), "About", 13, "C", "identity check")


def test_a_locked_assessment_takes_no_import(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    data = fill(export(world, assessment), {("A1.1", None): {"value": 3}})
    assessment_submit(actor=world.owner, assessment=assessment)
    errors = refused(world, assessment, data)
    located(errors, "About", 8, "C", "locked")


# --- bad files -----------------------------------------------------------------------------


def zip_bomb(member_bytes: int) -> bytes:
    """A small file dressed as a workbook that unpacks to `member_bytes` of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7 not a workbook", "not an Excel workbook"),
        (b"id;answer\nA1.1;3\n", "not an Excel workbook"),
        (b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024), "larger than 5 MB"),
        (zip_bomb(60 * 1024 * 1024), "unpacks to too much data"),
    ],
    ids=["pdf", "csv", "oversized", "zip-bomb"],
)
def test_files_that_are_not_a_workbook_are_refused(
    world: World, questions: QuestionSet, assessment: Assessment, data: bytes, message: str
) -> None:
    (error,) = refused(world, assessment, data)
    assert (error.sheet, error.row, error.column) == ("", None, "") and message in error.message


def test_every_error_is_located_and_in_danish_for_a_danish_user(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    data = export(world, assessment)
    cells = {("A1.1", None): {"value": 9}, ("A2.1", None): {"value": "mange"}}
    with translation.override("da"):
        errors = refused(world, assessment, fill(data, cells))
        whole = refused(world, assessment, b"not a workbook")
    assert len(errors) == 2 and all(e.sheet and e.row and e.column for e in errors)
    located(errors, ANSWERS_SHEET, rows_of(data)[("A1.1", None)], letter("value"), "Vælg et niveau")
    assert "Excel" in whole[0].message and "ikke" in whole[0].message


# --- the pages -----------------------------------------------------------------------------


def upload(client: Client, path: str, data: bytes) -> Any:
    file = io.BytesIO(data)
    file.name = "answers.xlsx"
    return client.post(path, {"workbook": file})


def test_pages_export_and_import(
    client: Client, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    login(client, world.owner)
    base = f"/baseline/assessments/{assessment.pk}"
    response = client.get(f"{base}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"assessment-{assessment.pk}.xlsx" in response["Content-Disposition"]
    page = client.get(f"{base}/import/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    bad = upload(client, f"{base}/import/", fill(response.content, {("A1.1", None): {"value": 8}}))
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "<td>Answers</td>" in html and "from 0 to 5" in html
    assert f"<td>{rows_of(response.content)[('A1.1', None)]}</td>" in html
    good = upload(client, f"{base}/import/", fill(response.content, {("A1.1", None): {"value": 3}}))
    assert good.status_code == 302
    assert "Answers saved: 1. Rows unchanged: 5." in client.get(good.url).content.decode()
    assert Answer.objects.get(question=questions.maturity).via == "import"


def test_page_refusals(
    client: Client, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    base = f"/baseline/assessments/{assessment.pk}"
    login(client, world.reader)
    assert client.get(f"{base}/export.xlsx").status_code == 200
    assert client.get(f"{base}/import/").status_code == 403
    login(client, world.owner)
    assert client.post(f"{base}/import/", {}).status_code == 400  # no file
    response = upload(client, f"{base}/import/", b"%PDF-1.7")
    assert response.status_code == 400 and "The whole file" in response.content.decode()
    with organisation_scope(world.org_b.pk):
        theirs = Assessment.objects.get(organisation=world.org_b)
    assert client.get(f"/baseline/assessments/{theirs.pk}/export.xlsx").status_code == 404
    assert upload(client, f"/baseline/assessments/{theirs.pk}/import/", b"x").status_code == 404
    assert not Answer.objects.exists()


def test_a_respondents_download_holds_only_their_rows(
    client: Client, world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.number, user=world.member
    )
    login(client, world.member)
    response = client.get(f"/baseline/assessments/{assessment.pk}/export.xlsx")
    assert response.status_code == 200
    assert set(rows_of(response.content)) == {("A2.1", None)}
