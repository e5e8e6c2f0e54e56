"""The shipped library: the reference frameworks are complete and the Baseline meets its bar."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from samvirke.frameworks.parsing import (
    LIBRARY_DIR,
    ParsedFramework,
    ParsedNode,
    Problem,
    order_by_depth,
    parse_framework_dir,
)

LANGUAGES = ("da", "nb", "en")
BASELINE = "samvirke-baseline"
LOW_ANSWERS = {"maturity": {"0", "1"}, "yes_partly_no": {"no"}}


def parsed(key: str) -> ParsedFramework:
    problems: list[Problem] = []
    framework = parse_framework_dir(LIBRARY_DIR / key, problems)
    assert not problems, "\n".join(map(str, problems))
    assert framework is not None
    return framework


def shape(key: str) -> Counter[tuple[str, int]]:
    """How many nodes of each kind sit at each depth."""
    return Counter((node.data["kind"], depth) for node, depth in order_by_depth(parsed(key)))


def children_of(framework: ParsedFramework) -> Counter[str | None]:
    return Counter(node.parent_key for node in framework.nodes)


# --- reference frameworks ------------------------------------------------------------------


def test_iso27001_annex_a_has_93_controls_in_four_themes() -> None:
    framework = parsed("iso27001-2022-annex-a")
    assert shape("iso27001-2022-annex-a") == {("area", 0): 4, ("requirement", 1): 93}
    per_theme = children_of(framework)
    assert {t: per_theme[t] for t in ("A.5", "A.6", "A.7", "A.8")} == {
        "A.5": 37,
        "A.6": 8,
        "A.7": 14,
        "A.8": 34,
    }


def test_nist_csf_2_has_6_functions_22_categories_106_subcategories() -> None:
    counts = Counter(depth for _node, depth in order_by_depth(parsed("nist-csf-2.0")))
    assert counts == {0: 6, 1: 22, 2: 106}


def test_nsm_grunnprinsipper_has_4_categories_and_21_principles() -> None:
    counts = Counter(depth for _node, depth in order_by_depth(parsed("nsm-grunnprinsipper-2.1")))
    assert counts == {0: 4, 1: 21}


def test_essential_eight_has_8_strategies() -> None:
    assert len(parsed("essential-eight").nodes) == 8


def test_cfcs_top4_has_4_measures() -> None:
    assert len(parsed("cfcs-top4").nodes) == 4


def test_every_library_file_starts_with_a_licence_comment() -> None:
    files = sorted(LIBRARY_DIR.glob("*/*.yaml"))
    assert len(files) >= 12
    missing = [
        str(path.relative_to(LIBRARY_DIR))
        for path in files
        if not path.read_text(encoding="utf-8").startswith("# Licence: ")
    ]
    assert not missing, f"files without a licence comment: {missing}"


# --- the Samvirke Baseline -----------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline() -> ParsedFramework:
    return parsed(BASELINE)


def questions(framework: ParsedFramework) -> list[ParsedNode]:
    return [node for node in framework.nodes if node.data["kind"] == "question"]


def area_of(framework: ParsedFramework) -> dict[str, str]:
    """Node id → the id of the area it sits in."""
    parents = {node.key: node.parent_key for node in framework.nodes}
    found = {}
    for key in parents:
        top = key
        while parents[top] is not None:
            top = parents[top]  # type: ignore[assignment]
        found[key] = top
    return found


def test_baseline_has_at_least_150_questions_in_at_least_10_areas(
    baseline: ParsedFramework,
) -> None:
    areas = [node for node in baseline.nodes if node.data["kind"] == "area"]
    assert len(areas) >= 10, [a.key for a in areas]
    assert len(questions(baseline)) >= 150, f"only {len(questions(baseline))} questions"
    per_area = Counter(area_of(baseline)[q.key] for q in questions(baseline))
    assert all(per_area[area.key] > 0 for area in areas), per_area


def test_baseline_has_at_least_25_questions_answered_per_unit(baseline: ParsedFramework) -> None:
    unit = [q.key for q in questions(baseline) if q.data.get("level") == "unit"]
    assert len(unit) >= 25


def _incomplete(texts: dict[str, str] | None) -> list[str]:
    return [code for code in LANGUAGES if not (texts or {}).get(code, "").strip()]


def _missing_texts(node: ParsedNode) -> list[str]:
    """Every text of a question not written in all of da, nb and en."""
    data: dict[str, Any] = node.data
    missing = [
        f"{key}: {_incomplete(data.get(key))}"
        for key in ("title", "help")
        if _incomplete(data.get(key))
    ]
    for key in ("description", "unit"):
        if key in data and _incomplete(data[key]):
            missing.append(f"{key}: {_incomplete(data[key])}")
    for group in ("levels", "recommendations"):
        for answer, texts in (data.get(group) or {}).items():
            if _incomplete(texts):
                missing.append(f"{group}.{answer}: {_incomplete(texts)}")
    for option in data.get("options") or []:
        if _incomplete(option.get("title")):
            missing.append(f"options.{option['id']}: {_incomplete(option.get('title'))}")
    return missing


def test_baseline_texts_are_complete_in_danish_norwegian_and_english(
    baseline: ParsedFramework,
) -> None:
    assert baseline.header["languages"] == list(LANGUAGES)
    problems = {q.key: m for q in questions(baseline) if (m := _missing_texts(q))}
    for node in baseline.nodes:
        if node.data["kind"] != "question" and _incomplete(node.data.get("title")):
            problems[node.key] = [f"title: {_incomplete(node.data.get('title'))}"]
    assert not problems, problems


def test_baseline_scale_levels_are_described_in_all_languages(baseline: ParsedFramework) -> None:
    levels = baseline.header["scale"]["levels"]
    assert sorted(levels) == ["0", "1", "2", "3", "4", "5"]
    assert not {level: m for level, texts in levels.items() if (m := _incomplete(texts))}
    assert not _incomplete(baseline.header["title"]) and not _incomplete(
        baseline.header.get("description")
    )


def test_baseline_recommends_what_to_do_after_low_answers(baseline: ParsedFramework) -> None:
    missing = {
        q.key: sorted(LOW_ANSWERS[kind] - set(q.data.get("recommendations") or {}))
        for q in questions(baseline)
        if (kind := q.data["type"]) in LOW_ANSWERS
        and not LOW_ANSWERS[kind] <= set(q.data.get("recommendations") or {})
    }
    assert not missing, missing
    areas = {node.key for node in baseline.nodes if node.data["kind"] == "area"}
    with_advice = {
        area_of(baseline)[q.key] for q in questions(baseline) if q.data.get("recommendations")
    }
    assert areas <= with_advice, f"areas without any recommendation: {areas - with_advice}"


def test_baseline_questions_map_to_iso27001_and_nist_csf(baseline: ParsedFramework) -> None:
    unmapped = {
        q.key: sorted({"iso27001-2022-annex-a", "nist-csf-2.0"} - set(q.data.get("mappings") or {}))
        for q in questions(baseline)
    }
    assert not {key: gaps for key, gaps in unmapped.items() if gaps}


def test_baseline_mapping_targets_exist(baseline: ParsedFramework) -> None:
    targets = {
        key: {n.key for n in parsed(key).nodes}
        for key in (
            "iso27001-2022-annex-a",
            "nist-csf-2.0",
            "nsm-grunnprinsipper-2.1",
            "cfcs-top4",
            "essential-eight",
        )
    }
    dangling = [
        f"{q.key} → {framework}:{target if isinstance(target, str) else target['to']}"
        for q in questions(baseline)
        for framework, entries in (q.data.get("mappings") or {}).items()
        for target in entries
        if (target if isinstance(target, str) else target["to"])
        not in targets.get(framework, set())
    ]
    assert not dangling, dangling


def test_baseline_files_are_named_in_load_order() -> None:
    names = [path.name for path in sorted(Path(LIBRARY_DIR / BASELINE).glob("nodes*.yaml"))]
    assert names and all(name.startswith("nodes-") for name in names)
