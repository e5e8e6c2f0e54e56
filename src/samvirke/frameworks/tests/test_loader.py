"""The library loader: malformed files are refused with located problems and change nothing."""

from __future__ import annotations

import io
from pathlib import Path
from textwrap import dedent

import pytest
from django.core.management import CommandError, call_command

from samvirke.audit.models import AuditChain
from samvirke.frameworks.models import Framework, FrameworkVersion, Mapping, MappingSet, Node
from samvirke.frameworks.parsing import LIBRARY_DIR, LibraryError, Problem
from samvirke.frameworks.services import frameworks_load

pytestmark = pytest.mark.django_db

MODELS = (Framework, FrameworkVersion, Node, MappingSet, Mapping)

HEADER = """\
# Licence: CC-BY-4.0. Source: written for the tests.
framework:
  id: {id}
  version: "{version}"
  publisher: Test
  licence: CC-BY-4.0
  source: written for the tests
  languages: [da, en]
  title: {{da: Prøve, en: Test}}
"""

NODES = """\
# Licence: CC-BY-4.0. Source: written for the tests.
nodes:
  - id: AREA
    kind: area
    title: {da: Område, en: Area}
    children:
      - id: Q1
        kind: question
        type: maturity
        title: {da: "Spørgsmål?", en: "Question?"}
"""


def counts() -> dict[str, int]:
    """Rows of every frameworks model (and audit entries), to show nothing changed."""
    found = {model.__name__: model.objects.count() for model in MODELS}
    found["audit entries"] = audit_entries()
    return found


def audit_entries() -> int:
    """Audit entries in every chain (the chains are not organisation-scoped, the entries are)."""
    return sum(AuditChain.objects.values_list("last_seq", flat=True))


def framework(
    root: Path,
    key: str = "test-fw",
    *,
    version: str = "1",
    nodes: str = NODES,
    header: str | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """Write a framework directory; `files` adds or replaces node files by name."""
    directory = root / key
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "framework.yaml").write_text(
        header if header is not None else HEADER.format(id=key, version=version), encoding="utf-8"
    )
    for name, text in (files or {"nodes.yaml": nodes}).items():
        (directory / name).write_text(dedent(text), encoding="utf-8")
    return directory


def question(extra: str) -> str:
    """NODES with extra YAML lines added to question Q1 (indented for it)."""
    lines = "".join(f"        {line}\n" for line in dedent(extra).strip().splitlines())
    return NODES + lines


def refused(paths: list[Path]) -> list[Problem]:
    """Load, expect a LibraryError, check nothing changed, and return its problems."""
    before = counts()
    with pytest.raises(LibraryError) as raised:
        frameworks_load(paths=paths)
    assert counts() == before
    assert raised.value.problems
    return raised.value.problems


def find(problems: list[Problem], file: str, key: str, message: str) -> Problem:
    """The one problem in `file` whose key contains `key` and message contains `message`."""
    matches = [p for p in problems if p.file == file and key in p.key and message in p.message]
    assert matches, f"no {file} / {key} / {message!r} in:\n" + "\n".join(map(str, problems))
    return matches[0]


# --- one case per malformation: (files to write, expected file, line, key, message) -----------


def test_wrong_type_for_weight(tmp_path: Path) -> None:
    framework(tmp_path, nodes=question("weight: heavy"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "weight", "expected number")
    assert problem.line == 11
    assert problem.key == "nodes[0].children[0].weight"


def test_wrong_type_for_title(tmp_path: Path) -> None:
    nodes = NODES.replace("title: {da: Område, en: Area}", "title: Area")
    framework(tmp_path, nodes=nodes)
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "nodes[0].title", "expected object")
    assert problem.line == 5


def test_wrong_type_for_roles(tmp_path: Path) -> None:
    framework(tmp_path, nodes=question("roles: management"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "roles", "expected array")
    assert problem.line == 11


def test_duplicate_node_id_in_one_file(tmp_path: Path) -> None:
    nodes = NODES + "  - id: Q1\n    kind: area\n    title: {da: To, en: Two}\n"
    framework(tmp_path, nodes=nodes)
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "nodes[1]", "duplicate node id 'Q1'")
    assert problem.line == 11
    assert "nodes.yaml:7" in problem.message


def test_duplicate_node_id_across_files(tmp_path: Path) -> None:
    second = "nodes:\n  - id: AREA\n    kind: area\n    title: {da: Igen, en: Again}\n"
    framework(tmp_path, files={"nodes-1.yaml": NODES, "nodes-2.yaml": second})
    problem = find(refused([tmp_path]), "test-fw/nodes-2.yaml", "nodes[0]", "duplicate node id")
    assert problem.line == 2
    assert "nodes-1.yaml:3" in problem.message


def test_dangling_inline_mapping_target(tmp_path: Path) -> None:
    framework(tmp_path, "other-fw")
    framework(tmp_path, nodes=question("mappings: {other-fw: [Q1, NOPE]}"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "mappings.other-fw", "NOPE")
    assert problem.line == 11
    assert "Q1" not in problem.message


def test_inline_mapping_to_unknown_framework(tmp_path: Path) -> None:
    framework(tmp_path, nodes=question("mappings: {no-such-fw: [A.1]}"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "mappings.no-such-fw", "not loaded")
    assert problem.line == 11


MAPPING = """\
# Licence: CC-BY-4.0. Source: written for the tests.
mapping:
  from: test-fw
  to: {to}
  source: tests
  licence: CC-BY-4.0
relations:
  - {{from: Q1, to: Q1, relation: equal}}
  - {{from: AREA, to: {target}}}
"""


def mapping_file(root: Path, *, to: str = "other-fw", target: str = "AREA") -> Path:
    (root / "mappings").mkdir(exist_ok=True)
    path = root / "mappings" / f"test-fw--{to}.yaml"
    path.write_text(MAPPING.format(to=to, target=target), encoding="utf-8")
    return path


def test_dangling_target_in_mapping_file(tmp_path: Path) -> None:
    framework(tmp_path)
    framework(tmp_path, "other-fw")
    mapping_file(tmp_path, target="GONE")
    problem = find(
        refused([tmp_path]),
        "mappings/test-fw--other-fw.yaml",
        "relations[1].to",
        "'GONE' is not a node of 'other-fw'",
    )
    assert problem.line == 9


def test_unknown_framework_in_mapping_file(tmp_path: Path) -> None:
    framework(tmp_path)
    mapping_file(tmp_path, to="nowhere-fw")
    problem = find(
        refused([tmp_path]),
        "mappings/test-fw--nowhere-fw.yaml",
        "mapping.to",
        "framework 'nowhere-fw' is not loaded",
    )
    assert problem.line == 4


def test_wrong_relation_in_mapping_file(tmp_path: Path) -> None:
    framework(tmp_path)
    framework(tmp_path, "other-fw")
    path = mapping_file(tmp_path)
    path.write_text(path.read_text().replace("equal", "same"), encoding="utf-8")
    problem = find(
        refused([tmp_path]),
        "mappings/test-fw--other-fw.yaml",
        "relations[0].relation",
        "'same' is not one of",
    )
    assert problem.line == 8


def test_cycle_of_parents(tmp_path: Path) -> None:
    nodes = """\
    nodes:
      - {id: A, kind: group, parent: C, title: {da: A, en: A}}
      - {id: B, kind: group, parent: A, title: {da: B, en: B}}
      - {id: C, kind: group, parent: B, title: {da: C, en: C}}
    """
    framework(tmp_path, nodes=nodes)
    problems = refused([tmp_path])
    cycle = [p for p in problems if "cycle of parents" in p.message]
    assert {p.line for p in cycle} == {2, 3, 4}
    assert all(p.file == "test-fw/nodes.yaml" and p.key.startswith("nodes[") for p in cycle)


def test_parent_that_does_not_exist(tmp_path: Path) -> None:
    nodes = "nodes:\n  - {id: A, kind: group, parent: ZZ, title: {da: A, en: A}}\n"
    framework(tmp_path, nodes=nodes)
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "nodes[0].parent", "'ZZ' does not")
    assert problem.line == 2


def test_unknown_language_key(tmp_path: Path) -> None:
    framework(tmp_path, nodes=NODES.replace("{da: Område, en: Area}", "{da: Område, de: Bereich}"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "nodes[0].title", "'de'")
    assert problem.line == 5


def test_title_missing_in_a_declared_language(tmp_path: Path) -> None:
    framework(tmp_path, nodes=NODES.replace(', en: "Question?"}', "}"))
    problem = find(
        refused([tmp_path]), "test-fw/nodes.yaml", "children[0].title", "text missing in en"
    )
    assert problem.line == 10


def test_level_text_missing_in_a_declared_language(tmp_path: Path) -> None:
    framework(tmp_path, nodes=question('levels: {"0": {da: Intet}}'))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "levels", "level 0: text missing")
    assert problem.line == 11


def test_unknown_key(tmp_path: Path) -> None:
    framework(tmp_path, nodes=question("colour: blue"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "children[0]", "unknown key")
    assert "colour" in problem.message
    assert problem.line == 7


def test_unknown_key_in_header(tmp_path: Path) -> None:
    framework(tmp_path, header=HEADER.format(id="test-fw", version="1") + "  owner: me\n")
    problem = find(refused([tmp_path]), "test-fw/framework.yaml", "framework", "unknown key")
    assert "owner" in problem.message
    assert problem.line == 2


def test_missing_required_header_key(tmp_path: Path) -> None:
    header = HEADER.format(id="test-fw", version="1").replace("  publisher: Test\n", "")
    framework(tmp_path, header=header)
    problem = find(
        refused([tmp_path]),
        "test-fw/framework.yaml",
        "framework",
        "required key is missing: 'publisher'",
    )
    assert problem.line == 2


def test_invalid_id(tmp_path: Path) -> None:
    framework(tmp_path, nodes=NODES.replace("id: Q1", "id: 'Q 1!'"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "children[0].id", "not a valid id")
    assert problem.line == 7


def test_invalid_yaml_syntax(tmp_path: Path) -> None:
    framework(tmp_path, nodes=NODES + "  - id: [unclosed\n")
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "", "not valid YAML")
    assert problem.line == 12


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    directory = framework(tmp_path)
    (directory / "nodes.yaml").write_bytes(NODES.encode("latin-1"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "", "not UTF-8")
    assert problem.line is None


def test_oversized_file(tmp_path: Path) -> None:
    directory = framework(tmp_path)
    padding = ("# " + "x" * 98 + "\n") * (5 * 1024 * 1024 // 100 + 10)
    (directory / "nodes.yaml").write_text(NODES + padding, encoding="utf-8")
    find(refused([tmp_path]), "test-fw/nodes.yaml", "", "larger than 5 MB")


def test_recommendation_for_an_answer_that_does_not_exist(tmp_path: Path) -> None:
    framework(tmp_path, nodes=question('recommendations: {"7": {da: Gør noget, en: Do something}}'))
    problem = find(
        refused([tmp_path]), "test-fw/nodes.yaml", "recommendations", "'7' is not an answer"
    )
    assert problem.line == 11


def test_recommendation_for_yes_partly_no_must_use_its_answers(tmp_path: Path) -> None:
    nodes = question('recommendations: {"0": {da: Gør noget, en: Do something}}')
    framework(tmp_path, nodes=nodes.replace("type: maturity", "type: yes_partly_no"))
    find(refused([tmp_path]), "test-fw/nodes.yaml", "recommendations", "'0' is not an answer")


def test_choice_question_without_options(tmp_path: Path) -> None:
    framework(tmp_path, nodes=NODES.replace("type: maturity", "type: single_choice"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "children[0]", "needs at least two")
    assert problem.line == 7


def test_choice_question_with_one_option(tmp_path: Path) -> None:
    nodes = question("options: [{id: a, title: {da: A, en: A}}]")
    framework(tmp_path, nodes=nodes.replace("type: maturity", "type: multiple_choice"))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "options", "too short")
    assert problem.line == 11


def test_number_question_with_min_not_below_max(tmp_path: Path) -> None:
    nodes = question("min: 10\nmax: 10").replace("type: maturity", "type: number")
    framework(tmp_path, nodes=nodes)
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "children[0].max", "greater than min")
    assert problem.line == 12


def test_question_without_type(tmp_path: Path) -> None:
    framework(tmp_path, nodes=NODES.replace("        type: maturity\n", ""))
    problem = find(refused([tmp_path]), "test-fw/nodes.yaml", "children[0]", "needs a type")
    assert problem.line == 7


def test_framework_id_used_twice(tmp_path: Path) -> None:
    framework(tmp_path / "a", "test-fw")
    framework(tmp_path / "b", "test-fw")
    find(
        refused([tmp_path / "a", tmp_path / "b"]),
        "test-fw/framework.yaml",
        "framework.id",
        "used twice",
    )


def test_changed_content_under_a_loaded_version(tmp_path: Path) -> None:
    framework(tmp_path)
    frameworks_load(paths=[tmp_path])
    framework(tmp_path, nodes=NODES.replace("Question?", "Another question?"))
    problem = find(
        refused([tmp_path]),
        "test-fw/framework.yaml",
        "framework.version",
        "already loaded with other content",
    )
    assert problem.line == 4
    # `is_in_use()` is true once a campaign refers to the version; no campaign model exists yet,
    # so the plain message is what can be tested here.
    assert not FrameworkVersion.objects.get(framework__key="test-fw").is_in_use()
    assert "campaign" not in problem.message


def test_changed_content_under_a_new_version_loads(tmp_path: Path) -> None:
    framework(tmp_path)
    frameworks_load(paths=[tmp_path])
    framework(tmp_path, version="2", nodes=NODES.replace("Question?", "Another question?"))
    report = frameworks_load(paths=[tmp_path])
    assert report.created == ["test-fw 2"]
    assert Framework.objects.get(key="test-fw").latest.version == "2"  # type: ignore[union-attr]


def test_layout_and_defaults_do_not_change_the_checksum(tmp_path: Path) -> None:
    framework(tmp_path)
    frameworks_load(paths=[tmp_path])
    flat = """\
    nodes:
      - {id: AREA, kind: area, title: {da: Område, en: Area}}
      - {id: Q1, kind: question, parent: AREA, type: maturity, level: organisation, weight: 1.0,
         not_applicable: false, title: {da: "Spørgsmål?", en: "Question?"}}
    """
    framework(tmp_path, nodes=flat)
    report = frameworks_load(paths=[tmp_path])
    assert report.unchanged == ["test-fw 1"] and report.created == []


def test_empty_directory(tmp_path: Path) -> None:
    problem = find(refused([tmp_path]), str(tmp_path), "", "no framework files found")
    assert problem.line is None


def test_every_problem_in_every_file_is_listed(tmp_path: Path) -> None:
    framework(tmp_path, "first-fw", nodes=question("weight: heavy"))
    framework(tmp_path, "second-fw", nodes=question("colour: blue"))
    problems = refused([tmp_path])
    assert {p.file for p in problems} == {"first-fw/nodes.yaml", "second-fw/nodes.yaml"}


# --- the shipped library -------------------------------------------------------------------


def test_shipped_library_loads_on_a_fresh_database_and_again_changes_nothing() -> None:
    report = frameworks_load(paths=[])
    assert "samvirke-baseline 2026.1" in report.created
    assert report.nodes > 300 and report.mappings > 100
    loaded = counts()
    assert audit_entries() == len(report.created)  # one frameworks.version.loaded per version
    again = frameworks_load(paths=[LIBRARY_DIR])
    assert again.created == [] and again.mappings == 0
    assert sorted(again.unchanged) == sorted(report.created)
    assert counts() == loaded


def test_check_loads_nothing() -> None:
    before = counts()
    report = frameworks_load(paths=[], check=True)
    assert len(report.created) >= 6
    assert counts() == before


def test_command_loads_and_reports() -> None:
    out = io.StringIO()
    call_command("frameworks_load", "--check", stdout=out, verbosity=0)
    assert "Would load" in out.getvalue()
    assert FrameworkVersion.objects.count() == 0
    call_command("frameworks_load", stdout=out, verbosity=0)
    assert FrameworkVersion.objects.count() >= 6


def test_command_prints_errors_and_fails(tmp_path: Path) -> None:
    framework(tmp_path, nodes=question("weight: heavy"))
    err = io.StringIO()
    before = counts()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("frameworks_load", str(tmp_path), stderr=err, verbosity=0)
    assert "ERROR test-fw/nodes.yaml:11: nodes[0].children[0].weight" in err.getvalue()
    assert counts() == before
