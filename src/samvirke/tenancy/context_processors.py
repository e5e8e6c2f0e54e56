"""Template context for the page shell: active organisation and the organisation switcher."""

from typing import Any

from django.http import HttpRequest


def active_organisation(request: HttpRequest) -> dict[str, Any]:
    """The active organisation, the user's other organisations and the active permissions."""
    memberships = getattr(request, "all_memberships", [])
    organisations = {m.organisation_id: m.organisation for m in memberships}
    return {
        "active_organisation": getattr(request, "organisation", None),
        "switchable_organisations": sorted(organisations.values(), key=lambda o: o.name),
        "active_roles": [m.get_role_display() for m in getattr(request, "memberships", [])],
        "perms_active": getattr(request, "permissions", frozenset()),
    }
