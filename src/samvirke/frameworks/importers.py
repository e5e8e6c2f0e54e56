"""Importing a question set from an XLSX workbook (layout: docs/frameworks.md, "XLSX layout").

The workbook is turned into the same `ParsedFramework` the YAML reader makes and goes through the
same checks and the same loader, so a workbook and a library directory can never disagree about
what is valid. Every problem is located as sheet, row and column; nothing is loaded if there is any.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samvirke.core.xlsx import MAX_UPLOAD_BYTES as MAX_UPLOAD_BYTES  # the forms' limit
from samvirke.core.xlsx import (
    XlsxRefused,
    bounded_rows,
    container_refusal,
    open_workbook,
)
from samvirke.frameworks.parsing import (
    LIBRARY_DIR,
    Document,
    LibraryError,
    ParsedFramework,
    ParsedNode,
    PathKey,
    Problem,
    check_schema,
)
from samvirke.frameworks.schema import FRAMEWORK_FILE, LANGUAGES, NODES_FILE
from samvirke.frameworks.services import LoadReport, frameworks_apply, plan_parsed
from samvirke.tenancy.models import Network

if TYPE_CHECKING:
    from samvirke.accounts.models import User
    from samvirke.tenancy.models import Organisation

MAX_ROWS = 20_000
MAX_COLUMNS = 300
WORKBOOK = "workbook"

FRAMEWORK_SHEET, NODES_SHEET, OPTIONS_SHEET, MAPPINGS_SHEET = (
    "Framework",
    "Nodes",
    "Options",
    "Mappings",
)
TEXT_FIELDS = ("title", "description", "help", "unit")
HEADER_KEYS = ("id", "version", "publisher", "licence", "source", "languages")
NODE_COLUMNS = (
    "id",
    "parent",
    "kind",
    "type",
    "level",
    "weight",
    "roles",
    "not_applicable",
    *(f"{name}_{lang}" for name in TEXT_FIELDS for lang in LANGUAGES),
    "min",
    "max",
)
OPTION_COLUMNS = ("question", "id", *(f"title_{lang}" for lang in LANGUAGES))
MAPPING_COLUMNS = ("from", "to_framework", "to", "relation")
FRAMEWORK_COLUMNS = ("key", "value")
_LANG = "|".join(LANGUAGES)
LEVEL_COLUMN = re.compile(rf"^level_([0-9])_({_LANG})$")
RECOMMENDATION_COLUMN = re.compile(rf"^recommendation_([A-Za-z0-9][A-Za-z0-9._-]*)_({_LANG})$")
SCALE_KEY = re.compile(rf"^scale_([0-9])_({_LANG})$")
TEXT_KEY = re.compile(rf"^(title|description)_({_LANG})$")
_NO_SUCH_NODE = gettext_lazy("No node with id “%(id)s” in the sheet Nodes.")
TRUE_WORDS = {"true", "yes", "ja", "x", "1"}
FALSE_WORDS = {"false", "no", "nej", "nei", "0"}


# --------------------------------------------------------------------------------------------
# The zip container, checked before any XML parser sees it


def check_container(data: bytes) -> list[Problem]:
    """Refuse anything that is not a plausible XLSX file, before openpyxl opens it."""
    refusal = container_refusal(data)
    return [Problem(WORKBOOK, None, "", refusal)] if refusal is not None else []


def _open(data: bytes) -> Any:
    try:
        return open_workbook(data)
    except XlsxRefused as refusal:
        raise LibraryError([Problem(WORKBOOK, None, "", refusal.message)]) from refusal


# --------------------------------------------------------------------------------------------
# Cell values


def _text(value: Any) -> str | None:
    """A text cell as written (texts are kept exactly); empty cells are None."""
    if value is None:
        return None
    text = value if isinstance(value, str) else _token(value)
    return text if text and text.strip() else None


def _token(value: Any) -> str | None:
    """An id or keyword: numbers typed into Excel become the digits the user saw."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _number(value: Any) -> Any:
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value.strip())
            except ValueError:
                continue
    return value


def _flag(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return value  # the schema check reports it


def _list(value: Any) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", str(value or "")) if part.strip()]


# --------------------------------------------------------------------------------------------
# Where each value came from


@dataclass
class _Cells:
    """Every value's cell. Documents get a synthetic line number per cell, which lets the shared
    checks (that speak of lines) be translated back to sheet, row and column."""

    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))
    places: list[tuple[str, int, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def mark(
        self, lines: dict[PathKey, int], where: PathKey, sheet: str, row: int, column: str
    ) -> None:
        if where not in lines:
            self.places.append((sheet, row, column))
            lines[where] = len(self.places)

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(Problem(sheet, row, column, message))

    def locate(self, problem: Problem) -> Problem:
        """A problem from the shared checks (which speak of lines), told as sheet, row, column."""
        if not problem.line:
            return Problem(problem.file, None, "", problem.message)
        sheet, row, column = self.places[problem.line - 1]
        first_use = _template_pattern(
            _("duplicate node id %(id)r (first used at %(other)s)"),
            id=r"'[^']*'",
            other=r"\S+:(\d+)",
        )
        match = re.fullmatch(first_use, problem.message)
        message = problem.message
        if match:
            message = _("duplicate node id %(id)s (first used in row %(row)s)") % {
                "id": problem.message.split("'")[1] if "'" in problem.message else "",
                "row": self.places[int(match.group(1)) - 1][1],
            }
        return Problem(sheet, row, self._column(column, problem.key, message), message)

    def _column(self, column: str, key: str, message: str) -> str:
        last = key.rsplit(".", 1)[-1]
        if column == "id" and last in {"parent", "kind", "type", "level", "weight", "min", "max"}:
            return last
        languages = r"([a-z, ]+)"
        detail = (
            re.fullmatch(_template_pattern(
                _("level %(level)s: text missing in %(languages)s"),
                level=r"(\S+)", languages=languages), message)
            or re.fullmatch(_template_pattern(
                _("answer %(answer)s: text missing in %(languages)s"),
                answer=r"(\S+)", languages=languages), message)
            or re.fullmatch(_template_pattern(
                _("%(answer)r is not an answer of this question"), answer=r"'(\S+)'"), message)
        )  # fmt: skip
        prefix = column
        if detail and column in {"level", "recommendation"}:
            prefix = f"{column}_{detail.group(1)}"
        missing = re.search(
            _template_pattern(_("text missing in %(languages)s"), languages=languages) + "$",
            message,
        )
        if missing:
            return ", ".join(f"{prefix}_{code}" for code in missing.group(1).split(", "))
        required = re.fullmatch(
            _template_pattern(_("a required key is missing: %(key)s"), key=r"'(\w+)'"), message
        )
        if required:
            name = required.group(1)
            if name in TEXT_FIELDS:
                return ", ".join(f"{name}_{code}" for code in self.languages)
            return name
        return prefix


def _template_pattern(template: str, **groups: str) -> str:
    """A regular expression for a (translated) message template, its placeholders as groups.

    The shared checks speak of lines and keys; these patterns let the importer find the key a
    message is about whatever language the message was written in.
    """
    pattern = re.escape(template)
    for name, group in groups.items():
        for kind in ("s", "r"):
            pattern = pattern.replace(re.escape(f"%({name}){kind}"), group)
    return pattern


def _rows(sheet: Any, name: str, cells: _Cells) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, values in bounded_rows(sheet, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS):
        if number > MAX_ROWS:
            message = _("The sheet has more than %(rows)s rows.") % {"rows": MAX_ROWS}
            cells.add(name, number, "", message)
            return
        if any(v is not None and str(v).strip() for v in values):
            yield number, values


Row = tuple[int, dict[str, Any]]


def _table(
    book: Any,
    name: str,
    known: tuple[str, ...],
    required: tuple[str, ...],
    cells: _Cells,
    patterns: tuple[re.Pattern[str], ...] = (),
) -> list[Row]:
    """The rows of a sheet as {column: value}, after checking its header row."""
    if name not in book.sheetnames or not hasattr(book[name], "iter_rows"):  # a chart sheet
        if required:
            cells.add(name, None, "", _("The sheet “%(sheet)s” is missing.") % {"sheet": name})
        return []
    rows, before = _rows(book[name], name, cells), len(cells.problems)
    first = next(rows, None)
    if first is None or first[0] != 1:
        cells.add(name, 1, "", _("The first row must hold the column names."))
        return []
    headers = [_token(v) or "" for v in first[1]]
    for index, header in enumerate(headers):
        if header and header not in known and not any(p.match(header) for p in patterns):
            cells.add(name, 1, header, _("Unknown column."))
        elif header and headers.index(header) != index:
            cells.add(name, 1, header, _("The column appears twice."))
    for column in required:
        if column not in headers:
            cells.add(name, 1, column, _("The column is missing."))
    if len(cells.problems) > before:
        return []
    return [(n, {h: v for h, v in zip(headers, values, strict=False) if h}) for n, values in rows]


# --------------------------------------------------------------------------------------------
# Sheets to documents


def _framework_doc(book: Any, cells: _Cells) -> Document:
    lines: dict[PathKey, int] = {}
    header: dict[str, Any] = {}
    where: PathKey = ("framework",)
    cells.mark(lines, where, FRAMEWORK_SHEET, 1, "key")
    cells.mark(lines, (), FRAMEWORK_SHEET, 1, "key")
    seen: set[str] = set()
    for row, values in _table(book, FRAMEWORK_SHEET, FRAMEWORK_COLUMNS, FRAMEWORK_COLUMNS, cells):
        key, value = _token(values.get("key")), values.get("value")
        if key is None:
            continue
        if key in seen:
            cells.add(FRAMEWORK_SHEET, row, "key", _("The key appears twice."))
        seen.add(key)
        path = _header_value(header, key, value, cells, row)
        if path:
            cells.mark(lines, (*where, *path[:1]), FRAMEWORK_SHEET, row, "value")
            cells.mark(lines, (*where, *path), FRAMEWORK_SHEET, row, "value")
    return Document(Path(FRAMEWORK_SHEET), {"framework": header}, lines)


def _header_value(
    header: dict[str, Any], key: str, value: Any, cells: _Cells, row: int
) -> PathKey | None:
    """Put one Framework row into the header; return where it went."""
    if key == "languages":
        header["languages"] = _list(value)
        cells.languages = [code for code in header["languages"] if code in LANGUAGES]
        return ("languages",)
    if key in HEADER_KEYS:
        if (text := _token(value) if key in {"id", "version"} else _text(value)) is not None:
            header[key] = text
        return (key,)
    if match := TEXT_KEY.match(key):
        if (text := _text(value)) is not None:
            header.setdefault(match.group(1), {})[match.group(2)] = text
        return (match.group(1), match.group(2))
    if key in {"scale_min", "scale_max"}:
        if value is not None:
            header.setdefault("scale", {"levels": {}})[key[6:]] = _number(value)
        return ("scale", key[6:])
    if match := SCALE_KEY.match(key):
        if (text := _text(value)) is not None:
            levels = header.setdefault("scale", {"levels": {}})["levels"]
            levels.setdefault(match.group(1), {})[match.group(2)] = text
        return ("scale", "levels", match.group(1), match.group(2))
    cells.add(FRAMEWORK_SHEET, row, "key", _("Unknown key “%(key)s”.") % {"key": key})
    return None


def _node(values: dict[str, Any]) -> dict[str, Any]:
    """One Nodes row as a node of the library format (empty cells left out)."""
    data: dict[str, Any] = {}
    for column in ("id", "parent", "kind", "type", "level"):
        if (token := _token(values.get(column))) is not None:
            data[column] = token
    for column in ("weight", "min", "max"):
        if values.get(column) is not None:
            data[column] = _number(values[column])
    if roles := _list(values.get("roles")):
        data["roles"] = roles
    if values.get("not_applicable") is not None:
        data["not_applicable"] = _flag(values["not_applicable"])
    for column, value in values.items():
        text = _text(value)
        if text is None:
            continue
        name, _sep, lang = column.rpartition("_")
        if name in TEXT_FIELDS and column in NODE_COLUMNS:
            data.setdefault(name, {})[lang] = text
        elif match := LEVEL_COLUMN.match(column):
            data.setdefault("levels", {}).setdefault(match.group(1), {})[lang] = text
        elif match := RECOMMENDATION_COLUMN.match(column):
            data.setdefault("recommendations", {}).setdefault(match.group(1), {})[lang] = text
    return data


def _mark_node(
    cells: _Cells, lines: dict[PathKey, int], where: PathKey, row: int, data: dict[str, Any]
) -> None:
    cells.mark(lines, where, NODES_SHEET, row, "id")
    cells.mark(lines, (*where, "options"), NODES_SHEET, row, "type")
    for key, value in data.items():
        column = {"levels": "level", "recommendations": "recommendation"}.get(key, key)
        cells.mark(lines, (*where, key), NODES_SHEET, row, column)
        if key in TEXT_FIELDS:
            for lang in value:
                cells.mark(lines, (*where, key, lang), NODES_SHEET, row, f"{key}_{lang}")


def _nodes_doc(book: Any, cells: _Cells) -> Document:
    lines: dict[PathKey, int] = {}
    cells.mark(lines, (), NODES_SHEET, 1, "id")
    nodes: list[dict[str, Any]] = []
    rows: dict[str, int] = {}
    patterns = (LEVEL_COLUMN, RECOMMENDATION_COLUMN)
    table = _table(book, NODES_SHEET, NODE_COLUMNS, ("id", "kind"), cells, patterns)
    for row, values in table:
        data = _node(values)
        where: PathKey = ("nodes", len(nodes))
        _mark_node(cells, lines, where, row, data)
        if "id" in data:
            rows.setdefault(data["id"], len(nodes))
        nodes.append(data)
    _read_options(book, cells, lines, nodes, rows)
    _read_mappings(book, cells, lines, nodes, rows)
    return Document(Path(NODES_SHEET), {"nodes": nodes}, lines)


def _read_options(
    book: Any,
    cells: _Cells,
    lines: dict[PathKey, int],
    nodes: list[dict[str, Any]],
    rows: dict[str, int],
) -> None:
    for row, values in _table(book, OPTIONS_SHEET, OPTION_COLUMNS, (), cells):
        question = _token(values.get("question"))
        if question not in rows:
            cells.add(OPTIONS_SHEET, row, "question", _NO_SUCH_NODE % {"id": question})
            continue
        option: dict[str, Any] = {"id": _token(values.get("id")) or ""}
        titles = {c[6:]: t for c in OPTION_COLUMNS[2:] if (t := _text(values.get(c))) is not None}
        if titles:
            option["title"] = titles
        options = nodes[rows[question]].setdefault("options", [])
        where: PathKey = ("nodes", rows[question], "options", len(options))
        cells.mark(lines, where[:3], OPTIONS_SHEET, row, "id")
        cells.mark(lines, where, OPTIONS_SHEET, row, "id")
        for lang in titles:
            cells.mark(lines, (*where, "title", lang), OPTIONS_SHEET, row, f"title_{lang}")
        options.append(option)


def _read_mappings(
    book: Any,
    cells: _Cells,
    lines: dict[PathKey, int],
    nodes: list[dict[str, Any]],
    rows: dict[str, int],
) -> None:
    for row, values in _table(book, MAPPINGS_SHEET, MAPPING_COLUMNS, (), cells):
        source, target_fw = _token(values.get("from")), _token(values.get("to_framework"))
        if source not in rows:
            cells.add(MAPPINGS_SHEET, row, "from", _NO_SUCH_NODE % {"id": source})
            continue
        if target_fw is None:
            cells.add(MAPPINGS_SHEET, row, "to_framework", _("The framework is missing."))
            continue
        entry: dict[str, Any] = {"to": _token(values.get("to")) or ""}
        if (relation := _token(values.get("relation"))) is not None:
            entry["relation"] = relation
        targets = nodes[rows[source]].setdefault("mappings", {}).setdefault(target_fw, [])
        where: PathKey = ("nodes", rows[source], "mappings", target_fw)
        cells.mark(lines, where, MAPPINGS_SHEET, row, "to")
        cells.mark(lines, (*where, len(targets)), MAPPINGS_SHEET, row, "to")
        cells.mark(lines, (*where, len(targets), "relation"), MAPPINGS_SHEET, row, "relation")
        targets.append(entry)


# --------------------------------------------------------------------------------------------
# The workbook as a framework


def read_workbook(data: bytes) -> tuple[ParsedFramework, _Cells]:
    """The workbook as a schema-checked framework; LibraryError lists every problem located."""
    book = _open(data)
    try:
        cells = _Cells()
        header_doc = _framework_doc(book, cells)
        nodes_doc = _nodes_doc(book, cells)
    finally:
        book.close()
    problems = list(cells.problems)
    if not problems:
        found = check_schema(header_doc, FRAMEWORK_FILE, FRAMEWORK_SHEET)
        found += check_schema(nodes_doc, NODES_FILE, NODES_SHEET)
        problems = [cells.locate(p) for p in found]
    if problems:
        raise LibraryError(problems)
    framework = ParsedFramework(header_doc.data["framework"], header_doc)
    for index, item in enumerate(nodes_doc.data["nodes"]):
        node = {k: v for k, v in item.items() if k != "parent"}
        framework.nodes.append(
            ParsedNode(item["id"], item.get("parent"), node, index, nodes_doc, ("nodes", index))
        )
    return framework, cells


def shipped_framework_ids() -> set[str]:
    """Ids of the frameworks shipped in the library, which no import may take."""
    ids = set()
    for header in sorted(LIBRARY_DIR.glob("*/framework.yaml")):
        data = yaml.safe_load(header.read_text(encoding="utf-8")) or {}
        ids.add(str((data.get("framework") or {}).get("id", header.parent.name)))
    return ids


def _ownership_problem(framework: ParsedFramework, organisation: Organisation) -> str | None:
    """Why an organisation may not import this set: only sets named after a network it stewards."""
    key = framework.key
    if key in shipped_framework_ids():
        return _(
            "“%(id)s” is a framework shipped with Samvirke; give your question set its own id."
        ) % {"id": key}
    prefixes = [key[:i] for i, char in enumerate(key) if char == "-"]
    # The longest matching code names the owner, so network "kl" cannot take "kl-syd-…".
    networks = Network.objects.filter(code__in=prefixes)
    longest = max(networks, key=lambda network: len(network.code), default=None)
    if longest is not None and longest.steward_id == organisation.pk:
        return None
    codes = sorted(Network.objects.filter(steward=organisation).values_list("code", flat=True))
    example = f"{codes[0]}-my-questions" if codes else "-"
    return _(
        "The id must start with the code of a network your organisation coordinates, "
        "followed by a hyphen (for example “%(example)s”)."
    ) % {"example": example}


@transaction.atomic
def workbook_import(
    *, data: bytes, actor: User | None, organisation: Organisation | None
) -> LoadReport:
    """Load a question set from an XLSX workbook: all of it, audited, or nothing.

    With an organisation, the set must be one of its own networks' (see `_ownership_problem`);
    without one (the operator's tools) any framework may be loaded, as with `frameworks_load`.
    """
    framework, cells = read_workbook(data)
    if organisation is not None and (refusal := _ownership_problem(framework, organisation)):
        line = framework.header_doc.line(("framework", "id"))
        raise LibraryError([cells.locate(Problem(FRAMEWORK_SHEET, line, "framework.id", refusal))])
    try:
        plan = plan_parsed([framework], [], [])
    except LibraryError as error:
        raise LibraryError([cells.locate(p) for p in error.problems]) from error
    return frameworks_apply(plan=plan, actor=actor, organisation=organisation)
