"""Forms for invitations, API tokens and memberships; references limited to the organisation."""

from __future__ import annotations

import datetime
from typing import Any

from allauth.account.forms import SignupForm
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samvirke.accounts.services import INVITABLE_ROLES, TOKEN_MAX_DAYS, TOKEN_MIN_DAYS
from samvirke.tenancy.models import Organisation, OrgUnit
from samvirke.tenancy.roles import Role

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_past(day: datetime.date | None) -> datetime.date | None:
    if day is not None and day < timezone.localdate():
        raise forms.ValidationError(_("The end date cannot be in the past."))
    return day


class UnitChoiceMixin(forms.Form):
    """An optional org unit chosen among the organisation's own units only."""

    org_unit: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("Org unit"), queryset=OrgUnit.objects.none(), required=False
    )
    ends_on = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Leave empty for no end date. Required for auditors."),
    )

    def limit_units(self, organisation: Organisation) -> None:
        """Offer (and accept) only the organisation's own units."""
        units = OrgUnit.objects.filter(organisation=organisation).order_by("name")
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]

    def clean_ends_on(self) -> datetime.date | None:
        return _not_past(self.cleaned_data.get("ends_on"))


class InvitationForm(UnitChoiceMixin):
    """Invite a person by e-mail to a role in the active organisation."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"), choices=[(r.value, r.label) for r in Role if r in INVITABLE_ROLES]
    )
    field_order = ["email", "role", "org_unit", "ends_on"]

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_units(organisation)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("role") == Role.AUDITOR and not cleaned.get("ends_on"):
            self.add_error("ends_on", _("An auditor's access must have an end date."))
        return cleaned


class MembershipForm(UnitChoiceMixin):
    """Change a membership's unit or end date."""

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_units(organisation)


class TokenForm(forms.Form):
    """Name and lifetime of a new API token."""

    name = forms.CharField(label=_("Name"), max_length=100)
    days = forms.IntegerField(
        label=_("Expires in (days)"),
        min_value=TOKEN_MIN_DAYS,
        max_value=TOKEN_MAX_DAYS,
        help_text=_("Between 1 and 365 days."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.SAMVIRKE_API_TOKEN_DAYS


class InvitationSignupForm(SignupForm):
    """allauth's sign-up form with the invited e-mail address shown read-only.

    The adapter enforces the address whatever form is configured; this form only makes the
    lock visible. Enable with ACCOUNT_FORMS = {"signup": "samvirke.accounts.forms...."}.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from samvirke.accounts.adapters import invitation_in_session

        invitation = invitation_in_session()
        if invitation is not None and "email" in self.fields:
            self.fields["email"].initial = invitation.email
            self.fields["email"].widget.attrs["readonly"] = True
