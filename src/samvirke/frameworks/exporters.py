"""A loaded framework version as files: XLSX (the import layout) and YAML (the library format).

Both are built from one reconstruction of the version in the library format, so an export read
back in has the checksum of the version it came from (see `ParsedFramework.checksum`).
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from samvirke.frameworks.importers import (
    FRAMEWORK_COLUMNS,
    FRAMEWORK_SHEET,
    HEADER_KEYS,
    MAPPING_COLUMNS,
    MAPPINGS_SHEET,
    NODE_COLUMNS,
    NODES_SHEET,
    OPTION_COLUMNS,
    OPTIONS_SHEET,
    TEXT_FIELDS,
)
from samvirke.frameworks.models import FrameworkVersion, Mapping, Node
from samvirke.frameworks.schema import LANGUAGES

Data = dict[str, Any]


# --------------------------------------------------------------------------------------------
# The version in the library format


def version_header(version: FrameworkVersion) -> Data:
    """The framework header as written in framework.yaml."""
    header: Data = {
        "id": version.framework.key,
        "version": version.version,
        "publisher": version.framework.publisher,
        "licence": version.licence,
        "source": version.source,
        "languages": list(version.languages),
        "title": version.title,
    }
    if version.description:
        header["description"] = version.description
    if version.scale:
        header["scale"] = version.scale
    return header


def _inline_mappings(version: FrameworkVersion) -> dict[int, dict[str, list[Any]]]:
    """Node id → {target framework: [target or {to, relation}]}, from the version's own file."""
    found: dict[int, dict[str, list[Any]]] = defaultdict(dict)
    rows = (
        Mapping.objects.filter(
            mapping_set__from_version=version, mapping_set__checksum__startswith="inline:"
        )
        .order_by("source_node__position", "target_node__version__framework__key", "pk")
        .values_list(
            "source_node_id", "target_node__version__framework__key", "target_node__key", "relation"
        )
    )
    for source, framework, target, relation in rows:
        entry = target if relation == "intersects" else {"to": target, "relation": relation}
        found[source].setdefault(framework, []).append(entry)
    return found


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def node_data(node: Node, mappings: dict[str, list[Any]]) -> Data:
    """One node in the library format, defaults left out."""
    data: Data = {"id": node.key, "kind": node.kind}
    if node.is_question:
        data["type"] = node.question_type
        data["level"] = node.answer_level
    if node.weight != 1:
        data["weight"] = _number(node.weight)
    optional = {
        "roles": node.roles,
        "not_applicable": node.allows_not_applicable,
        "title": node.title,
        "description": node.description,
        "help": node.help,
        "levels": node.levels,
        "options": node.options,
        "unit": node.number_unit,
        "min": None if node.number_min is None else _number(node.number_min),
        "max": None if node.number_max is None else _number(node.number_max),
        "recommendations": node.recommendations,
        "mappings": mappings,
    }
    # `is` for False: a minimum of 0 equals False but must be kept.
    data.update(
        {k: v for k, v in optional.items() if not (v is None or v is False or v in ({}, []))}
    )
    return data


def version_nodes(version: FrameworkVersion) -> list[tuple[Node, Data]]:
    """Every node of a version in file order, with its library data (parents before children)."""
    mappings = _inline_mappings(version)
    nodes = version.nodes.order_by("position").select_related("parent")
    return [(node, node_data(node, mappings.get(node.pk, {}))) for node in nodes]


# --------------------------------------------------------------------------------------------
# YAML


class _Dumper(yaml.SafeDumper):
    """Block style, long texts unwrapped, ids like "1.1" quoted so they stay strings."""


def _licence_comment(header: Data) -> str:
    return f"# Licence: {header['licence']}. Source: {header['source']}.\n"


def _nested(items: list[tuple[Node, Data]]) -> list[Data]:
    by_parent: dict[int | None, list[Data]] = defaultdict(list)
    ids = {node.pk: data for node, data in items}
    for node, data in items:
        by_parent[node.parent_id].append(data)
    for pk, data in ids.items():
        if by_parent.get(pk):
            data["children"] = by_parent[pk]
    return by_parent[None]


def export_yaml(version: FrameworkVersion) -> dict[str, str]:
    """The version as a library directory: {relative path: text}."""
    header = version_header(version)
    comment = _licence_comment(header)
    nodes = _nested(version_nodes(version))

    def dump(body: Data) -> str:
        text = yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**6)
        return comment + text

    directory = header["id"]
    return {
        f"{directory}/framework.yaml": dump({"framework": header}),
        f"{directory}/nodes.yaml": dump({"nodes": nodes}),
    }


def export_yaml_zip(version: FrameworkVersion) -> bytes:
    """The library directory of a version, zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in export_yaml(version).items():
            archive.writestr(name, text)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# XLSX


def _framework_rows(header: Data) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key in HEADER_KEYS:
        value = header.get(key)
        rows.append((key, ", ".join(value or []) if key == "languages" else value))
    for name in ("title", "description"):
        rows.extend((f"{name}_{lang}", header.get(name, {}).get(lang)) for lang in LANGUAGES)
    scale = header.get("scale")
    if scale:
        rows.extend((f"scale_{k}", scale[k]) for k in ("min", "max") if k in scale)
        for level, texts in scale.get("levels", {}).items():
            rows.extend((f"scale_{level}_{lang}", texts.get(lang)) for lang in LANGUAGES)
    return rows


def _answer_columns(datas: list[Data], key: str, prefix: str) -> list[str]:
    """The level_… or recommendation_… columns the nodes use, in a stable order."""
    answers: list[str] = []
    for data in datas:
        answers.extend(a for a in data.get(key, {}) if a not in answers)
    answers.sort(key=lambda a: (not a.isdigit(), a))
    return [f"{prefix}_{answer}_{lang}" for answer in answers for lang in LANGUAGES]


def _node_row(data: Data, parent: str | None, columns: list[str]) -> list[Any]:
    values: Data = {
        **{k: data.get(k) for k in ("id", "kind", "type", "level", "weight", "min", "max")},
        "parent": parent,
        "roles": ", ".join(data.get("roles", [])) or None,
        "not_applicable": True if data.get("not_applicable") else None,
    }
    for name in TEXT_FIELDS:
        values.update({f"{name}_{lang}": t for lang, t in data.get(name, {}).items()})
    for answer, texts in data.get("levels", {}).items():
        values.update({f"level_{answer}_{lang}": t for lang, t in texts.items()})
    for answer, texts in data.get("recommendations", {}).items():
        values.update({f"recommendation_{answer}_{lang}": t for lang, t in texts.items()})
    return [values.get(column) for column in columns]


def _sheet(
    book: Workbook, title: str, columns: list[str] | tuple[str, ...], rows: list[list[Any]]
) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append(row)
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            # Text is text: a title starting with "=" must not become a formula.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for index, column in enumerate(columns, start=1):
        width = 60 if column.startswith(("title", "description", "help", "recommendation")) else 16
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    return sheet


def write_workbook(header: Data, items: list[tuple[Data, str | None]]) -> bytes:
    """A workbook in the import layout from a header and (node data, parent id) pairs."""
    datas = [data for data, _parent in items]
    columns = [
        *NODE_COLUMNS,
        *_answer_columns(datas, "levels", "level"),
        *_answer_columns(datas, "recommendations", "recommendation"),
    ]
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    _sheet(book, FRAMEWORK_SHEET, FRAMEWORK_COLUMNS, [list(r) for r in _framework_rows(header)])
    _sheet(book, NODES_SHEET, columns, [_node_row(d, p, columns) for d, p in items])
    options = [
        [data["id"], option["id"], *(option["title"].get(lang) for lang in LANGUAGES)]
        for data in datas
        for option in data.get("options", [])
    ]
    _sheet(book, OPTIONS_SHEET, OPTION_COLUMNS, options)
    mappings = [
        [
            data["id"],
            framework,
            *([t, None] if isinstance(t, str) else [t["to"], t.get("relation")]),
        ]
        for data in datas
        for framework, targets in data.get("mappings", {}).items()
        for t in targets
    ]
    _sheet(book, MAPPINGS_SHEET, MAPPING_COLUMNS, mappings)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_xlsx(version: FrameworkVersion) -> bytes:
    """The version as a workbook in the import layout."""
    items = [
        (data, node.parent.key if node.parent else None) for node, data in version_nodes(version)
    ]
    return write_workbook(version_header(version), items)


TEMPLATE_TEXT = {"da": "Eksempel", "nb": "Eksempel", "en": "Example"}


def import_template() -> bytes:
    """An empty question set in the import layout: headers and an example area and question."""
    header: Data = {
        "id": "network-code-my-questions",
        "version": "1",
        "publisher": "…",
        "licence": "CC-BY-4.0",
        "source": "…",
        "languages": list(LANGUAGES),
        "title": dict(TEMPLATE_TEXT),
        "description": dict(TEMPLATE_TEXT),
    }
    area: Data = {"id": "AREA1", "kind": "area", "title": dict(TEMPLATE_TEXT)}
    question: Data = {
        "id": "AREA1.01",
        "kind": "question",
        "type": "yes_partly_no",
        "level": "organisation",
        "roles": ["management"],
        "title": {lang: f"{text}?" for lang, text in TEMPLATE_TEXT.items()},
        "help": dict(TEMPLATE_TEXT),
        "recommendations": {"no": dict(TEMPLATE_TEXT), "partly": dict(TEMPLATE_TEXT)},
        "mappings": {"iso27001-2022-annex-a": ["A.5.1"]},
    }
    return write_workbook(header, [(area, None), (question, "AREA1")])
