"""Labels of public organisation attributes for templates."""

from django import template
from django.db.models import TextChoices

from samvirke.tenancy.models import Country, OrganisationKind, SizeClass

register = template.Library()

_CHOICES: dict[str, type[TextChoices]] = {
    "kind": OrganisationKind,
    "country": Country,
    "size_class": SizeClass,
}


@register.filter
def public_label(value: str, field: str) -> str:
    """The translated label of a stored value of `kind`, `country` or `size_class`."""
    choices = _CHOICES.get(field)
    if choices is None or value not in choices.values:
        return value
    return str(choices(value).label)
