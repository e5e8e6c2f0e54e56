"""Filters of the audit trail."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

# Dates outside these overflow when shifted to UTC or by a day; no entry is that old or new.
EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(9998, 12, 31)


class AuditFilterForm(forms.Form):
    """Narrow the audit trail by action, actor, object and time."""

    action = forms.CharField(label=_("Action starts with"), required=False, max_length=100)
    actor = forms.CharField(label=_("Actor contains"), required=False, max_length=100)
    obj = forms.CharField(label=_("Object contains"), required=False, max_length=100)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def _bounded(self, name: str) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data.get(name)
        if day is not None and not (EARLIEST <= day <= LATEST):
            raise forms.ValidationError(_("Choose a date between the years 2000 and 9998."))
        return day

    def clean_since(self) -> datetime.date | None:
        """A start date the database can compare (no year 1 or 9999)."""
        return self._bounded("since")

    def clean_until(self) -> datetime.date | None:
        """An end date the database can compare (no year 1 or 9999)."""
        return self._bounded("until")

    def clean(self) -> dict[str, object]:
        """The period must not end before it starts."""
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned
