"""An assessment as an XLSX workbook to answer offline, and reading that workbook back.

Sheet "Answers" has one row per question (one per org unit for per-unit questions) with the
current answer, its version, last year's answer and the delegation; sheet "About" says whose
file it is, with an identity the import checks. Respondents get only the questions they may
answer. This module knows the layout and the cell formats; imports.py holds the import's rules.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from samvirke.baseline.models import Answer, Assessment, Delegation
from samvirke.baseline.queries import previous_campaign
from samvirke.baseline.services import is_coordinator, may_answer
from samvirke.baseline.validation import MAX_TEXT, YES_PARTLY_NO, maturity_range, option_ids
from samvirke.core.xlsx import XlsxRefused, bounded_rows, open_workbook
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind, QuestionType, localized
from samvirke.tenancy.models import Membership, OrgUnit

if TYPE_CHECKING:
    from samvirke.accounts.models import User

ANSWERS_SHEET = "Answers"
ABOUT_SHEET = "About"
FORMAT = "samvirke-baseline-answers/1"
MAX_ROWS = 20_000
MAX_COLUMNS = 40
IDENTITY_SALT = "samvirke.baseline.excel.identity"
ROW_SALT = "samvirke.baseline.excel.row"
TRUE_WORDS = {"true", "yes", "ja", "x", "1"}
FALSE_WORDS = {"false", "no", "nej", "nei", "0"}

HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
EDITABLE_FILL = PatternFill("solid", fgColor="FFF4CE")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


@dataclass(frozen=True)
class Column:
    """One column of the Answers sheet."""

    key: str
    title: Promise
    width: int
    editable: bool = False
    wrap: bool = False


COLUMNS = (
    Column("question", gettext_lazy("Question id"), 12),
    Column("area", gettext_lazy("Area"), 24, wrap=True),
    Column("text", gettext_lazy("Question"), 60, wrap=True),
    Column("how", gettext_lazy("How to answer"), 36, wrap=True),
    Column("unit_id", gettext_lazy("Org unit id"), 10),
    Column("unit", gettext_lazy("Org unit"), 22, wrap=True),
    Column("value", gettext_lazy("Answer"), 16, editable=True, wrap=True),
    Column("not_applicable", gettext_lazy("Not applicable"), 14, editable=True),
    Column("not_applicable_reason", gettext_lazy("Why it does not apply"), 30, True, True),
    Column("dont_know", gettext_lazy("Don't know"), 12, editable=True),
    Column("unsure", gettext_lazy("Unsure"), 10, editable=True),
    Column("comment", gettext_lazy("Comment"), 40, editable=True, wrap=True),
    Column("version", gettext_lazy("Version"), 9),
    Column("last_value", gettext_lazy("Last year's answer"), 16, wrap=True),
    Column("last_comment", gettext_lazy("Last year's comment"), 30, wrap=True),
    Column("delegated_to", gettext_lazy("Delegated to"), 30, wrap=True),
    Column("check", gettext_lazy("Row check"), 18),
)
INDEX = {column.key: number for number, column in enumerate(COLUMNS, start=1)}
FLAG_COLUMNS = ("not_applicable", "dont_know", "unsure")
TEXT_COLUMNS = ("not_applicable_reason", "comment")

ABOUT_FIELDS: tuple[tuple[str, Promise], ...] = (
    ("format", gettext_lazy("File format")),
    ("organisation_code", gettext_lazy("Organisation code")),
    ("organisation", gettext_lazy("Organisation")),
    ("campaign_id", gettext_lazy("Campaign id")),
    ("campaign_year", gettext_lazy("Campaign year")),
    ("campaign", gettext_lazy("Campaign")),
    ("assessment_id", gettext_lazy("Assessment id")),
    ("framework", gettext_lazy("Framework")),
    ("framework_version", gettext_lazy("Framework version")),
    ("exported_at", gettext_lazy("Exported at")),
    ("exported_by", gettext_lazy("Exported by")),
    ("identity", gettext_lazy("Identity check")),
)
ABOUT_VALUE_COLUMN = "C"


@dataclass(frozen=True)
class CellError:
    """One problem in an uploaded workbook, located; an empty sheet means the whole file."""

    sheet: str
    row: int | None
    column: str
    heading: str
    message: str
    code: str


def whole_file_error(message: str, code: str = "file") -> CellError:
    """A problem with the file as a whole (not a workbook, too large, ...)."""
    return CellError("", None, "", "", message, code)


def answers_error(row: int, key: str, message: str, code: str) -> CellError:
    """A problem in one cell of the Answers sheet."""
    return CellError(
        ANSWERS_SHEET, row, get_column_letter(INDEX[key]), str(COLUMNS[INDEX[key] - 1].title),
        message, code,
    )  # fmt: skip


# --- identities ----------------------------------------------------------------------------


def file_identity(assessment: Assessment) -> str:
    """A keyed digest of whose file this is, so an edited About sheet is noticed."""
    campaign = assessment.campaign
    parts = (assessment.organisation_id, campaign.pk, assessment.pk, campaign.framework_version_id)
    text = ":".join(str(part) for part in parts)
    return salted_hmac(IDENTITY_SALT, text, algorithm="sha256").hexdigest()[:32]


def row_check(assessment: Assessment, question_key: str, unit_id: int | None) -> str:
    """A keyed digest of a row's question and unit, so an edited question id is noticed."""
    text = f"{assessment.pk}:{question_key}:{unit_id or ''}"
    return salted_hmac(ROW_SALT, text, algorithm="sha256").hexdigest()[:16]


# --- the rows of an export -----------------------------------------------------------------


@dataclass
class AnswerRow:
    """One row of the Answers sheet: a question, for the organisation or one unit."""

    question: Node
    area: Node | None
    unit: OrgUnit | None
    answer: Answer | None
    previous: Answer | None
    delegations: list[Delegation] = field(default_factory=list)


@dataclass
class _Assessment:
    """Everything an export reads, each in one query."""

    questions: list[Node]
    chains: dict[int, list[Node]]
    units: list[OrgUnit]
    answers: dict[tuple[int, int | None], Answer]
    previous: dict[tuple[str, int | None], Answer]
    delegations: list[Delegation]


def question_chains(nodes: list[Node]) -> dict[int, list[Node]]:
    """Question id → the question and every node above it, nearest first."""
    by_id = {node.pk: node for node in nodes}
    chains: dict[int, list[Node]] = {}
    for node in nodes:
        if node.kind != NodeKind.QUESTION:
            continue
        chain: list[Node] = []
        current: Node | None = node
        while current is not None and len(chain) < 50:
            chain.append(current)
            current = by_id.get(current.parent_id) if current.parent_id else None
        chains[node.pk] = chain
    return chains


def _load(assessment: Assessment) -> _Assessment:
    organisation = assessment.organisation_id
    nodes = list(
        Node.objects.filter(version=assessment.campaign.framework_version_id)
        .select_related("version")
        .order_by("position")
    )
    answers = Answer.objects.filter(organisation=organisation, assessment=assessment)
    earlier = previous_campaign(assessment.campaign)
    previous = Answer.objects.filter(organisation=organisation, assessment__campaign=earlier)
    delegations = Delegation.objects.filter(organisation=organisation, assessment=assessment)
    return _Assessment(
        questions=[node for node in nodes if node.kind == NodeKind.QUESTION],
        chains=question_chains(nodes),
        units=list(OrgUnit.objects.filter(organisation=organisation).order_by("name")),
        answers={(a.question_id, a.org_unit_id): a for a in answers},
        previous={
            (a.question.key, a.org_unit_id): a
            for a in (previous.select_related("question__version") if earlier else [])
        },
        delegations=list(delegations.select_related("org_unit", "user")),
    )


class _Answerable:
    """Which rows a respondent may answer: services.may_answer, asked only where it could say yes.

    may_answer costs queries per call; a delegation on the question's chain (and, for a unit,
    naming that unit or one of the user's own) is a necessary condition, checked in memory first.
    """

    def __init__(self, user: User, assessment: Assessment) -> None:
        self.user, self.assessment = user, assessment
        memberships = Membership.objects.filter(organisation=assessment.organisation_id, user=user)
        self.my_units = set(memberships.current().values_list("org_unit_id", flat=True)) - {None}

    def __call__(self, question: Node, unit: OrgUnit | None, relevant: list[Delegation]) -> bool:
        if not relevant:
            return False
        named = {d.org_unit_id for d in relevant}
        if (
            unit is not None
            and unit.pk not in named
            and not (None in named and unit.pk in self.my_units)
        ):
            return False
        return may_answer(self.user, self.assessment, question, unit)


def answer_rows(assessment: Assessment, user: User, *, everything: bool) -> list[AnswerRow]:
    """The rows of the export: every question (everything=True), else what the user may answer."""
    data = _load(assessment)
    show_all = everything or is_coordinator(user, assessment.organisation_id)
    answerable = None if show_all else _Answerable(user, assessment)
    rows: list[AnswerRow] = []
    for question in data.questions:
        chain = data.chains[question.pk]
        on_chain = {node.pk for node in chain}
        relevant = [d for d in data.delegations if d.node_id in on_chain]
        area = next((node for node in chain if node.kind == NodeKind.AREA), None)
        unit_level = question.answer_level == AnswerLevel.UNIT
        units: list[OrgUnit | None] = list(data.units) if unit_level else [None]
        for unit in units:
            if answerable is not None and not answerable(question, unit, relevant):
                continue
            unit_id = unit.pk if unit else None
            rows.append(
                AnswerRow(
                    question=question,
                    area=area,
                    unit=unit,
                    answer=data.answers.get((question.pk, unit_id)),
                    previous=data.previous.get((question.key, unit_id)),
                    delegations=[d for d in relevant if d.org_unit_id in (None, unit_id)]
                    if unit
                    else relevant,
                )
            )
    return rows


# --- cell formats --------------------------------------------------------------------------


def _yes_partly_no() -> dict[str, str]:
    return {"yes": _("Yes"), "partly": _("Partly"), "no": _("No")}


def format_value(question: Node, value: Any) -> Any:
    """A stored answer value as the workbook shows it."""
    if value is None:
        return None
    if question.question_type == QuestionType.YES_PARTLY_NO:
        return _yes_partly_no().get(value, str(value))
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int | float | str) else str(value)


def _summary(answer: Answer | None) -> Any:
    if answer is None:
        return None
    if answer.not_applicable:
        return _("Not applicable")
    if answer.dont_know:
        return _("Don't know")
    return format_value(answer.question, answer.value)


def _options(question: Node) -> str:
    return "; ".join(
        f"{option['id']} = {localized(option.get('title'))}"
        for option in question.options or []
        if "id" in option
    )


def how_to_answer(question: Node) -> str:
    """What the answer cell takes, in the user's language."""
    kind = question.question_type
    if kind == QuestionType.MATURITY:
        low, high = maturity_range(question)
        texts = question.level_texts()
        levels = [
            f"{n} = {localized(texts.get(str(n)))}".rstrip(" =") for n in range(low, high + 1)
        ]
        return (
            _("A level from %(low)s to %(high)s.") % {"low": low, "high": high}
            + "\n"
            + "\n".join(levels)
        )
    if kind == QuestionType.YES_PARTLY_NO:
        return _("Yes, Partly or No.")
    if kind == QuestionType.NUMBER:
        return _number_help(question)
    if kind == QuestionType.SINGLE_CHOICE:
        return _("The id of one option: %(options)s") % {"options": _options(question)}
    if kind == QuestionType.MULTIPLE_CHOICE:
        return _("The ids of one or more options, separated by semicolons: %(options)s") % {
            "options": _options(question)
        }
    return _("Text of at most %(count)s characters.") % {"count": MAX_TEXT}


def _number_help(question: Node) -> str:
    text = _("A number.")
    low, high = question.number_min, question.number_max
    if low is not None and high is not None:
        text = _("A number from %(min)s to %(max)s.") % {"min": _plain(low), "max": _plain(high)}
    unit = localized(question.number_unit)
    return f"{text} ({unit})" if unit else text


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _delegate(delegation: Delegation) -> str:
    parts = []
    if delegation.org_unit is not None:
        parts.append(delegation.org_unit.name)
    if delegation.user is not None:
        parts.append(delegation.user.get_full_name() or delegation.user.get_username())
    return " / ".join(parts)


def _flag(value: bool) -> str | None:
    return _("Yes") if value else None


def _row_values(assessment: Assessment, row: AnswerRow) -> dict[str, Any]:
    answer, question = row.answer, row.question
    return {
        "question": question.key,
        "area": f"{row.area.key} {localized(row.area.title)}" if row.area else None,
        "text": localized(question.title),
        "how": how_to_answer(question),
        "unit_id": row.unit.pk if row.unit else None,
        "unit": row.unit.name if row.unit else None,
        "value": format_value(question, answer.value) if answer else None,
        "not_applicable": _flag(bool(answer and answer.not_applicable)),
        "not_applicable_reason": answer.not_applicable_reason if answer else None,
        "dont_know": _flag(bool(answer and answer.dont_know)),
        "unsure": _flag(bool(answer and answer.unsure)),
        "comment": answer.comment if answer else None,
        "version": answer.version if answer else 0,
        "last_value": _summary(row.previous),
        "last_comment": row.previous.comment if row.previous else None,
        "delegated_to": "; ".join(filter(None, (_delegate(d) for d in row.delegations))),
        "check": row_check(assessment, question.key, row.unit.pk if row.unit else None),
    }


# --- building the workbook -----------------------------------------------------------------


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> Any:
    """Write a value; text is always text (never a formula, whatever it starts with)."""
    cell = sheet.cell(row=row, column=column, value=None if value == "" else value)
    if isinstance(value, str) and value:
        cell.data_type = "s"
    return cell


class _Validations:
    """Data validation lists and bounds: one rule per distinct list, its cells as column runs.

    openpyxl adds cells to a rule one by one in quadratic time; thousands of rows need the
    ranges built here and given to each rule once.
    """

    def __init__(self) -> None:
        self.cells: dict[tuple[str, ...], dict[str, list[int]]] = {}

    def add(self, at: tuple[str, int], kind: str, *formulas: str, operator: str = "") -> None:
        column, row = at
        self.cells.setdefault((kind, operator, *formulas), {}).setdefault(column, []).append(row)

    def choose(self, at: tuple[str, int], labels: list[str]) -> None:
        """A drop-down of labels, when Excel's list syntax can hold them."""
        text = ",".join(labels)
        if labels and len(text) <= 250 and '"' not in text and all("," not in x for x in labels):
            self.add(at, "list", f'"{text}"')

    def write(self, sheet: Worksheet) -> None:
        """Give the sheet one rule per distinct list or bound."""
        for (kind, operator, *formulas), columns in self.cells.items():
            options: dict[str, Any] = {"type": kind, "operator": operator or None}
            options.update(zip(("formula1", "formula2"), formulas, strict=False))
            rule = DataValidation(allow_blank=True, showErrorMessage=True, **options)
            rule.error = _("This value is not allowed here; see the column “How to answer”.")
            rule.errorTitle = _("Not allowed")
            rule.sqref = MultiCellRange(
                " ".join(_runs(letter, rows) for letter, rows in columns.items())
            )
            sheet.add_data_validation(rule)


def _runs(letter: str, rows: list[int]) -> str:
    """Rows of one column as ranges of consecutive rows ("G2:G9 G12")."""
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return " ".join(
        f"{letter}{first}:{letter}{last}" if last > first else f"{letter}{first}"
        for first, last in runs
    )


def _answer_rule(rules: _Validations, cell: tuple[str, int], question: Node) -> None:
    kind = question.question_type
    if kind == QuestionType.MATURITY:
        low, high = maturity_range(question)
        rules.choose(cell, [str(n) for n in range(low, high + 1)])
    elif kind == QuestionType.YES_PARTLY_NO:
        rules.choose(cell, list(_yes_partly_no().values()))
    elif kind == QuestionType.SINGLE_CHOICE:
        rules.choose(cell, option_ids(question))
    elif kind == QuestionType.NUMBER and None not in (question.number_min, question.number_max):
        bounds = (str(question.number_min), str(question.number_max))
        rules.add(cell, "decimal", *bounds, operator="between")
    elif kind == QuestionType.TEXT:
        rules.add(cell, "textLength", str(MAX_TEXT), operator="lessThanOrEqual")


def _write_answers(sheet: Worksheet, assessment: Assessment, rows: list[AnswerRow]) -> None:
    rules = _Validations()
    for number, column in enumerate(COLUMNS, start=1):
        cell = _put(sheet, 1, number, str(column.title))
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEADER_FILL, WRAP
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    for row_number, row in enumerate(rows, start=2):
        values = _row_values(assessment, row)
        for number, column in enumerate(COLUMNS, start=1):
            cell = _put(sheet, row_number, number, values[column.key])
            cell.alignment = WRAP if column.wrap else TOP
            if column.editable:
                cell.protection, cell.fill = Protection(locked=False), EDITABLE_FILL
        _row_rules(rules, row_number, row.question)
    rules.write(sheet)
    _finish_sheet(sheet, len(rows) + 1)


def _row_rules(rules: _Validations, row_number: int, question: Node) -> None:
    def at(key: str) -> tuple[str, int]:
        return get_column_letter(INDEX[key]), row_number

    _answer_rule(rules, at("value"), question)
    flags = [_("Yes"), _("No")]
    for key in FLAG_COLUMNS:
        if key != "not_applicable" or question.allows_not_applicable:
            rules.choose(at(key), flags)
    for key in TEXT_COLUMNS:
        rules.add(at(key), "textLength", str(MAX_TEXT), operator="lessThanOrEqual")


def _finish_sheet(sheet: Worksheet, last_row: int) -> None:
    """Frozen header and question id, a filter, the check column hidden, read-only cells locked."""
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last_row}"
    sheet.column_dimensions[get_column_letter(INDEX["check"])].hidden = True
    protection = sheet.protection
    protection.sheet = True
    # False allows: people may still filter, sort and resize; they cannot type into locked cells.
    protection.autoFilter = protection.sort = False
    protection.formatColumns = protection.formatRows = False


def _about_values(assessment: Assessment, user: User) -> dict[str, Any]:
    campaign = assessment.campaign
    version = campaign.framework_version
    return {
        "format": FORMAT,
        "organisation_code": assessment.organisation.code,
        "organisation": assessment.organisation.name,
        "campaign_id": campaign.pk,
        "campaign_year": campaign.year,
        "campaign": campaign.title,
        "assessment_id": assessment.pk,
        "framework": version.framework.key,
        "framework_version": version.version,
        "exported_at": timezone.localtime().replace(tzinfo=None, microsecond=0),
        "exported_by": user.get_full_name() or user.get_username(),
        "identity": file_identity(assessment),
    }


def _write_about(sheet: Worksheet, assessment: Assessment, user: User) -> None:
    for number, title in enumerate(("key", _("Field"), _("Value")), start=1):
        _put(sheet, 1, number, title).font = Font(bold=True)
    values = _about_values(assessment, user)
    for number, (key, label) in enumerate(ABOUT_FIELDS, start=2):
        _put(sheet, number, 1, key)
        _put(sheet, number, 2, str(label))
        cell = _put(sheet, number, 3, values[key])
        if key == "exported_at":
            cell.number_format = "yyyy-mm-dd hh:mm"
    note = len(ABOUT_FIELDS) + 3
    for offset, text in enumerate(_instructions()):
        _put(sheet, note + offset, 2, text)
    for letter, width in (("A", 20), ("B", 24), ("C", 60)):
        sheet.column_dimensions[letter].width = width
    sheet.protection.sheet = True


def _instructions() -> list[str]:
    return [
        _(
            "Fill in the yellow columns of the sheet Answers and import the file on the "
            "assessment's import page."
        ),
        _("Leave the other columns as they are: they tell Samvirke which answer each row is."),
        _(
            "If an answer was changed in Samvirke after this export, the import refuses that row: "
            "export again."
        ),
    ]


def export_workbook(*, assessment: Assessment, user: User, everything: bool) -> bytes:
    """The assessment as a workbook (only the questions the user may answer unless everything)."""
    book = Workbook()
    answers = book.active
    assert isinstance(answers, Worksheet)
    answers.title = ANSWERS_SHEET
    _write_answers(answers, assessment, answer_rows(assessment, user, everything=everything))
    _write_about(book.create_sheet(ABOUT_SHEET), assessment, user)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


# --- reading the workbook back -------------------------------------------------------------


@dataclass
class SheetRow:
    """One filled-in row of the Answers sheet: column key → cell value."""

    number: int
    cells: dict[str, Any]


@dataclass
class ReadWorkbook:
    """What an uploaded workbook holds, or why it cannot be read."""

    about: dict[str, tuple[int, Any]] = field(default_factory=dict)
    rows: list[SheetRow] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)


def read_workbook(data: bytes) -> ReadWorkbook:
    """Read an uploaded answers workbook; the errors say where the layout is broken."""
    try:
        book = open_workbook(data)
    except XlsxRefused as refusal:
        return ReadWorkbook(errors=[whole_file_error(refusal.message)])
    found = ReadWorkbook()
    try:
        found.about = _read_about(book, found.errors)
        if not found.errors:
            found.rows = _read_answers(book, found.errors)
    finally:
        book.close()
    return found


def _sheet(book: Any, name: str, errors: list[CellError]) -> Any:
    if name not in book.sheetnames or not hasattr(book[name], "iter_rows"):  # a chart sheet
        message = _("The sheet “%(sheet)s” is missing.") % {"sheet": name}
        errors.append(CellError(name, None, "", "", message, "layout"))
        return None
    return book[name]


def _rows(sheet: Any, name: str, errors: list[CellError]) -> list[tuple[int, tuple[Any, ...]]]:
    found = []
    for number, values in bounded_rows(sheet, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS):
        if number > MAX_ROWS:
            message = _("The sheet has more than %(rows)s rows.") % {"rows": MAX_ROWS}
            errors.append(CellError(name, number, "", "", message, "layout"))
            break
        if any(v is not None and str(v).strip() for v in values):
            found.append((number, values))
    return found


def _read_about(book: Any, errors: list[CellError]) -> dict[str, tuple[int, Any]]:
    sheet = _sheet(book, ABOUT_SHEET, errors)
    if sheet is None:
        return {}
    about: dict[str, tuple[int, Any]] = {}
    for number, values in _rows(sheet, ABOUT_SHEET, errors):
        key = token(values[0] if values else None)
        if key and key not in about:
            about[key] = (number, values[2] if len(values) > 2 else None)
    return about


def _titles(column: Column) -> set[str]:
    """The column's heading in every language of the installation (a file travels)."""
    titles = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            titles.add(str(column.title).strip().casefold())
    return titles


def _read_answers(book: Any, errors: list[CellError]) -> list[SheetRow]:
    sheet = _sheet(book, ANSWERS_SHEET, errors)
    if sheet is None:
        return []
    rows = _rows(sheet, ANSWERS_SHEET, errors)
    if not rows or rows[0][0] != 1:
        message = _("The first row must hold the column names.")
        errors.append(CellError(ANSWERS_SHEET, 1, "", "", message, "layout"))
        return []
    header = rows[0][1]
    for number, column in enumerate(COLUMNS, start=1):
        found = str(header[number - 1] or "").strip().casefold() if number <= len(header) else ""
        if found not in _titles(column):
            message = _("The column “%(title)s” must be here, as exported.") % {
                "title": column.title
            }
            errors.append(answers_error(1, column.key, message, "layout"))
    if errors:
        return []
    return [
        SheetRow(number, {column.key: values[i] if i < len(values) else None
                          for i, column in enumerate(COLUMNS)})
        for number, values in rows[1:]
    ]  # fmt: skip


# --- cell values back to answers -----------------------------------------------------------


def token(value: Any) -> str | None:
    """An id or keyword as the user saw it: 12.0 typed into Excel is "12"; blank is None."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def text(value: Any) -> str:
    """A free-text cell as text ("" when empty)."""
    if isinstance(value, str):
        return value
    return token(value) or ""


def flag(value: Any) -> bool:
    """A yes/no cell: yes, x, true or 1 in any of our languages; empty or no is no."""
    word = (token(value) or "").casefold()
    if not word:
        return False
    yes = TRUE_WORDS | _translated("Yes")
    no = FALSE_WORDS | _translated("No")
    if word in yes:
        return True
    if word in no:
        return False
    raise ValidationError(_("Write “%(yes)s” or leave the cell empty.") % {"yes": _("Yes")})


def _translated(message: str) -> set[str]:
    words = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.add(_(message).casefold())
    return words


def _option(question: Node, raw: str) -> str:
    """An option id from its id or its title in any language (unknown text is returned as is)."""
    wanted = raw.strip().casefold()
    for option in question.options or []:
        titles = {str(t).strip().casefold() for t in (option.get("title") or {}).values()}
        if str(option.get("id", "")).casefold() == wanted or wanted in titles:
            return str(option["id"])
    return raw.strip()


def _number(raw: Any) -> Any:
    if isinstance(raw, str):
        cleaned = raw.strip().replace(" ", "").replace("\u00a0", "")
        if cleaned.count(",") == 1 and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")  # a Danish or Norwegian decimal comma
        try:
            raw = float(cleaned)
        except ValueError:
            return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def _yes_partly_no_code(raw: Any) -> Any:
    word = (token(raw) or "").casefold()
    for code in YES_PARTLY_NO:
        if word == code or word in _translated(code.capitalize()):
            return code
    return raw


def parse_value(question: Node, raw: Any) -> Any:
    """A cell as the answer value clean_answer checks (None when empty)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = question.question_type
    if kind in (QuestionType.MATURITY, QuestionType.NUMBER):
        return _number(raw)
    if kind == QuestionType.YES_PARTLY_NO:
        return _yes_partly_no_code(raw)
    if kind == QuestionType.SINGLE_CHOICE:
        return _option(question, token(raw) or "")
    if kind == QuestionType.MULTIPLE_CHOICE:
        parts = re.split(r"[;,\n]", token(raw) or "")
        return [_option(question, part) for part in parts if part.strip()]
    return raw if isinstance(raw, str) else token(raw)
