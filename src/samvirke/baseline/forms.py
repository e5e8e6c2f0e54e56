"""Forms for campaigns and answers; every reference is limited to what the user may choose."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samvirke.baseline.models import Answer
from samvirke.baseline.validation import YES_PARTLY_NO, AnswerData, maturity_range
from samvirke.frameworks.models import (
    AnswerLevel,
    FrameworkVersion,
    Node,
    QuestionType,
    localized,
)
from samvirke.tenancy.models import Network, Organisation, OrgUnit

DEFAULT_FRAMEWORK = "samvirke-baseline"


class CampaignForm(forms.Form):
    """Create a campaign for one of the networks the organisation stewards."""

    network = forms.ModelChoiceField(label=_("Network"), queryset=Network.objects.none())
    framework_version = forms.ModelChoiceField(
        label=_("Framework version"), queryset=FrameworkVersion.objects.none()
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("Opens on"), widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    reminder_days = forms.CharField(
        label=_("Reminders, in days before the deadline"),
        help_text=_("Whole numbers separated by commas, for example 14, 7, 1."),
        max_length=200,
        required=False,
    )

    def __init__(self, *args: Any, networks: QuerySet[Network], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        versions = FrameworkVersion.objects.select_related("framework").order_by(
            "framework__key", "-loaded_at"
        )
        self.fields["network"].queryset = networks  # type: ignore[attr-defined]
        self.fields["framework_version"].queryset = versions  # type: ignore[attr-defined]
        default = versions.filter(framework__key=DEFAULT_FRAMEWORK).first()
        today = timezone.localdate()
        self.initial.setdefault("framework_version", default)
        self.initial.setdefault("year", today.year)
        self.initial.setdefault("reminder_days", "14, 7, 1")

    def clean_reminder_days(self) -> list[int]:
        """Parse "14, 7, 1" into whole numbers."""
        raw = self.cleaned_data.get("reminder_days") or ""
        try:
            return [int(part) for part in raw.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("Write whole numbers separated by commas.")) from None


class DeadlineForm(forms.Form):
    """A later deadline."""

    deadline = forms.DateField(
        label=_("New deadline"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _value_field(question: Node) -> forms.Field:
    """The form field that fits a question's type and scale."""
    kind = question.question_type
    label = _("Answer")
    if kind == QuestionType.MATURITY:
        low, high = maturity_range(question)
        texts = question.level_texts()
        levels = [
            (str(level), f"{level}: {localized(texts.get(str(level)))}".rstrip(": "))
            for level in range(low, high + 1)
        ]
        return forms.TypedChoiceField(
            label=label, choices=levels, coerce=int, required=False, widget=forms.RadioSelect
        )
    if kind == QuestionType.YES_PARTLY_NO:
        names = {"yes": _("Yes"), "partly": _("Partly"), "no": _("No")}
        choices = [(value, names[value]) for value in YES_PARTLY_NO]
        return forms.ChoiceField(
            label=label, choices=choices, required=False, widget=forms.RadioSelect
        )
    if kind == QuestionType.NUMBER:
        return forms.FloatField(label=label, required=False)
    options = [(str(o["id"]), localized(o.get("title"))) for o in question.options or []]
    if kind == QuestionType.SINGLE_CHOICE:
        return forms.ChoiceField(
            label=label, choices=options, required=False, widget=forms.RadioSelect
        )
    if kind == QuestionType.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            label=label, choices=options, required=False, widget=forms.CheckboxSelectMultiple
        )
    return forms.CharField(label=label, required=False, max_length=5000, widget=forms.Textarea)


class AnswerForm(forms.Form):
    """One answer; the service checks it again against the question and the stored version."""

    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    # Chosen on the page before answering (a change of unit must not autosave into another unit).
    org_unit = forms.ModelChoiceField(
        label=_("Org unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose the org unit this answer is for.")},
    )
    not_applicable = forms.BooleanField(label=_("Not applicable"), required=False)
    not_applicable_reason = forms.CharField(
        label=_("Why it does not apply"), max_length=5000, required=False, widget=forms.Textarea
    )
    dont_know = forms.BooleanField(label=_("Don't know"), required=False)
    unsure = forms.BooleanField(label=_("I am unsure of this answer"), required=False)
    comment = forms.CharField(
        label=_("Comment"), max_length=5000, required=False, widget=forms.Textarea
    )

    def __init__(
        self, *args: Any, question: Node, organisation: Organisation, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        self.fields["value"] = _value_field(question)
        self.order_fields(["org_unit", "value"])
        if question.answer_level == AnswerLevel.UNIT:
            units = OrgUnit.objects.filter(organisation=organisation).order_by("name")
            self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
            self.fields["org_unit"].required = True
        else:
            del self.fields["org_unit"]
        if not question.allows_not_applicable:
            del self.fields["not_applicable"]
            del self.fields["not_applicable_reason"]

    def answer_data(self) -> AnswerData:
        """The cleaned form as the service takes it."""
        data = self.cleaned_data
        value = data.get("value")
        if value in ("", [], None):
            value = None
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        return AnswerData(
            value=value,
            not_applicable=bool(data.get("not_applicable")),
            not_applicable_reason=data.get("not_applicable_reason", ""),
            dont_know=bool(data.get("dont_know")),
            unsure=bool(data.get("unsure")),
            comment=data.get("comment", ""),
        )


def answer_initial(answer: Answer | None, org_unit: OrgUnit | None = None) -> dict[str, Any]:
    """A form's starting values from the stored answer (version 0 when there is none)."""
    if answer is None:
        return {"base_version": 0, "org_unit": org_unit.pk if org_unit else None}
    return {
        "base_version": answer.version,
        "org_unit": answer.org_unit_id,
        "value": answer.value,
        "not_applicable": answer.not_applicable,
        "not_applicable_reason": answer.not_applicable_reason,
        "dont_know": answer.dont_know,
        "unsure": answer.unsure,
        "comment": answer.comment,
    }


class UnitChoiceForm(forms.Form):
    """Which org unit's answer to a per-unit question the page shows (a GET form)."""

    org_unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, units: list[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(  # type: ignore[attr-defined]
            pk__in=[u.pk for u in units]
        ).order_by("name")


class EvidenceFileForm(forms.Form):
    """A file supporting an answer; its content is checked by the evidence service."""

    file = forms.FileField(label=_("File"))


class EvidenceLinkForm(forms.Form):
    """A link supporting an answer (http or https; checked by the evidence service)."""

    url = forms.CharField(label=_("Web address"), max_length=1000)
    name = forms.CharField(label=_("Title"), max_length=255, required=False)
