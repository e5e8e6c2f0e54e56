"""Forms for tenancy objects; every reference is limited to the active organisation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samvirke.tenancy.models import Organisation, OrgUnit


class OrgUnitForm(forms.Form):
    """Create or edit an org unit; the parent must be one of the organisation's own units."""

    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=50, required=False)
    parent = forms.ModelChoiceField(
        label=_("Part of"), queryset=OrgUnit.objects.none(), required=False
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea
    )

    def __init__(
        self, *args: Any, organisation: Organisation, unit: OrgUnit | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = OrgUnit.objects.filter(organisation=organisation)
        if unit is not None:
            choices = choices.exclude(pk=unit.pk)
        self.fields["parent"].queryset = choices  # type: ignore[attr-defined]
