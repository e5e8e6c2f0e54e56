"""Importing answers from an assessment's XLSX export: everything checked first, then all or none.

Every problem is collected and located (sheet, row, column) before anything is written; only a
file without any is saved, in one transaction, row by row through the same write as the answer
page (services._answer_write: lock, delegation, values, versions, revision, audit). A refused
import is audited after the rollback, as services.answer_save does for refused answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from samvirke.audit.services import audit_log
from samvirke.baseline.excel import (
    ABOUT_SHEET,
    ABOUT_VALUE_COLUMN,
    FLAG_COLUMNS,
    FORMAT,
    TEXT_COLUMNS,
    CellError,
    SheetRow,
    answers_error,
    file_identity,
    flag,
    parse_value,
    read_workbook,
    row_check,
    text,
    token,
)
from samvirke.baseline.models import Answer, AnswerVia, Assessment, CampaignState
from samvirke.baseline.services import StaleAnswer, _answer_write, is_coordinator, may_answer
from samvirke.baseline.validation import AnswerData, clean_answer
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind
from samvirke.tenancy.models import OrgUnit

if TYPE_CHECKING:
    from samvirke.accounts.models import User

#: What an answer says, compared to find the rows that did not change.
COMPARED = (
    "value",
    "not_applicable",
    "not_applicable_reason",
    "dont_know",
    "unsure",
    "comment",
)


@dataclass
class ImportResult:
    """What an import did: answers saved and rows unchanged, or every problem (nothing saved)."""

    saved: int = 0
    unchanged: int = 0
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the import was saved."""
        return not self.errors


@dataclass
class _Change:
    row: int
    question: Node
    unit: OrgUnit | None
    data: AnswerData
    base_version: int


# --- the About sheet -----------------------------------------------------------------------


def _about_error(about: dict[str, tuple[int, Any]], key: str, message: str, code: str) -> CellError:
    row = about.get(key, (None, None))[0]
    return CellError(ABOUT_SHEET, row, ABOUT_VALUE_COLUMN if row else "", key, message, code)


def _check_identity(assessment: Assessment, about: dict[str, tuple[int, Any]]) -> list[CellError]:
    """The file must be this assessment's export: organisation, campaign, version, identity."""

    def value(key: str) -> str | None:
        return token(about.get(key, (0, None))[1])

    if value("format") != FORMAT:
        message = _("This is not an answers workbook exported from Samvirke.")
        return [_about_error(about, "format", message, "identity")]
    campaign = assessment.campaign
    errors = []
    if value("organisation_code") != assessment.organisation.code:
        message = _("This file belongs to another organisation (%(code)s).") % {
            "code": value("organisation_code") or "–"
        }
        errors.append(_about_error(about, "organisation_code", message, "other_organisation"))
    if value("campaign_id") != str(campaign.pk) or value("campaign_year") != str(campaign.year):
        message = _("This file belongs to another campaign (%(year)s).") % {
            "year": value("campaign_year") or "–"
        }
        errors.append(_about_error(about, "campaign_id", message, "other_campaign"))
    if errors:
        return errors
    if value("assessment_id") != str(assessment.pk):
        message = _("This file belongs to another assessment.")
        return [_about_error(about, "assessment_id", message, "identity")]
    if value("framework_version") != campaign.framework_version.version:
        message = _("This file was made for another framework version (%(version)s).") % {
            "version": value("framework_version") or "–"
        }
        return [_about_error(about, "framework_version", message, "identity")]
    if value("identity") != file_identity(assessment):
        message = _(
            "The identity check does not match this assessment: the sheet About was changed, "
            "or the file comes from another installation. Export the workbook again."
        )
        return [_about_error(about, "identity", message, "identity")]
    return []


def _check_open(assessment: Assessment, about: dict[str, tuple[int, Any]]) -> list[CellError]:
    if assessment.is_locked or assessment.campaign.state != CampaignState.OPEN:
        message = _("The assessment is locked: it has been submitted or closed.")
        return [_about_error(about, "assessment_id", message, "locked")]
    return []


# --- the Answers sheet ---------------------------------------------------------------------


class _RowChecker:
    """Checks every row against the assessment, collecting changes and located errors."""

    def __init__(self, actor: User, assessment: Assessment) -> None:
        organisation = assessment.organisation_id
        self.actor, self.assessment = actor, assessment
        questions = Node.objects.filter(
            version=assessment.campaign.framework_version_id, kind=NodeKind.QUESTION
        ).select_related("version")
        self.questions = {q.key: q for q in questions}
        self.units = {u.pk: u for u in OrgUnit.objects.filter(organisation=organisation)}
        answers = Answer.objects.filter(organisation=organisation, assessment=assessment)
        self.stored = {(a.question_id, a.org_unit_id): a for a in answers}
        self.coordinator = is_coordinator(actor, organisation)
        self.seen: dict[tuple[int, int | None], int] = {}
        self.changes: list[_Change] = []
        self.unchanged = 0
        self.errors: list[CellError] = []

    def error(self, row: SheetRow, key: str, message: str, code: str) -> None:
        self.errors.append(answers_error(row.number, key, message, code))

    def check(self, row: SheetRow) -> None:
        """Check one row; a change is kept only if the row has no problem."""
        target = self._target(row)
        if target is None:
            return
        question, unit = target
        data = self._data(row, question)
        if data is None:
            return
        stored = self.stored.get((question.pk, unit.pk if unit else None))
        if _same(stored, data):
            self.unchanged += 1  # a row left as exported, whoever may answer it
            return
        if not self.coordinator and not may_answer(self.actor, self.assessment, question, unit):
            message = _("This question has not been delegated to you.")
            self.error(row, "question", message, "not_delegated")
            return
        base = self._base_version(row, stored)
        if base is not None:
            self.changes.append(_Change(row.number, question, unit, data, base))

    def _target(self, row: SheetRow) -> tuple[Node, OrgUnit | None] | None:
        """The row's question and unit, if they are this assessment's and as exported."""
        key = token(row.cells["question"])
        question = self.questions.get(key or "")
        if question is None:
            message = _("No question with the id “%(key)s” in this assessment.") % {"key": key}
            if key is None:
                message = _("The question id is missing.")
            self.error(row, "question", message, "unknown_question")
            return None
        known, unit = self._unit(row, question)
        if not known:
            return None
        unit_id = unit.pk if unit else None
        if token(row.cells["check"]) != row_check(self.assessment, question.key, unit_id):
            message = _(
                "The question id or org unit of this row was changed after the export, or the "
                "row was added. Export the workbook again."
            )
            self.error(row, "question", message, "edited")
            return None
        if (question.pk, unit_id) in self.seen:
            message = _("This row appears twice (first in row %(row)s).") % {
                "row": self.seen[(question.pk, unit_id)]
            }
            self.error(row, "question", message, "duplicate")
            return None
        self.seen[(question.pk, unit_id)] = row.number
        return question, unit

    def _unit(self, row: SheetRow, question: Node) -> tuple[bool, OrgUnit | None]:
        """Whether the row's unit is right, and the unit (None for the organisation)."""
        raw = token(row.cells["unit_id"])
        if question.answer_level != AnswerLevel.UNIT:
            if raw is None:
                return True, None
            message = _("This question is answered once for the whole organisation.")
            self.error(row, "unit_id", message, "unit")
            return False, None
        unit = self.units.get(int(raw)) if raw and raw.isdigit() else None
        if unit is None:
            message = _("Choose the org unit this answer is for.")
            if raw is not None:
                message = _("No org unit with the id “%(id)s” in your organisation.") % {"id": raw}
            self.error(row, "unit_id", message, "unit")
            return False, None
        return True, unit

    def _data(self, row: SheetRow, question: Node) -> AnswerData | None:
        """The row's answer, cleaned as the answer page cleans it; None after reporting."""
        before = len(self.errors)
        data: dict[str, Any] = {}
        for key in FLAG_COLUMNS:
            try:
                data[key] = flag(row.cells[key])
            except ValidationError as error:
                self.error(row, key, " ".join(error.messages), "value")
        for key in TEXT_COLUMNS:
            data[key] = text(row.cells[key])
        try:
            data["value"] = parse_value(question, row.cells["value"])
        except ValidationError as error:
            self.error(row, "value", " ".join(error.messages), "value")
        if len(self.errors) > before:
            return None
        answer = AnswerData(
            value=data.get("value"),
            not_applicable=data["not_applicable"],
            not_applicable_reason=data["not_applicable_reason"],
            dont_know=data["dont_know"],
            unsure=data["unsure"],
            comment=data["comment"],
        )
        try:
            return clean_answer(question, answer)
        except ValidationError as error:
            column = _error_column(error, question, data)
            self.error(row, column, " ".join(error.messages), "value")
            return None

    def _base_version(self, row: SheetRow, stored: Answer | None) -> int | None:
        raw = token(row.cells["version"]) or "0"
        current = stored.version if stored else 0
        if not raw.isdigit():
            self.error(row, "version", _("The version must stay as exported."), "stale")
            return None
        if int(raw) != current:
            message = _(
                "This answer was changed in Samvirke after the export (it is now version "
                "%(current)s; the file has %(base)s). Export the workbook again."
            ) % {"current": current, "base": raw}
            self.error(row, "version", message, "stale")
            return None
        return current


def _error_column(error: ValidationError, question: Node, data: dict[str, Any]) -> str:
    """The column a clean_answer refusal is about (its own code names the text columns)."""
    code = getattr(error, "code", None)
    if code in TEXT_COLUMNS:
        return str(code)
    if data.get("not_applicable") and data.get("value") is None:
        if not question.allows_not_applicable or data.get("dont_know"):
            return "not_applicable"
        return "not_applicable_reason"
    return "value"


def _same(stored: Answer | None, data: AnswerData) -> bool:
    """Whether the row says what is stored (an empty row for no answer at all)."""
    if stored is None:
        return not any(data.get(name) for name in COMPARED)
    return all(getattr(stored, name) == data.get(name) for name in COMPARED)


# --- the import ----------------------------------------------------------------------------


class _WriteRefused(Exception):
    """A row refused while writing (someone saved in between): the whole import rolls back."""

    def __init__(self, error: CellError) -> None:
        super().__init__(error.message)
        self.error = error


@transaction.atomic
def _write(actor: User, assessment: Assessment, changes: list[_Change], unchanged: int) -> int:
    for change in changes:
        try:
            _answer_write(
                actor=actor,
                assessment=assessment,
                question=change.question,
                org_unit=change.unit,
                data=change.data,
                base_version=change.base_version,
                via=AnswerVia.IMPORT,
            )
        except StaleAnswer as stale:
            message = _("Someone saved this answer while the file was imported (version %(v)s).")
            error = answers_error(
                change.row, "version", message % {"v": stale.stored.version}, "stale"
            )
            raise _WriteRefused(error) from stale
        except (ValidationError, PermissionDenied) as refusal:
            message = " ".join(getattr(refusal, "messages", None) or [str(refusal)])
            raise _WriteRefused(answers_error(change.row, "question", message, "refused")) from None
    audit_log(
        actor=actor,
        organisation=assessment.organisation,
        action="baseline.answers.imported",
        obj=assessment,
        changes={"saved": len(changes), "unchanged": unchanged},
    )
    return len(changes)


@transaction.atomic
def _audit_refused(actor: User, assessment: Assessment, errors: list[CellError], rows: int) -> None:
    audit_log(
        actor=actor,
        organisation=assessment.organisation,
        action="baseline.answers.import_refused",
        obj=assessment,
        changes={
            "errors": len(errors),
            "rows": rows,
            "kinds": dict(sorted(Counter(error.code for error in errors).items())),
        },
    )


def _validate(
    actor: User, assessment: Assessment, upload: bytes
) -> tuple[list[CellError], _RowChecker | None, int]:
    found = read_workbook(upload)
    errors = found.errors or _check_identity(assessment, found.about)
    if errors:
        return errors, None, len(found.rows)
    errors = _check_open(assessment, found.about)
    checker = _RowChecker(actor, assessment)
    for row in found.rows:
        checker.check(row)
    return errors + checker.errors, checker, len(found.rows)


def answers_import(*, actor: User, assessment: Assessment, upload: bytes) -> ImportResult:
    """Import an assessment's answers from its filled-in export, all of them or none.

    Not atomic itself on purpose: the answers are written in one transaction, and a refusal is
    recorded after that transaction rolled back, so the record of the attempt survives.
    """
    errors, checker, rows = _validate(actor, assessment, upload)
    if not errors and checker is not None:
        try:
            saved = _write(actor, assessment, checker.changes, checker.unchanged)
        except _WriteRefused as refused:
            errors = [refused.error]
        else:
            return ImportResult(saved=saved, unchanged=checker.unchanged)
    _audit_refused(actor, assessment, errors, rows)
    return ImportResult(errors=errors)
