"""Reading framework library files: YAML with line numbers, schema and consistency checks.

Nothing here touches the database except to ask which versions already exist; every problem in
every file is collected, so one run lists them all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from samvirke.frameworks.schema import FRAMEWORK_FILE, MAPPING_FILE, NODES_FILE

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
MAX_FILE_BYTES = 5 * 1024 * 1024
YesPartlyNo = ("yes", "partly", "no")
PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, located as precisely as we can."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class LibraryError(Exception):
    """The library files have problems; nothing was loaded."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Document:
    """One parsed YAML file with a line number for every path inside it."""

    path: Path
    data: Any
    lines: dict[PathKey, int]

    def line(self, where: Iterable[str | int]) -> int | None:
        """The line of a path, or of its nearest ancestor that has one."""
        key = tuple(where)
        while key not in self.lines and key:
            key = key[:-1]
        return self.lines.get(key)


@dataclass
class ParsedNode:
    """A node of a framework, flattened out of the file's tree."""

    key: str
    parent_key: str | None
    data: dict[str, Any]
    position: int
    doc: Document
    where: PathKey


@dataclass
class ParsedFramework:
    """A framework directory: header and nodes."""

    header: dict[str, Any]
    header_doc: Document
    nodes: list[ParsedNode] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.header["id"])

    def checksum(self) -> str:
        """Digest of the content, so a changed file is recognised whatever its layout.

        Defaults are filled in first, so a file that spells out `weight: 1` or `level:
        organisation` and an export (YAML or XLSX) that leaves them out have the same checksum.
        """
        header = {**self.header}
        header.setdefault("description", {})
        header.setdefault("scale", {})
        body = {
            "header": header,
            "nodes": [
                [n.key, n.parent_key, node_fields(n.data), node_mappings(n.data)]
                for n in tree_order(self.nodes)
            ],
        }
        return _digest(body)


def tree_order(nodes: list[ParsedNode]) -> list[ParsedNode]:
    """Nodes depth first, siblings in file order: the same whether a file nests children or
    names parents. Nodes outside the tree (a broken file) follow in file order."""
    keys = {n.key for n in nodes}
    children: dict[str | None, list[ParsedNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_key if node.parent_key in keys else None, []).append(node)
    ordered: list[ParsedNode] = []
    seen: set[int] = set()
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        ordered.append(node)
        stack.extend(reversed(children.get(node.key, [])))
    return ordered + [n for n in nodes if id(n) not in seen]


@dataclass
class ParsedMapping:
    """A mapping file between two frameworks."""

    header: dict[str, Any]
    relations: list[dict[str, Any]]
    doc: Document

    def checksum(self) -> str:
        return _digest({"header": self.header, "relations": self.relations})


def node_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A node's content as it is stored: every field present, defaults filled in."""
    question = data["kind"] == "question"
    return {
        "kind": data["kind"],
        "title": data["title"],
        "description": data.get("description", {}),
        "help": data.get("help", {}),
        "question_type": data.get("type", "") if question else "",
        "answer_level": data.get("level", "organisation") if question else "",
        "weight": float(data.get("weight", 1)),
        "roles": data.get("roles", []),
        "allows_not_applicable": bool(data.get("not_applicable", False)),
        "levels": data.get("levels", {}),
        "options": data.get("options", []),
        "number_unit": data.get("unit", {}),
        "number_min": _float_or_none(data.get("min")),
        "number_max": _float_or_none(data.get("max")),
        "recommendations": data.get("recommendations", {}),
    }


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def node_mappings(data: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Inline mappings as sorted (target, relation) pairs per framework, duplicates merged."""
    found: dict[str, list[tuple[str, str]]] = {}
    for target_fw, targets in (data.get("mappings") or {}).items():
        # The last relation given for a target wins, as when the mappings are stored.
        relations = {
            t if isinstance(t, str) else t["to"]: (
                "intersects" if isinstance(t, str) else t.get("relation", "intersects")
            )
            for t in targets
        }
        if relations:
            found[target_fw] = sorted(relations.items())
    return found


def _digest(body: Any) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _line_map(node: yaml.Node, where: PathKey, lines: dict[PathKey, int]) -> None:
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _line_map(value_node, (*where, str(key_node.value)), lines)
            lines[(*where, str(key_node.value))] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*where, index), lines)


def read_document(path: Path, label: str, problems: list[Problem]) -> Document | None:
    """Parse a YAML file safely; record a problem and return None when it cannot be read."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem(label, None, "", _("the file is larger than 5 MB")))
            return None
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except UnicodeDecodeError:
        problems.append(Problem(label, None, "", _("the file is not UTF-8 text")))
        return None
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        problems.append(
            Problem(label, line, "", _("not valid YAML: %(problem)s") % {"problem": error.problem})
        )
        return None
    except OSError as error:
        problems.append(
            Problem(label, None, "", _("cannot be read: %(reason)s") % {"reason": error.strerror})
        )
        return None
    lines: dict[PathKey, int] = {}
    if root is not None:
        _line_map(root, (), lines)
    return Document(path, data, lines)


def _key_name(where: Iterable[str | int]) -> str:
    parts: list[str] = []
    for part in where:
        parts.append(f"[{part}]" if isinstance(part, int) else ("." if parts else "") + part)
    return "".join(parts)


def check_schema(doc: Document, schema: dict[str, Any], label: str) -> list[Problem]:
    """Every schema violation of a document, located by line and key."""
    validator = Draft202012Validator(schema)
    found = []
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        where = tuple(error.absolute_path)
        found.append(Problem(label, doc.line(where), _key_name(where), _plain(error)))
    return found


def _plain(error: Any) -> str:
    """A schema error in plain words."""
    validator = error.validator
    if validator == "required":
        return _("a required key is missing: %(key)s") % {
            "key": error.message.split(" is a required")[0]
        }
    if validator == "additionalProperties":
        return _("unknown key (%(detail)s)") % {"detail": error.message.split("(")[-1].rstrip(")")}
    if validator == "propertyNames":
        return _("%(value)r is not an allowed key here (languages are da, nb and en)") % {
            "value": error.instance
        }
    if validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return _("%(value)r is not one of: %(allowed)s") % {
            "value": error.instance,
            "allowed": allowed,
        }
    if validator == "type":
        return _("expected %(expected)s, found %(found)s") % {
            "expected": error.validator_value,
            "found": type(error.instance).__name__,
        }
    if validator == "pattern":
        return _("%(value)r is not a valid id (letters, digits, '.', '-', '_')") % {
            "value": error.instance
        }
    return error.message


def flatten(
    doc: Document, items: list[Any], framework: ParsedFramework, parent: str | None, where: PathKey
) -> None:
    """Append a file's nested nodes to the framework in document order."""
    for index, item in enumerate(items):
        path = (*where, index)
        data = {k: v for k, v in item.items() if k != "children"}
        parent_key = data.pop("parent", None) or parent
        framework.nodes.append(
            ParsedNode(str(item["id"]), parent_key, data, len(framework.nodes), doc, path)
        )
        flatten(doc, item.get("children", []), framework, str(item["id"]), (*path, "children"))


def answer_keys(node: dict[str, Any], scale: dict[str, Any]) -> set[str]:
    """The answer values a recommendation may be attached to."""
    kind = node.get("type", "maturity")
    if kind == "maturity":
        levels = node.get("levels") or scale.get("levels") or {str(i): None for i in range(6)}
        return set(levels)
    if kind == "yes_partly_no":
        return set(YesPartlyNo)
    if kind in {"single_choice", "multiple_choice"}:
        return {str(option["id"]) for option in node.get("options", [])}
    return set()


def _texts_complete(texts: dict[str, str] | None, languages: list[str]) -> list[str]:
    return [code for code in languages if not (texts or {}).get(code)]


def check_framework(fw: ParsedFramework) -> list[Problem]:
    """Consistency rules the schema cannot express: ids, tree, languages, answer keys."""
    problems: list[Problem] = []
    seen: dict[str, ParsedNode] = {}
    languages = list(fw.header.get("languages", []))
    scale = fw.header.get("scale") or {}
    for node in fw.nodes:
        label, line = str(node.doc.path), node.doc.line(node.where)

        def report(
            key: str, message: str, *, _node: ParsedNode = node, _label: str = label
        ) -> None:
            where = (*_node.where, key) if key else _node.where
            problems.append(Problem(_label, _node.doc.line(where), _key_name(where), message))

        if node.key in seen:
            first = seen[node.key]
            other = f"{first.doc.path.name}:{first.doc.line(first.where)}"
            problems.append(
                Problem(
                    label,
                    line,
                    _key_name(node.where),
                    _("duplicate node id %(id)r (first used at %(other)s)")
                    % {"id": node.key, "other": other},
                )
            )
            continue
        seen[node.key] = node
        data = node.data
        for text_key in ("title", "description", "help", "unit"):
            missing = _texts_complete(data.get(text_key), languages) if text_key in data else []
            if text_key == "title":
                missing = _texts_complete(data.get("title"), languages)
            if missing:
                report(
                    text_key, _("text missing in %(languages)s") % {"languages": ", ".join(missing)}
                )
        for level, texts in (data.get("levels") or {}).items():
            if missing := _texts_complete(texts, languages):
                report(
                    "levels",
                    _("level %(level)s: text missing in %(languages)s")
                    % {"level": level, "languages": ", ".join(missing)},
                )
        if data.get("kind") == "question":
            problems.extend(_check_question(node, scale, languages, report))
        elif "type" in data:
            report("type", _("only questions have an answer type"))
    problems.extend(_check_tree(fw, seen))
    return problems


def _check_question(
    node: ParsedNode, scale: dict[str, Any], languages: list[str], report: Any
) -> list[Problem]:
    data = node.data
    kind = data.get("type")
    if kind is None:
        report("", _("a question needs a type"))
        return []
    if kind in {"single_choice", "multiple_choice"} and not data.get("options"):
        report("options", _("a choice question needs at least two options"))
    if kind == "number" and "min" in data and "max" in data and data["min"] >= data["max"]:
        report("max", _("max must be greater than min"))
    allowed = answer_keys(data, scale)
    for answer, texts in (data.get("recommendations") or {}).items():
        if answer not in allowed:
            report(
                "recommendations",
                _("%(answer)r is not an answer of this question") % {"answer": answer},
            )
        elif missing := _texts_complete(texts, languages):
            report(
                "recommendations",
                _("answer %(answer)s: text missing in %(languages)s")
                % {"answer": answer, "languages": ", ".join(missing)},
            )
    return []


def _check_tree(fw: ParsedFramework, nodes: dict[str, ParsedNode]) -> list[Problem]:
    problems: list[Problem] = []
    for node in nodes.values():
        if node.parent_key is not None and node.parent_key not in nodes:
            problems.append(
                Problem(
                    str(node.doc.path),
                    node.doc.line(node.where),
                    _key_name((*node.where, "parent")),
                    _("parent %(parent)r does not exist") % {"parent": node.parent_key},
                )
            )
    for node in nodes.values():
        trail, current = {node.key}, node.parent_key
        while current is not None and current in nodes:
            if current in trail:
                problems.append(
                    Problem(
                        str(node.doc.path),
                        node.doc.line(node.where),
                        _key_name(node.where),
                        _("node %(id)r is part of a cycle of parents") % {"id": node.key},
                    )
                )
                break
            trail.add(current)
            current = nodes[current].parent_key
    return problems


def order_by_depth(fw: ParsedFramework) -> list[tuple[ParsedNode, int]]:
    """Nodes with their depth, parents before children (the tree is checked first)."""
    by_key = {n.key: n for n in fw.nodes}
    depth_of: dict[str, int] = {}

    def depth(key: str) -> int:
        if key not in depth_of:
            parent = by_key[key].parent_key
            depth_of[key] = 0 if parent is None else depth(parent) + 1
        return depth_of[key]

    return sorted(
        ((n, depth(n.key)) for n in fw.nodes), key=lambda pair: (pair[1], pair[0].position)
    )


def collect_paths(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Framework directories and mapping files named by the given paths (the library by default)."""
    framework_dirs: list[Path] = []
    mapping_files: list[Path] = []
    for path in paths or [LIBRARY_DIR]:
        if path.is_file():
            if path.name == "framework.yaml":
                framework_dirs.append(path.parent)
            else:
                mapping_files.append(path)
        elif (path / "framework.yaml").is_file():
            framework_dirs.append(path)
        elif path.is_dir():
            framework_dirs.extend(sorted(p.parent for p in path.glob("*/framework.yaml")))
            mapping_files.extend(sorted(path.glob("mappings/*.yaml")))
            if path.name == "mappings":
                mapping_files.extend(sorted(path.glob("*.yaml")))
    return framework_dirs, mapping_files


def parse_framework_dir(directory: Path, problems: list[Problem]) -> ParsedFramework | None:
    """Read framework.yaml and every nodes*.yaml file of one framework directory."""
    base = directory.name
    header_doc = read_document(directory / "framework.yaml", f"{base}/framework.yaml", problems)
    if header_doc is None:
        return None
    before = len(problems)
    problems.extend(check_schema(header_doc, FRAMEWORK_FILE, f"{base}/framework.yaml"))
    if len(problems) > before:
        return None
    framework = ParsedFramework(header_doc.data["framework"], header_doc)
    for node_file in sorted(directory.glob("nodes*.yaml")):
        label = f"{base}/{node_file.name}"
        doc = read_document(node_file, label, problems)
        if doc is None:
            continue
        doc.path = Path(label)
        schema_problems = check_schema(doc, NODES_FILE, label)
        problems.extend(schema_problems)
        if not schema_problems:
            flatten(doc, doc.data["nodes"], framework, None, ("nodes",))
    header_doc.path = Path(f"{base}/framework.yaml")
    return framework


def parse_mapping_file(path: Path, problems: list[Problem]) -> ParsedMapping | None:
    """Read one mapping file."""
    label = f"mappings/{path.name}"
    doc = read_document(path, label, problems)
    if doc is None:
        return None
    doc.path = Path(label)
    schema_problems = check_schema(doc, MAPPING_FILE, label)
    problems.extend(schema_problems)
    if schema_problems:
        return None
    return ParsedMapping(doc.data["mapping"], doc.data["relations"], doc)
