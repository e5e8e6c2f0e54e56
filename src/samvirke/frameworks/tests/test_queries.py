"""The library's reads: texts, trees, search, mappings, coverage, comparison, in fixed queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from samvirke.frameworks.models import (
    Framework,
    FrameworkVersion,
    Mapping,
    MappingRelation,
    MappingSet,
    Node,
    NodeKind,
)
from samvirke.frameworks.queries import (
    Text,
    content_language,
    linked_versions,
    node_coverage,
    node_links,
    text_in,
    version_coverage,
    version_search,
    version_tree,
    versions_compare,
)

pytestmark = pytest.mark.django_db


def make_version(key: str, version: str = "1") -> FrameworkVersion:
    framework, _ = Framework.objects.get_or_create(key=key, defaults={"publisher": "Test"})
    return FrameworkVersion.objects.create(
        framework=framework,
        version=version,
        checksum=version,
        licence="CC0",
        source="test",
        languages=["da", "en"],
        title={"en": key},
    )


def add(version: FrameworkVersion, key: str, parent: Node | None = None, **fields: Any) -> Node:
    kind = fields.pop("kind", NodeKind.REQUIREMENT if parent else NodeKind.AREA)
    return Node.objects.create(
        version=version,
        key=key,
        parent=parent,
        kind=kind,
        position=version.nodes.count(),
        depth=parent.depth + 1 if parent else 0,
        title=fields.pop("title", {"en": f"Title of {key}"}),
        **fields,
    )


def relate(source: Node, target: Node, relation: str = MappingRelation.INTERSECTS) -> None:
    mapping_set, _ = MappingSet.objects.get_or_create(
        from_version=source.version,
        to_version=target.version,
        defaults={"source": "test", "licence": "CC0", "checksum": "x"},
    )
    Mapping.objects.create(
        mapping_set=mapping_set, source_node=source, target_node=target, relation=relation
    )


@dataclass
class Library:
    """A question set Q (area Q1 with questions Q1.1, Q1.2) mapped to a standard S (S1.1-S1.3)."""

    questions: FrameworkVersion
    standard: FrameworkVersion
    nodes: dict[str, Node]


@pytest.fixture
def library(db: None) -> Library:
    questions, standard = make_version("q-set"), make_version("std")
    area = add(questions, "Q1", title={"da": "Område for ædruelighed", "en": "Sobriety area"})
    q1 = add(questions, "Q1.1", area, kind=NodeKind.QUESTION, help={"nb": "Hjelp om øl"})
    q2 = add(questions, "Q1.2", area, kind=NodeKind.QUESTION, weight=2.0)
    s_area = add(standard, "S1")
    s1, s2, s3 = (add(standard, f"S1.{i}", s_area) for i in (1, 2, 3))
    relate(q1, s1, MappingRelation.SUBSET)
    relate(q2, s2)
    nodes = {n.key: n for n in (area, q1, q2, s_area, s1, s2, s3)}
    return Library(questions, standard, nodes)


# --- texts -----------------------------------------------------------------------------------


def test_text_falls_back_and_says_which_language_it_is_in() -> None:
    assert text_in({"da": "Hej", "en": "Hello"}, "da") == Text("Hej", "da")
    assert text_in({"en": "Hello"}, "nb") == Text("Hello", "en")
    assert text_in({"nb": "Hei"}, "da") == Text("Hei", "nb")
    assert text_in({"xx": "?"}, "da") == Text("?", "xx")
    assert text_in({}, "da") == Text("", "da")
    assert text_in(None, "en").text == ""


def test_content_language_falls_back_to_the_interface_language() -> None:
    assert content_language("nb") == "nb"
    with translation.override("en"):
        assert content_language("xx") == "en"
        assert content_language(None) == "en"
    with translation.override("da"):
        assert content_language("") == "da"


# --- trees and search ------------------------------------------------------------------------


def test_tree_is_built_in_one_query(library: Library, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        tree = version_tree(library.standard)
    assert [item.node.key for item in tree] == ["S1"]
    assert [child.node.key for child in tree[0].children] == ["S1.1", "S1.2", "S1.3"]


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("sobriety", ["Q1"]),
        ("  TITLE OF q1.2 ", ["Q1.2"]),
        ("q1.", ["Q1.1", "Q1.2"]),  # ids count too
        ("ÆDRUELIGHED", ["Q1"]),  # non-ASCII, any case, matched in Python
        ("øl", ["Q1.1"]),  # in the help text, in Norwegian
        ("en", []),  # a language code in the JSON is not content
        ('"da"', []),
        ("\\u00e6", []),  # SQLite's escaped form is not content either
        ("", []),
    ],
)
def test_search_matches_content_in_any_language(
    library: Library, term: str, found: list[str], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(1):
        assert [n.key for n in version_search(library.questions, term)] == found


# --- mappings and coverage -------------------------------------------------------------------


def test_links_go_both_ways_and_read_from_the_nodes_side(
    library: Library, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        [group] = node_links(library.nodes["S1.1"])
    assert group.version == library.questions
    [link] = group.links
    assert (link.node.key, link.outgoing) == ("Q1.1", False)
    assert link.relation == MappingRelation.SUPERSET  # Q1.1 ⊂ S1.1, so S1.1 ⊃ Q1.1
    [group] = node_links(library.nodes["Q1.1"])
    assert [(link.node.key, link.relation) for link in group.links] == [("S1.1", "subset")]


def test_linked_versions_name_the_other_frameworks(library: Library) -> None:
    assert linked_versions(library.questions) == {"std": library.standard}
    assert linked_versions(library.standard) == {"q-set": library.questions}


def test_coverage_of_a_parent_reaches_through_its_descendants(
    library: Library, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(5):
        [area] = node_coverage(library.nodes["Q1"], [library.standard])
    assert [n.key for n in area.covered] == ["S1.1", "S1.2"]
    assert area.direct == [] and area.total == 3
    [question] = node_coverage(library.nodes["Q1.2"], [library.standard])
    assert [n.key for n in question.direct] == ["S1.2"]
    [reverse] = node_coverage(library.nodes["S1"], [library.questions])
    assert [n.key for n in reverse.covered] == ["Q1.1", "Q1.2"]


def test_version_coverage_counts_covered_requirements(
    library: Library, django_assert_num_queries: Any
) -> None:
    relate(library.nodes["Q1.1"], library.nodes["S1.2"])  # S1.2 twice: still counted once
    relate(library.nodes["Q1.1"], library.nodes["S1"])  # an area is no requirement
    with django_assert_num_queries(4):
        [row] = version_coverage(library.questions)
    assert (row.version, row.covered, row.total, row.percent) == (library.standard, 2, 3, 67)
    [back] = version_coverage(library.standard)
    assert (back.covered, back.total) == (2, 2)


def test_a_version_without_mappings_has_no_coverage(db: None) -> None:
    assert version_coverage(make_version("alone")) == []


# --- comparing versions ----------------------------------------------------------------------


def test_compare_finds_added_removed_and_changed_fields(
    library: Library, django_assert_num_queries: Any
) -> None:
    new = make_version("q-set", "2")
    area = add(new, "Q1", title={"da": "Område for ædruelighed", "en": "Sobriety area"})
    add(new, "Q1.1", area, kind=NodeKind.QUESTION, help={"nb": "Hjelp om øl"})  # unchanged
    other = add(new, "Q2")
    add(new, "Q1.2", other, kind=NodeKind.QUESTION, weight=3.0)  # moved and reweighted
    add(new, "Q2.1", other, title={"en": "New"})
    with django_assert_num_queries(1):
        result = versions_compare(library.questions, new)
    assert [n.key for n in result.added] == ["Q2", "Q2.1"]
    assert result.removed == []
    [change] = result.changed
    assert change.new.key == "Q1.2" and change.fields == ["parent", "weight"]
    with translation.override("en"):
        assert change.labels == ["parent", "weight"]
    back = versions_compare(new, library.questions)
    assert [n.key for n in back.removed] == ["Q2", "Q2.1"] and not back.unchanged
    assert versions_compare(new, new).unchanged
