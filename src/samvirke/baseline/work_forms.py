"""Forms of the coordinator's work on an assessment: delegating and reviewing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from samvirke.accounts.models import User
from samvirke.baseline.models import Assessment
from samvirke.baseline.services import answering_roles
from samvirke.frameworks.models import Node, NodeKind, localized
from samvirke.tenancy.models import Membership, OrgUnit


class NodeChoiceField(forms.ModelChoiceField):
    """An area or question, labelled by its key and title in the user's language."""

    def label_from_instance(self, obj: Any) -> str:
        indent = "\u2003" * (0 if obj.kind == NodeKind.AREA else 1)
        return f"{indent}{obj.key} {localized(obj.title)}"


class PersonChoiceField(forms.ModelChoiceField):
    """A person of the organisation, labelled by name and e-mail."""

    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} ({obj.email})" if obj.email else name


class DelegationForm(forms.Form):
    """Send an area or a question to units and/or a person of the organisation."""

    node = NodeChoiceField(label=_("Area or question"), queryset=Node.objects.none())
    org_units = forms.ModelMultipleChoiceField(
        label=_("Org units"),
        queryset=OrgUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Questions asked per org unit are answered by every unit chosen."),
    )
    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = assessment.organisation_id
        nodes = Node.objects.filter(
            version=assessment.campaign.framework_version_id,
            kind__in=[NodeKind.AREA, NodeKind.QUESTION],
        ).order_by("position")
        people = Membership.objects.filter(
            organisation=organisation, role__in=answering_roles()
        ).current()
        self.fields["node"].queryset = nodes  # type: ignore[attr-defined]
        self.fields["org_units"].queryset = OrgUnit.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation
        ).order_by("name")
        self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            pk__in=people.values("user_id")
        ).order_by("first_name", "last_name", "username")

    def clean(self) -> dict[str, Any]:
        """Ask for a unit, a person, or both."""
        cleaned = super().clean() or {}
        if not cleaned.get("org_units") and not cleaned.get("user") and not self.errors:
            raise forms.ValidationError(_("Choose an org unit, a person, or both."))
        return cleaned
