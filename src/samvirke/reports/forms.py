"""The report form: every choice limited to the active organisation's assessments and units."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from samvirke.baseline.models import Assessment
from samvirke.reports.models import ReportFormat, ReportKind, ReportLanguage
from samvirke.tenancy.models import Organisation, OrgUnit

#: The kinds a member of an organisation asks for on the report page.
PAGE_KINDS = [
    (kind.value, kind.label)
    for kind in (ReportKind.ORGANISATION, ReportKind.DEPARTMENT, ReportKind.DEPARTMENTS)
]


def default_language() -> str:
    """The language the person uses Samvirke in, when a report can be written in it."""
    current = (translation.get_language() or "")[:2]
    return current if current in ReportLanguage.values else ReportLanguage.DA


class AssessmentChoice(forms.ModelChoiceField):
    """An assessment shown by its campaign and year."""

    def label_from_instance(self, obj: Any) -> str:
        campaign = obj.campaign
        return f"{campaign.title} ({campaign.network.name}, {campaign.year})"


class ReportForm(forms.Form):
    """Ask for an organisation report, one department's, or every department's as a zip."""

    assessment = AssessmentChoice(label=_("Assessment"), queryset=Assessment.objects.none())
    kind = forms.ChoiceField(label=_("Report"), choices=PAGE_KINDS, initial=ReportKind.ORGANISATION)
    org_unit = forms.ModelChoiceField(
        label=_("Department"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Only for the report of one department."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=ReportFormat.choices)
    language = forms.ChoiceField(label=_("Language of the report"), choices=ReportLanguage.choices)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assessments = (
            Assessment.objects.filter(organisation=organisation)
            .select_related("campaign__network")
            .order_by("-campaign__year", "campaign__network__name", "pk")
        )
        self.fields["assessment"].queryset = assessments  # type: ignore[attr-defined]
        units = OrgUnit.objects.filter(organisation=organisation).order_by("name")
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.initial.setdefault("assessment", assessments.first())
        self.initial.setdefault("language", default_language())

    def clean(self) -> dict[str, Any]:
        """One department's report needs its department."""
        data = super().clean() or {}
        if data.get("kind") == ReportKind.DEPARTMENT and not data.get("org_unit"):
            self.add_error("org_unit", _("Choose the department the report is for."))
        return data
