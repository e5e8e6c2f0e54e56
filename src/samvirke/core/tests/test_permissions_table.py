"""The role → permission table, walked: every role, every declared permission, every page.

Views declare a named permission (core.permissions.permission_required sets `permission` on the
view); tenancy/roles.py maps roles to permissions. These tests keep the two in step: no role
without an entry, no declared permission that does not exist, and for every role and every
permission-protected page, 200 exactly when the role grants the page's permission, else 403.
"""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import login
from samvirke.core.crosstenant import (
    OBJECT_PARAMS,
    PERMISSION_TABLE_SKIPPED,
    VALUE_PARAMS,
    Route,
    all_routes,
)
from samvirke.core.testing import World, add_member, make_user
from samvirke.core.tests.test_cross_tenant import named, operation_permissions
from samvirke.core.tests.test_cross_tenant import quiet_request_log as quiet_request_log
from samvirke.tenancy.roles import ROLE_PERMISSIONS, Perm, Role

PERM_VALUES = {value for name, value in vars(Perm).items() if name.isupper()}


def declared_permissions() -> dict[str, str]:
    """Every named permission a page or API operation declares, with where it is declared."""
    found = {
        f"page /{route.route}": route.permission
        for route in all_routes()
        if isinstance(route.permission, str)
    }
    for operation_id, permission in operation_permissions().items():
        for name in sorted(named(permission)):
            found[f"API operation {operation_id} ({name})"] = name
    return found


def protected_pages() -> list[Route]:
    """Pages that declare a permission and take no object id (value parameters are filled in)."""
    return [
        route
        for route in all_routes()
        if isinstance(route.permission, str)
        and not route.route.startswith("api/")
        and all(param in VALUE_PARAMS for param in route.params)
        and route.name not in PERMISSION_TABLE_SKIPPED
    ]


def page_path(route: Route) -> str:
    """The page's path with each value parameter at its first listed value."""
    return route.build({param: VALUE_PARAMS[param][0] for param in route.params})


def test_every_role_has_an_entry() -> None:
    assert set(Role.values) == set(ROLE_PERMISSIONS)


def test_the_table_grants_only_named_permissions() -> None:
    for role, permissions in ROLE_PERMISSIONS.items():
        assert permissions <= PERM_VALUES, f"{role} grants unknown {permissions - PERM_VALUES}"


def test_every_named_permission_is_granted_to_some_role() -> None:
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted >= PERM_VALUES, f"no role holds {PERM_VALUES - granted}"


def test_every_declared_permission_exists() -> None:
    unknown = {where: p for where, p in declared_permissions().items() if p not in PERM_VALUES}
    assert not unknown, f"permissions not in tenancy.roles.Perm: {unknown}"


def test_object_parameters_stay_out_of_this_walk() -> None:
    # Pages with object ids are walked by the cross-tenant suite, which knows whose object to use.
    assert not set(OBJECT_PARAMS) & set(VALUE_PARAMS)


def _client_with_role(world: World, role: str) -> Client:
    user = make_user(f"only.{role}")
    add_member(user, world.org_a, role)
    return login(Client(raise_request_exception=False), user)


def _get_pages(world: World) -> list[Route]:
    """The protected pages that answer GET (a POST-only view answers 405 to anyone)."""
    everyone = make_user("every.role")
    for role in Role:
        add_member(everyone, world.org_a, role)
    client = login(Client(raise_request_exception=False), everyone)
    return [route for route in protected_pages() if client.get(page_path(route)).status_code != 405]


@pytest.mark.django_db
@pytest.mark.usefixtures("quiet_request_log")
def test_each_role_reaches_exactly_the_pages_its_permissions_name(world: World) -> None:
    pages = _get_pages(world)
    assert pages, "no permission-protected page found: the URL walk is broken"
    wrong: list[str] = []
    for role in Role:
        client = _client_with_role(world, role)
        for route in pages:
            expected = 200 if route.permission in ROLE_PERMISSIONS[role] else 403
            status = client.get(page_path(route)).status_code
            if status != expected:
                wrong.append(f"{role} GET /{route.route}: {status}, expected {expected}")
    assert not wrong, "\n".join(wrong)
