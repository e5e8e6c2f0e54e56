"""XLSX import of a question set, XLSX and YAML export, and their pages."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from django.test import Client

from conftest import login
from samvirke.audit.models import AuditChain, AuditEntry
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member
from samvirke.frameworks.exporters import (
    export_xlsx,
    export_yaml,
    export_yaml_zip,
    import_template,
)
from samvirke.frameworks.importers import read_workbook, workbook_import
from samvirke.frameworks.models import (
    Framework,
    FrameworkVersion,
    Mapping,
    MappingSet,
    Node,
)
from samvirke.frameworks.parsing import LIBRARY_DIR, LibraryError, Problem, parse_framework_dir
from samvirke.frameworks.services import frameworks_load
from samvirke.tenancy.roles import Role

DATA = Path(__file__).parent / "data"
ONBOARDING = DATA / "test-net-onboarding"
MODELS = (Framework, FrameworkVersion, Node, MappingSet, Mapping)


def counts() -> dict[str, int]:
    found = {model.__name__: model.objects.count() for model in MODELS}
    found["audit entries"] = sum(AuditChain.objects.values_list("last_seq", flat=True))
    return found


@pytest.fixture
def onboarding(db: None) -> FrameworkVersion:
    """The test question set, loaded with the framework it maps to."""
    frameworks_load(paths=[LIBRARY_DIR / "cfcs-top4", ONBOARDING])
    return FrameworkVersion.objects.get(framework__key="test-net-onboarding")


def edited(data: bytes, change: Callable[[openpyxl.Workbook], None]) -> bytes:
    """A workbook with some cells changed."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(data: bytes, organisation: object = None) -> list[Problem]:
    """Import, expect a LibraryError, check that nothing changed, return the problems."""
    before = counts()
    with pytest.raises(LibraryError) as raised:
        workbook_import(data=data, actor=None, organisation=organisation)  # type: ignore[arg-type]
    assert counts() == before
    return raised.value.problems


def located(
    problems: list[Problem], sheet: str, row: int | None, column: str, message: str
) -> None:
    assert any(
        p.file == sheet and p.line == row and p.key == column and message in p.message
        for p in problems
    ), f"no {sheet}/{row}/{column}/{message!r} in:\n" + "\n".join(map(str, problems))


def nodes_row(book: openpyxl.Workbook, node_id: str) -> int:
    sheet = book["Nodes"]
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == node_id)


def column(book: openpyxl.Workbook, sheet: str, name: str) -> int:
    return next(c.column for c in book[sheet][1] if c.value == name)


def set_cell(
    sheet: str, node_id: str, name: str, value: object
) -> Callable[[openpyxl.Workbook], None]:
    def change(book: openpyxl.Workbook) -> None:
        book[sheet].cell(nodes_row(book, node_id), column(book, sheet, name)).value = value

    return change


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_shipped_framework_round_trips_through_xlsx_and_yaml(tmp_path: Path) -> None:
    frameworks_load(paths=[])
    for version in FrameworkVersion.objects.select_related("framework"):
        framework, _cells = read_workbook(export_xlsx(version))
        assert framework.checksum() == version.checksum, f"{version} via XLSX"
        for name, text in export_yaml(version).items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text, encoding="utf-8")
        problems: list[Problem] = []
        parsed = parse_framework_dir(tmp_path / version.framework.key, problems)
        assert not problems and parsed is not None
        assert parsed.checksum() == version.checksum, f"{version} via YAML"
    before = counts()
    report = frameworks_load(paths=[tmp_path])
    assert report.created == [] and len(report.unchanged) >= 6
    assert counts() == before


def test_the_test_set_round_trips_with_every_field(onboarding: FrameworkVersion) -> None:
    data = export_xlsx(onboarding)
    framework, _cells = read_workbook(data)
    assert framework.checksum() == onboarding.checksum
    book = openpyxl.load_workbook(io.BytesIO(data))
    help_en = book["Nodes"].cell(nodes_row(book, "ON.01"), column(book, "Nodes", "help_en"))
    assert help_en.data_type == "s" and help_en.value.startswith("=Only count")
    report = workbook_import(data=data, actor=None, organisation=None)
    assert report.unchanged == ["test-net-onboarding 2026.1"] and report.created == []


def test_yaml_export_is_a_loadable_library_directory(onboarding: FrameworkVersion) -> None:
    archive = zipfile.ZipFile(io.BytesIO(export_yaml_zip(onboarding)))
    assert sorted(archive.namelist()) == [
        "test-net-onboarding/framework.yaml",
        "test-net-onboarding/nodes.yaml",
    ]
    nodes = archive.read("test-net-onboarding/nodes.yaml").decode()
    assert nodes.startswith("# Licence: CC-BY-4.0.")
    assert "id: 'ON'" in nodes  # quoted, or YAML would read it as true


# --- a good import -------------------------------------------------------------------------


def test_a_good_workbook_is_loaded_with_everything_in_it(world: World) -> None:
    frameworks_load(paths=[LIBRARY_DIR / "cfcs-top4"])
    with pytest.raises(FrameworkVersion.DoesNotExist):
        FrameworkVersion.objects.get(framework__key="test-net-onboarding")
    data = _onboarding_workbook(world)
    report = workbook_import(data=data, actor=world.owner, organisation=world.org_a)
    assert report.created == ["test-net-onboarding 2026.1"] and report.nodes == 10
    version = FrameworkVersion.objects.get(framework__key="test-net-onboarding")
    question = version.nodes.get(key="ON.01")
    assert question.parent.key == "ON.G1" and question.depth == 2  # type: ignore[union-attr]
    assert question.weight == 2.5 and question.answer_level == "unit"
    assert question.roles == ["hr", "management"] and question.allows_not_applicable
    assert question.help["da"] == "Tæl kun en fast introduktion.\nEn linje mere."
    relations = {(m.target_node.key, m.relation) for m in question.mappings_out.all()}
    assert relations == {("T4.4", "intersects"), ("T4.1", "subset")}
    choice = version.nodes.get(key="ON.02")
    assert [o["id"] for o in choice.options] == ["1", "later"]
    assert version.nodes.get(key="ON.03").number_max == 365.5
    with organisation_scope(world.org_a.pk):
        entry = AuditEntry.objects.get(action="frameworks.version.loaded")
    assert entry.actor == world.owner and entry.object_id == str(version.pk)


def _onboarding_workbook(world: World) -> bytes:
    """The test set as a workbook, made on a throw-away load and then removed again."""
    frameworks_load(paths=[ONBOARDING])
    version = FrameworkVersion.objects.get(framework__key="test-net-onboarding")
    data = export_xlsx(version)
    Framework.objects.filter(key="test-net-onboarding").delete()
    return data


@pytest.fixture
def workbook(world: World) -> bytes:
    """A good workbook of the test set; cfcs-top4 is loaded, the test set is not."""
    frameworks_load(paths=[LIBRARY_DIR / "cfcs-top4"])
    return _onboarding_workbook(world)


def test_the_template_is_a_valid_workbook(db: None) -> None:
    framework, _cells = read_workbook(import_template())
    assert framework.key == "network-code-my-questions"
    assert [n.key for n in framework.nodes] == ["AREA1", "AREA1.01"]


# --- bad imports: refused, located, nothing changed ------------------------------------------


def test_a_file_that_is_not_xlsx_is_refused(workbook: bytes) -> None:
    for data in (b"%PDF-1.7 not a workbook", b"", b"id;title\n1;x\n"):
        located(refused(data), "workbook", None, "", "not an Excel workbook")


def test_a_zip_that_is_not_xlsx_is_refused(workbook: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    located(refused(buffer.getvalue()), "workbook", None, "", "not an Excel workbook")


def test_a_damaged_workbook_is_refused(workbook: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("xl/workbook.xml", "not xml at all")
    located(refused(buffer.getvalue()), "workbook", None, "", "cannot be read")


def test_an_oversized_file_is_refused(workbook: bytes) -> None:
    located(refused(workbook + b"\0" * (5 * 1024 * 1024)), "workbook", None, "", "larger than 5 MB")


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


def test_a_zip_bomb_is_refused_before_it_is_opened(workbook: bytes) -> None:
    bomb = zip_bomb(60 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    located(refused(bomb), "workbook", None, "", "unpacks to too much data")


def test_a_highly_compressed_member_is_refused(workbook: bytes) -> None:
    located(refused(zip_bomb(4 * 1024 * 1024)), "workbook", None, "", "unpacks to too much data")


def test_wrong_headers_are_named(workbook: bytes) -> None:
    def rename(book: openpyxl.Workbook) -> None:
        book["Nodes"].cell(1, column(book, "Nodes", "title_en"), "titel_en")
        book["Nodes"].cell(1, column(book, "Nodes", "kind"), "sort")

    problems = refused(edited(workbook, rename))
    located(problems, "Nodes", 1, "titel_en", "Unknown column")
    located(problems, "Nodes", 1, "sort", "Unknown column")
    located(problems, "Nodes", 1, "kind", "column is missing")


def test_a_missing_sheet_is_named(workbook: bytes) -> None:
    def drop(book: openpyxl.Workbook) -> None:
        del book["Nodes"]

    located(refused(edited(workbook, drop)), "Nodes", None, "", "is missing")


def test_an_unknown_parent_is_located(workbook: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    row = nodes_row(book, "ON.03")
    problems = refused(edited(workbook, set_cell("Nodes", "ON.03", "parent", "NOPE")))
    located(problems, "Nodes", row, "parent", "parent 'NOPE' does not exist")


def test_a_missing_title_is_located(workbook: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    row = nodes_row(book, "ON.05")
    problems = refused(edited(workbook, set_cell("Nodes", "ON.05", "title_en", None)))
    located(problems, "Nodes", row, "title_en", "text missing in en")


def test_a_title_missing_in_every_language_is_located(workbook: bytes) -> None:
    def clear(book: openpyxl.Workbook) -> None:
        for lang in ("da", "nb", "en"):
            set_cell("Nodes", "ON.06", f"title_{lang}", None)(book)

    book = openpyxl.load_workbook(io.BytesIO(workbook))
    problems = refused(edited(workbook, clear))
    located(
        problems,
        "Nodes",
        nodes_row(book, "ON.06"),
        "title_da, title_nb, title_en",
        "required key is missing: 'title'",
    )


def test_duplicate_ids_are_located(workbook: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    first, second = nodes_row(book, "ON.04"), nodes_row(book, "ON.06")
    problems = refused(edited(workbook, set_cell("Nodes", "ON.06", "id", "ON.04")))
    located(problems, "Nodes", second, "id", f"(first used in row {first})")


def test_a_wrong_type_is_located(workbook: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    row = nodes_row(book, "ON.01")
    problems = refused(edited(workbook, set_cell("Nodes", "ON.01", "weight", "heavy")))
    located(problems, "Nodes", row, "weight", "expected number")


def test_a_recommendation_for_no_answer_is_located(workbook: bytes) -> None:
    def add(book: openpyxl.Workbook) -> None:
        sheet = book["Nodes"]
        sheet.cell(1, sheet.max_column + 1, "recommendation_never_en")
        sheet.cell(nodes_row(book, "ON.02"), sheet.max_column, "Do something.")

    book = openpyxl.load_workbook(io.BytesIO(workbook))
    problems = refused(edited(workbook, add))
    located(
        problems,
        "Nodes",
        nodes_row(book, "ON.02"),
        "recommendation_never",
        "'never' is not an answer",
    )


def test_a_dangling_mapping_is_located(workbook: bytes) -> None:
    def change(book: openpyxl.Workbook) -> None:
        book["Mappings"].cell(4, 3, "T4.9")

    book = openpyxl.load_workbook(io.BytesIO(workbook))
    assert book["Mappings"].cell(4, 1).value == "ON.05"
    located(refused(edited(workbook, change)), "Mappings", 4, "to", "T4.9")


def test_an_option_of_an_unknown_question_is_located(workbook: bytes) -> None:
    def change(book: openpyxl.Workbook) -> None:
        book["Options"].cell(3, 1, "ON.99")

    located(refused(edited(workbook, change)), "Options", 3, "question", "No node with id")


def test_an_unknown_framework_key_is_located(workbook: bytes) -> None:
    def change(book: openpyxl.Workbook) -> None:
        book["Framework"].append(["owner", "me"])

    problems = refused(edited(workbook, change))
    sheet = openpyxl.load_workbook(io.BytesIO(edited(workbook, change)))["Framework"]
    located(problems, "Framework", sheet.max_row, "key", "Unknown key")


def test_a_changed_set_under_a_loaded_version_is_refused(workbook: bytes, world: World) -> None:
    workbook_import(data=workbook, actor=world.owner, organisation=world.org_a)
    problems = refused(edited(workbook, set_cell("Nodes", "ON.06", "title_en", "Other?")))
    located(problems, "Framework", 3, "value", "already loaded with other content")


def test_only_a_network_of_ones_own_may_own_an_imported_set(workbook: bytes, world: World) -> None:
    def rename(key: str) -> Callable[[openpyxl.Workbook], None]:
        def change(book: openpyxl.Workbook) -> None:
            book["Framework"].cell(2, 2, key)

        return change

    problems = refused(edited(workbook, rename("other-net-onboarding")), world.org_a)
    located(problems, "Framework", 2, "value", "test-net-my-questions")
    located(refused(workbook, world.org_b), "Framework", 2, "value", "network your organisation")
    located(
        refused(edited(workbook, rename("cfcs-top4")), world.org_a),
        "Framework",
        2,
        "value",
        "shipped with Samvirke",
    )


# --- the pages -----------------------------------------------------------------------------


@pytest.fixture
def coordinator(client: Client, world: World) -> Client:
    add_member(world.owner, world.org_a, Role.NETWORK_COORDINATOR)
    return login(client, world.owner)


def upload(client: Client, data: bytes, name: str = "set.xlsx") -> object:
    file = io.BytesIO(data)
    file.name = name
    return client.post("/frameworks/import/", {"workbook": file})


def test_import_page_needs_the_coordinator_permission(client: Client, world: World) -> None:
    assert client.get("/frameworks/import/").status_code == 302  # to login
    login(client, world.owner)
    assert client.get("/frameworks/import/").status_code == 403
    assert client.get("/frameworks/import/template.xlsx").status_code == 403
    add_member(world.owner, world.org_a, Role.NETWORK_COORDINATOR)
    response = client.get("/frameworks/import/")
    assert response.status_code == 200
    assert b"/frameworks/import/template.xlsx" in response.content


def test_import_page_loads_a_good_workbook(coordinator: Client, workbook: bytes) -> None:
    response = upload(coordinator, workbook)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert FrameworkVersion.objects.filter(framework__key="test-net-onboarding").exists()
    page = coordinator.get(response.url)  # type: ignore[attr-defined]
    assert "test-net-onboarding 2026.1" in page.content.decode()


def test_import_page_lists_located_problems_and_changes_nothing(
    coordinator: Client, workbook: bytes
) -> None:
    bad = edited(workbook, set_cell("Nodes", "ON.03", "parent", "NOPE"))
    before = counts()
    response = upload(coordinator, bad)
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "<td>Nodes</td>" in html and "<td>parent</td>" in html and "NOPE" in html
    assert counts() == before


def test_import_page_refuses_other_files(coordinator: Client, workbook: bytes) -> None:
    before = counts()
    for data in (b"%PDF-1.7", zip_bomb(60 * 1024 * 1024)):
        response = upload(coordinator, data)
        assert response.status_code == 400  # type: ignore[attr-defined]
    response = upload(coordinator, b"\0" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "larger than 5 MB" in response.content.decode()  # type: ignore[attr-defined]
    assert counts() == before


def test_template_download(coordinator: Client) -> None:
    response = coordinator.get("/frameworks/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Framework", "Nodes", "Options", "Mappings"]
    assert book["Nodes"].cell(1, 1).value == "id"


def test_exports_download_and_unknown_ones_are_404(
    client: Client, world: World, onboarding: FrameworkVersion
) -> None:
    login(client, world.member)
    base = "/frameworks/test-net-onboarding/2026.1"
    xlsx = client.get(f"{base}/export.xlsx")
    assert xlsx.status_code == 200
    assert "test-net-onboarding-2026.1.xlsx" in xlsx["Content-Disposition"]
    assert read_workbook(xlsx.content)[0].checksum() == onboarding.checksum
    assert client.get(f"{base}/export.yaml")["Content-Type"] == "application/zip"
    oscal = client.get(f"{base}/export.oscal")
    assert oscal.status_code == 200 and oscal.json()["catalog"]["metadata"]["version"] == "2026.1"
    for url in (
        f"{base}/export.pdf",
        "/frameworks/test-net-onboarding/9/export.xlsx",
        "/frameworks/nothing/2026.1/export.xlsx",
    ):
        assert client.get(url).status_code == 404


def test_problems_are_located_and_worded_in_the_users_language(workbook: bytes) -> None:
    from django.utils import translation

    book = openpyxl.load_workbook(io.BytesIO(workbook))
    first, second = nodes_row(book, "ON.04"), nodes_row(book, "ON.06")
    with translation.override("da"):
        missing = refused(edited(workbook, set_cell("Nodes", "ON.05", "title_en", None)))
        duplicate = refused(edited(workbook, set_cell("Nodes", "ON.06", "id", "ON.04")))
    located(missing, "Nodes", nodes_row(book, "ON.05"), "title_en", "tekst mangler på en")
    located(duplicate, "Nodes", second, "id", f"første gang i række {first}")


def test_a_sheet_declaring_a_million_rows_is_refused_without_reading_them(workbook: bytes) -> None:
    def far_away(book: openpyxl.Workbook) -> None:
        book["Nodes"].cell(row=1_048_576, column=16_384).value = "x"

    problems = refused(edited(workbook, far_away))
    assert any("20000 rows" in str(p) or "20,000 rows" in str(p) for p in problems), problems
