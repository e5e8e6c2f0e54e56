"""Forms of the benchmark management, and reading a proposed partition from CSV.

A partition file is read all or nothing: every problem is reported with its line and column,
and nothing is stored unless there is none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samvirke.baseline.models import Campaign
from samvirke.benchmarking.models import SharingAudience
from samvirke.benchmarking.services import KEY_MAX, LABEL_MAX, Groups
from samvirke.tenancy.models import Network, Organisation

MAX_CSV_BYTES = 256 * 1024
MAX_CSV_ROWS = 5000
ORGANISATION, GROUP, LABEL = 1, 2, 3
COLUMNS = {
    ORGANISATION: gettext_lazy("organisation code"),
    GROUP: gettext_lazy("group key"),
    LABEL: gettext_lazy("group label"),
}
ENGLISH_COLUMNS = ("organisation code", "group key", "group label")


@dataclass(frozen=True)
class LocatedError:
    """One problem of a partition file: its line and column (None: the whole file)."""

    message: str
    line: int | None = None
    column: int | None = None

    @property
    def heading(self) -> str:
        """The column's name, as the file's header should have it."""
        return str(COLUMNS[self.column]) if self.column in COLUMNS else ""


@dataclass
class ParsedPartition:
    """The groups read from a file, where each group and organisation was, and the problems."""

    groups: Groups = field(default_factory=dict)
    group_lines: dict[str, int] = field(default_factory=dict)
    organisation_lines: dict[str, int] = field(default_factory=dict)
    errors: list[LocatedError] = field(default_factory=list)

    def locate(self, problems: list[ValidationError]) -> list[LocatedError]:
        """The service's problems placed on the line of the group or organisation they name."""
        located = []
        for problem in problems:
            for single in problem.error_list:
                params = single.params or {}
                message = single.messages[0]
                organisation = self.organisation_lines.get(str(params.get("organisation", "")))
                group = self.group_lines.get(str(params.get("group", "")))
                if single.code in {"not_member", "duplicate"} and organisation:
                    located.append(LocatedError(message, organisation, ORGANISATION))
                elif group and single.code != "member_missing":
                    column = LABEL if single.code == "group_label" else GROUP
                    located.append(LocatedError(message, group, column))
                else:
                    located.append(LocatedError(message))
        return located


def _decode(data: bytes) -> tuple[str | None, LocatedError | None]:
    if len(data) > MAX_CSV_BYTES:
        limit = MAX_CSV_BYTES // 1024
        return None, LocatedError(_("The file is larger than %(kb)d KB.") % {"kb": limit})
    if b"\x00" in data:
        return None, LocatedError(_("The file is not a text file (CSV)."))
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")
        return None, LocatedError(message, line)


def _header_problem(header: list[str]) -> LocatedError | None:
    found = [cell.strip().lower() for cell in header]
    translated = [str(COLUMNS[c]).lower() for c in (ORGANISATION, GROUP, LABEL)]
    if found in (list(ENGLISH_COLUMNS), translated):
        return None
    expected = ", ".join(f"“{name}”" for name in translated)
    return LocatedError(
        _("The first line must name the columns %(expected)s; it names %(found)s.")
        % {"expected": expected, "found": ", ".join(f"“{c}”" for c in found) or "–"},
        1,
    )


def parse_partition_csv(data: bytes, members: dict[str, Organisation]) -> ParsedPartition:
    """Read "organisation code, group key, group label" rows; `members` maps codes of members."""
    parsed = ParsedPartition()
    text, problem = _decode(data)
    if problem is not None or text is None:
        parsed.errors.append(problem or LocatedError(_("The file is empty.")))
        return parsed
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        parsed.errors.append(LocatedError(_("The file is empty.")))
        return parsed
    header = _header_problem(rows[0])
    if header is not None:
        parsed.errors.append(header)
        return parsed
    if len(rows) - 1 > MAX_CSV_ROWS:
        parsed.errors.append(
            LocatedError(_("The file has more than %(max)d rows.") % {"max": MAX_CSV_ROWS})
        )
        return parsed
    for line, row in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in row):
            _read_row(parsed, line, row, members)
    return parsed


def _read_row(
    parsed: ParsedPartition, line: int, row: list[str], members: dict[str, Organisation]
) -> None:
    if len(row) != 3:
        parsed.errors.append(
            LocatedError(
                _("Expected 3 columns, found %(found)d.") % {"found": len(row)}, line, None
            )
        )
        return
    code, key, label = (cell.strip() for cell in row)
    problems = []
    organisation = members.get(code)
    if organisation is None:
        message = _("No member of the network has the code “%(code)s”.") % {"code": code}
        problems.append(LocatedError(message, line, ORGANISATION))
    elif code in parsed.organisation_lines:
        message = _("%(code)s is already listed on line %(line)d.")
        first = parsed.organisation_lines[code]
        problems.append(LocatedError(message % {"code": code, "line": first}, line, ORGANISATION))
    if not key or len(key) > KEY_MAX:
        message = _("Give a group key of at most %(max)d characters.") % {"max": KEY_MAX}
        problems.append(LocatedError(message, line, GROUP))
    if not label or len(label) > LABEL_MAX:
        message = _("Give a group label of at most %(max)d characters.") % {"max": LABEL_MAX}
        problems.append(LocatedError(message, line, LABEL))
    elif key in parsed.groups and parsed.groups[key][0] != label:
        message = _("The group %(group)s is labelled “%(label)s” on line %(line)d.") % {
            "group": key,
            "label": parsed.groups[key][0],
            "line": parsed.group_lines[key],
        }
        problems.append(LocatedError(message, line, LABEL))
    parsed.errors += problems
    if problems or organisation is None:
        return
    parsed.organisation_lines[code] = line
    parsed.group_lines.setdefault(key, line)
    parsed.groups.setdefault(key, (label, []))[1].append(organisation)


class PartitionProposalForm(forms.Form):
    """A custom partition: its network, key and title, and its rows as a file or typed in."""

    network = forms.ModelChoiceField(
        label=gettext_lazy("Network"), queryset=Network.objects.none(), empty_label=None
    )
    key = forms.SlugField(
        label=gettext_lazy("Key"),
        max_length=KEY_MAX,
        help_text=gettext_lazy(
            "Lower-case letters, digits and hyphens, e.g. island-municipalities."
        ),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=LABEL_MAX)
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        required=False,
        help_text=gettext_lazy(
            "UTF-8, at most 256 KB, with the columns “organisation code”, “group key” and "
            "“group label”, one line per member."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    rows = forms.CharField(
        label=gettext_lazy("Or type the rows"),
        required=False,
        help_text=gettext_lazy(
            "The same columns as the file, the header line first, separated by commas."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args: Any, networks: QuerySet[Network], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks  # type: ignore[attr-defined]

    def clean_file(self) -> UploadedFile | None:
        """Only CSV or text files, and never more than the limit."""
        upload: UploadedFile | None = self.cleaned_data.get("file")
        if upload is None:
            return None
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".txt")):
            raise ValidationError(_("Upload a CSV file (.csv)."))
        if upload.size is not None and upload.size > MAX_CSV_BYTES:
            raise ValidationError(
                _("The file is larger than %(kb)d KB.") % {"kb": MAX_CSV_BYTES // 1024}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        """Exactly one source of rows."""
        cleaned = super().clean() or {}
        has_file = cleaned.get("file") is not None
        has_rows = bool((cleaned.get("rows") or "").strip())
        if has_file == has_rows and "file" not in self.errors:
            raise ValidationError(_("Upload a CSV file or type the rows, not both."))
        return cleaned

    def content(self) -> bytes:
        """The rows as bytes, never more than one byte past the limit."""
        upload: UploadedFile | None = self.cleaned_data.get("file")
        if upload is not None:
            upload.seek(0)
            return upload.read(MAX_CSV_BYTES + 1)
        return str(self.cleaned_data["rows"]).encode("utf-8")


class DecisionForm(forms.Form):
    """Approve or reject a proposed partition."""

    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))],
    )


class PublishForm(forms.Form):
    """The coordinator confirms having read the audit summary."""

    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I have read the audit summary and want to publish this release to the network."
        )
    )


class SharingForm(forms.Form):
    """Whom the organisation shows its named results of one campaign to."""

    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), widget=forms.HiddenInput)
    audience = forms.ChoiceField(
        label=gettext_lazy("Share our named results"),
        required=False,
        choices=[("", gettext_lazy("Not shared")), *SharingAudience.choices],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, campaigns: QuerySet[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
